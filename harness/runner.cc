// The non-template half of a run: clock, overheads, loop settings.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>

#include "harness/runner.h"

namespace rehashlab {

RssReader::RssReader() : fd_(::open("/proc/self/statm", O_RDONLY | O_CLOEXEC)) {}

RssReader::~RssReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t RssReader::read() const {
  if (fd_ < 0) return 0;
  char buf[128];
  const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

LoopConfig loop_config(const RunConfig& cfg, std::uint64_t ops, const char* label) {
  LoopConfig l;
  l.ops = ops;
  l.open_loop = cfg.open_loop;
  l.rate = cfg.rate;
  l.window = cfg.window;
  l.top_k = cfg.top_k;
  // The noise floor: noise_ops empty ops spread evenly over the measured ops.
  l.noise_every = cfg.noise_ops == 0 ? 0 : std::max<std::uint64_t>(1, ops / cfg.noise_ops);
  l.maintenance = cfg.maintenance;
  l.maintenance_interval_ms = cfg.maintenance_interval_ms;
  l.maintenance_budget_us = cfg.maintenance_budget_us;
  l.progress_seconds = 5.0;  // progress line on stderr every 5 s of a long run
  l.label = label;
  return l;
}

void prepare_context(const RunConfig& cfg, RunContext& ctx) {
  ctx.date = utc_now_iso8601();
  ctx.git = read_git_info();
  ctx.argv = recorded_argv();
  const Clock::Want want = cfg.timer == "tsc" ? Clock::Want::kTsc
                           : cfg.timer == "steady" ? Clock::Want::kSteady : Clock::Want::kAuto;
  ctx.clock = Clock::calibrate(want, cfg.calibration_ms);
  ctx.overhead = measure_timer_overhead(ctx.clock);
  // Instrument overhead: wall time per op of the timed loop around an empty op
  // (timing + recording + loop control), the minimum over 10 short repetitions so
  // that a preemption on a shared machine does not inflate it.
  struct EmptyOp {
    void prepare(std::uint64_t) {}
    void execute() { asm volatile("" ::: "memory"); }
  } op;
  NullProbe probe;
  double best = 0;
  for (int rep = 0; rep < 10; ++rep) {
    LoopConfig l = loop_config(cfg, 20000, "instrument");
    l.open_loop = false;
    l.maintenance = false;
    l.progress_seconds = 0;
    l.noise_every = 0;
    LoopResult r(cfg.top_k);
    timed_loop(ctx.clock, l, op, probe, r);
    const double per_op = static_cast<double>(r.elapsed_ns) / static_cast<double>(l.ops);
    if (rep == 0 || per_op < best) best = per_op;
  }
  ctx.instrument_overhead_ns = best;
}

}  // namespace rehashlab
