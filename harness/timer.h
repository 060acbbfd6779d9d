// The per-operation clock. On x86-64 with an invariant TSC it reads the time-stamp
// counter with serializing fences (start: lfence; rdtsc; lfence, so the timed op
// cannot begin before the read; stop: rdtscp; lfence, so the op has retired before
// the read and nothing after it starts early), calibrated to nanoseconds against
// CLOCK_MONOTONIC at start-up. Elsewhere (or with --timer=steady) it falls back to
// clock_gettime(CLOCK_MONOTONIC), whose ticks are nanoseconds.
//
// The tsc/steady choice is a run-time flag tested on every read: a perfectly
// predicted branch, cheaper than instantiating every map twice.
// Nothing here subtracts the timer's own cost; measure_overhead() reports it.
#pragma once

#include <cstdint>
#include <ctime>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define REHASHLAB_HAVE_TSC 1
#else
#define REHASHLAB_HAVE_TSC 0
#endif

namespace rehashlab {

class Clock {
 public:
  // kAuto: TSC if the CPU reports an invariant TSC, else steady_clock.
  enum class Want : std::uint8_t { kAuto, kTsc, kSteady };
  // Throws std::runtime_error if kTsc is wanted but unavailable.
  static Clock calibrate(Want want, double calibration_ms = 20.0);

  inline std::uint64_t start() const {
#if REHASHLAB_HAVE_TSC
    if (tsc_) {
      _mm_lfence();
      const std::uint64_t t = __rdtsc();
      _mm_lfence();
      return t;
    }
#endif
    return mono_ns();
  }
  inline std::uint64_t stop() const {
#if REHASHLAB_HAVE_TSC
    if (tsc_) {
      unsigned aux;
      const std::uint64_t t = __rdtscp(&aux);
      _mm_lfence();
      return t;
    }
#endif
    return mono_ns();
  }
  std::uint64_t now() const { return stop(); }
  // Spins until now() >= tick; returns now().
  std::uint64_t wait_until(std::uint64_t tick) const {
    std::uint64_t t = now();
    while (t < tick) {
#if REHASHLAB_HAVE_TSC
      _mm_pause();
#endif
      t = now();
    }
    return t;
  }

  double ns_per_tick() const { return ns_per_tick_; }
  double ticks_per_ns() const { return 1.0 / ns_per_tick_; }
  const char* source_name() const { return tsc_ ? "tsc" : "steady_clock"; }
  double calibration_ms() const { return calibration_ms_; }
  bool tsc_invariant() const { return tsc_invariant_; }

  static std::uint64_t mono_ns() {
    timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return static_cast<std::uint64_t>(ts.tv_sec) * 1000000000ULL + static_cast<std::uint64_t>(ts.tv_nsec);
  }
  static bool cpu_has_invariant_tsc();

 private:
  bool tsc_ = false;
  bool tsc_invariant_ = false;
  double ns_per_tick_ = 1.0;
  double calibration_ms_ = 0.0;
};

struct TimerOverhead {
  double median_ns = 0;  // one start()/stop() pair around nothing
  double min_ns = 0;
};
TimerOverhead measure_timer_overhead(const Clock& clock, int samples = 100000);

}  // namespace rehashlab
