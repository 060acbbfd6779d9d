// The open-loop scheduler and the event tracking, driven by a fake clock so the
// test is exact and independent of machine load.
#include "harness/timed_loop.h"

#include <gtest/gtest.h>

#include "harness/timer.h"

namespace rehashlab {
namespace {

// Virtual time in ns; only ops (and waiting) advance it.
struct FakeClock {
  mutable std::uint64_t t = 1000;
  std::uint64_t start() const { return t; }
  std::uint64_t stop() const { return t; }
  std::uint64_t now() const { return t; }
  std::uint64_t wait_until(std::uint64_t x) const {
    if (t < x) t = x;
    return t;
  }
  double ns_per_tick() const { return 1.0; }
};

// Every op takes `base` ns, op `stall_at` takes `stall` ns.
struct StallOp {
  FakeClock& clock;
  std::uint64_t base, stall_at, stall;
  std::uint64_t i = 0;
  void prepare(std::uint64_t idx) { i = idx; }
  void execute() { clock.t += i == stall_at ? stall : base; }
};

TEST(OpenLoop, StallDelaysAboutRateTimesPauseOpsButIsOneServiceSample) {
  FakeClock clock;
  const double rate = 1e6;              // one op per 1000 ns
  const std::uint64_t stall = 5000000;  // P = 5 ms -> R*P = 5000 ops delayed
  StallOp op{clock, 100, 10000, stall};
  LoopConfig cfg;
  cfg.ops = 100000;
  cfg.open_loop = true;
  cfg.rate = rate;
  NullProbe probe;
  LoopResult r(16);
  timed_loop(clock, cfg, op, probe, r);

  // Service time: exactly one slow sample.
  std::uint64_t slow_service = 0;
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    if (LatencyHistogram::lowest_of(i) > 1000) slow_service += r.service.count_at_index(i);
  }
  EXPECT_EQ(slow_service, 1u);
  EXPECT_EQ(r.service.max_ns(), stall);
  EXPECT_EQ(r.top_service.sorted()[0].op, 10000u);

  // Response time: the stalled op and the ops scheduled during the stall and the
  // catch-up are late. With service 100 ns per 1000 ns slot, the backlog of
  // R*P = 5000 ops drains at 900 ns per op: about R*P / 0.9 late ops.
  std::uint64_t delayed = 0;
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    if (LatencyHistogram::lowest_of(i) > 1000) delayed += r.response.count_at_index(i);
  }
  const double expected = rate * 5e-3 / 0.9;
  EXPECT_NEAR(static_cast<double>(delayed), expected, expected * 0.02);
  EXPECT_GE(delayed, 5000u);  // at least R*P
  EXPECT_EQ(r.response.max_ns(), stall);  // the stalled op itself started on time
  EXPECT_NEAR(static_cast<double>(r.late_ops), expected, expected * 0.02);
  // Percentiles of service time stay at the base cost; response p99 shows the stall.
  EXPECT_LE(r.service.value_at_percentile(99.99), 101u);
  EXPECT_GT(r.response.value_at_percentile(99), 100000u);
}

TEST(ClosedLoop, BackToBackHasNoResponseHistogram) {
  FakeClock clock;
  StallOp op{clock, 50, 7, 9999};
  LoopConfig cfg;
  cfg.ops = 1000;
  cfg.window = 100;
  NullProbe probe;
  LoopResult r(4);
  timed_loop(clock, cfg, op, probe, r);
  EXPECT_EQ(r.service.count(), 1000u);
  EXPECT_EQ(r.response.count(), 0u);
  EXPECT_EQ(r.elapsed_ns, 50u * 999 + 9999);
  ASSERT_EQ(r.timeline.size(), 10u);
  EXPECT_EQ(r.timeline[0].max_ns, 9999u);
  EXPECT_EQ(r.timeline[0].p99_ns, 50u);
  EXPECT_EQ(r.timeline[1].max_ns, 50u);
  EXPECT_EQ(r.timeline[9].first_op, 900u);
}

// A probe whose counters change like a stop-the-world map at op 10 and like an
// incremental map from op 20 to op 25.
struct ScriptedProbe {
  const std::uint64_t* op;
  ResizeCounters counters() const {
    ResizeCounters c;
    const std::uint64_t i = *op;
    if (i >= 10) c.grows_started = c.migrations_completed = c.old_arrays_freed = 1;
    if (i >= 20) c.grows_started = 2;
    if (i >= 20 && i < 25) c.migrating = true;
    if (i >= 25) c.migrations_completed = 2;
    if (i >= 27) c.old_arrays_freed = 2;
    return c;
  }
  std::uint64_t live_bytes() const { return 4096; }
  std::uint64_t entries() const { return *op; }
  void maintenance(std::chrono::nanoseconds) {}
  void after_op() {}
  WindowSample window_sample() { return {}; }
};

