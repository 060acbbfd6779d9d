#include "harness/timer.h"

#include <algorithm>
#include <stdexcept>
#include <vector>

#if REHASHLAB_HAVE_TSC
#include <cpuid.h>
#endif

namespace rehashlab {

bool Clock::cpu_has_invariant_tsc() {
#if REHASHLAB_HAVE_TSC
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(0x80000000u, &a, &b, &c, &d) == 0 || a < 0x80000007u) return false;
  if (__get_cpuid(0x80000007u, &a, &b, &c, &d) == 0) return false;
  const bool invariant = (d & (1u << 8)) != 0;
  // rdtscp (stop()) must exist too.
  if (__get_cpuid(0x80000001u, &a, &b, &c, &d) == 0 || (d & (1u << 27)) == 0) return false;
  return invariant;
#else
  return false;
#endif
}

Clock Clock::calibrate(Want want, double calibration_ms) {
  Clock c;
  c.tsc_invariant_ = cpu_has_invariant_tsc();
  bool use_tsc = want == Want::kTsc || (want == Want::kAuto && c.tsc_invariant_);
#if !REHASHLAB_HAVE_TSC
  if (want == Want::kTsc) throw std::runtime_error("--timer=tsc: this CPU architecture has no TSC");
  use_tsc = false;
#endif
  if (!use_tsc) return c;
  c.tsc_ = true;
  // Bracket each TSC read between two monotonic reads and keep the tightest
  // bracket, so the pairing error is a few tens of ns over calibration_ms.
  auto pair = [&](std::uint64_t& mono, std::uint64_t& tsc) {
    std::uint64_t best = ~0ULL;
    for (int i = 0; i < 16; ++i) {
      const std::uint64_t m0 = mono_ns();
      const std::uint64_t t = c.start();
      const std::uint64_t m1 = mono_ns();
      if (m1 - m0 < best) {
        best = m1 - m0;
        mono = m0 + (m1 - m0) / 2;
        tsc = t;
      }
    }
  };
  std::uint64_t m0 = 0, t0 = 0, m1 = 0, t1 = 0;
  pair(m0, t0);
  const std::uint64_t until = m0 + static_cast<std::uint64_t>(calibration_ms * 1e6);
  while (mono_ns() < until) {
  }
  pair(m1, t1);
  c.ns_per_tick_ = static_cast<double>(m1 - m0) / static_cast<double>(t1 - t0);
  c.calibration_ms_ = static_cast<double>(m1 - m0) / 1e6;
  return c;
}

TimerOverhead measure_timer_overhead(const Clock& clock, int samples) {
  std::vector<std::uint64_t> d(static_cast<std::size_t>(samples));
  for (auto& x : d) {
    const std::uint64_t s = clock.start();
    const std::uint64_t e = clock.stop();
    x = e - s;
  }
  std::sort(d.begin(), d.end());
  TimerOverhead o;
  o.median_ns = static_cast<double>(d[d.size() / 2]) * clock.ns_per_tick();
  o.min_ns = static_cast<double>(d.front()) * clock.ns_per_tick();
  return o;
}

}  // namespace rehashlab