TEST(Events, ResizePausesAndEventsFromCounterDeltas) {
  FakeClock clock;
  StallOp op{clock, 10, 10, 500};
  ScriptedProbe probe{&op.i};
  LoopConfig cfg;
  cfg.ops = 40;
  LoopResult r(4);
  timed_loop(clock, cfg, op, probe, r);
  ASSERT_EQ(r.resizes.size(), 2u);
  EXPECT_EQ(r.resizes[0].start_op, 10u);
  EXPECT_EQ(r.resizes[0].end_op, 10u);
  EXPECT_EQ(r.resizes[0].start_op_ns, 500u);
  EXPECT_EQ(r.resizes[0].migration_max_ns, 500u);
  EXPECT_EQ(r.resizes[1].start_op, 20u);
  EXPECT_TRUE(r.resizes[1].ended);
  EXPECT_EQ(r.resizes[1].end_op, 25u);
  EXPECT_EQ(r.resizes[1].migration_ops, 6u);
  EXPECT_EQ(r.resizes[1].migration_total_ns, 60u);
  EXPECT_EQ(r.resizes[0].migration_max_op, 10u);
  EXPECT_EQ(r.resizes[1].end_op_ns, 10u);
  ASSERT_EQ(r.events.size(), 6u);
  EXPECT_EQ(r.events[0].kind, EventKind::kGrowStart);
  EXPECT_EQ(r.events[3].op, 20u);
  EXPECT_EQ(r.events[4].kind, EventKind::kMigrationEnd);
  EXPECT_EQ(r.events[4].op, 25u);
  EXPECT_EQ(r.events[5].kind, EventKind::kOldArrayFreed);
  EXPECT_EQ(r.events[5].op, 27u);
}

// Host steal per window: windows 1 and 3 of 5 had steal. The quiet maximum skips
// them, the plain maximum does not; the noise floor runs every 10 ops.
struct StealProbe {
  int window = 0;
  ResizeCounters counters() const { return {}; }
  std::uint64_t entries() const { return 0; }
  std::uint64_t live_bytes() const { return 0; }
  void maintenance(std::chrono::nanoseconds) {}
  void after_op() {}
  WindowSample window_sample() {
    WindowSample s;
    s.steal_ms = (window == 1 || window == 3) ? 10.0 : 0.0;
    ++window;
    return s;
  }
};

TEST(HostSteal, QuietMaximumSkipsWindowsWithStealAndNoiseIsInterleaved) {
  FakeClock clock;
  StallOp op{clock, 50, 150, 7000};  // op 150 (window 1) is the slowest
  StealProbe probe;
  LoopConfig cfg;
  cfg.ops = 500;
  cfg.window = 100;
  cfg.noise_every = 10;
  LoopResult r(4);
  timed_loop(clock, cfg, op, probe, r);
  ASSERT_EQ(r.timeline.size(), 5u);
  EXPECT_EQ(r.service.max_ns(), 7000u);
  EXPECT_EQ(r.quiet_windows, 3u);
  ASSERT_TRUE(r.max_quiet_ns.has_value());
  EXPECT_EQ(*r.max_quiet_ns, 50u) << "the stall sat in a window with steal";
  EXPECT_EQ(*r.timeline[1].sample.steal_ms, 10.0);
  EXPECT_EQ(r.noise.count(), 50u) << "one empty op after every 10 ops";
  EXPECT_EQ(r.noise_every, 10u);
  // The fake clock does not advance for the empty op: the floor is 0 here.
  EXPECT_EQ(r.noise.max_ns(), 0u);
}

TEST(HostSteal, UnknownStealMeansNoQuietMaximum) {
  FakeClock clock;
  StallOp op{clock, 50, 7, 900};
  NullProbe probe;  // steal unknown
  LoopConfig cfg;
  cfg.ops = 300;
  cfg.window = 100;
  LoopResult r(4);
  timed_loop(clock, cfg, op, probe, r);
  EXPECT_FALSE(r.max_quiet_ns.has_value());
  EXPECT_EQ(r.quiet_windows, 0u);
}

// The real clock: monotone, calibrated to within a few percent of the monotonic clock.
TEST(Clock, CalibratedTicksAgreeWithMonotonicClock) {
  const Clock c = Clock::calibrate(Clock::Want::kAuto, 10);
  const std::uint64_t m0 = Clock::mono_ns();
  const std::uint64_t t0 = c.start();
  while (Clock::mono_ns() - m0 < 20000000) {
  }
  const std::uint64_t t1 = c.stop();
  const std::uint64_t m1 = Clock::mono_ns();
  const double measured = static_cast<double>(t1 - t0) * c.ns_per_tick();
  EXPECT_NEAR(measured, static_cast<double>(m1 - m0), 0.05 * static_cast<double>(m1 - m0));
  const TimerOverhead o = measure_timer_overhead(c, 1000);
  EXPECT_GT(o.median_ns, 0.0);
  EXPECT_LE(o.min_ns, o.median_ns);
}

}  // namespace
}  // namespace rehashlab
