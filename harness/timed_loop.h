// The measurement loop: one timed operation at a time, closed or open loop, with
// the histograms, top-k, per-window timeline, resize tracking, the interleaved
// noise floor and the idle-time maintenance schedule. Used identically for a map,
// for a peer replayed from its own recorded times, and for tests (a fake clock
// and a fake op).
//
// Per op i:
//   op.prepare(i)                       untimed: generate the key/value
//   open loop: wait until t0 + i/R      (scheduled start; never skips ahead)
//   s = clock.start(); op.execute(); e = clock.stop();
//   service = e - s; response = e - scheduled (open loop)
//   probe.counters() compared with the previous op's: resize tracking
//   every `noise_every` ops: one empty timed op (the noise floor, over the same
//     wall time as the run, so it sees the same interrupts and host steal)
//   every `window` ops: a timeline row, with probe.window_sample() (memory, RSS,
//     host steal of the window), read outside any timed region
//   whenever maintenance_interval has passed: probe.maintenance(budget), timed apart
// A stall of P ticks in op k (open loop) makes ops k..k+R*P start late, so their
// response times carry the stall, as clients of a real service would see it.
//
// Clock: start(), stop(), now(), wait_until(tick), ns_per_tick() (harness/timer.h).
// Op: prepare(uint64_t), execute(), and optionally kind() -> OpKind (then service
// times are also kept per operation kind, apart inside and outside migrations).  Probe: counters() -> ResizeCounters,
// entries(), live_bytes(), maintenance(std::chrono::nanoseconds), after_op(),
// window_sample().
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <vector>

#include "harness/histogram.h"
#include "maps/map_api.h"
#include "workloads/trace.h"

namespace rehashlab {

struct LoopConfig {
  std::uint64_t ops = 0;
  bool open_loop = false;
  double rate = 0;              // ops per second (open loop)
  std::uint64_t window = 4096;  // ops per timeline window
  int top_k = 16;
  std::uint64_t noise_every = 0;  // one empty timed op after every this many ops; 0: none
  bool maintenance = false;
  double maintenance_interval_ms = 100;
  double maintenance_budget_us = 1000;
  double progress_seconds = 0;  // 0: no progress line
  const char* label = "";
  std::size_t max_events = 100000;
};

// What the probe reports at a window's end (outside the timed region).
struct WindowSample {
  std::uint64_t live_bytes = 0;   // counted bytes at the window's end
  std::uint64_t peak_bytes = 0;   // largest counted bytes within the window
  std::uint64_t rss_bytes = 0;    // process RSS at the window's end
  std::optional<double> steal_ms;  // host steal during the window; nullopt: unknown
};

struct TimelineRow {
  std::uint64_t first_op, ops, end_ns, max_ns, p99_ns, entries;
  WindowSample sample;
  bool migrating;
  std::uint64_t resp_max_ns, resp_p99_ns;
};

enum class EventKind : std::uint8_t { kGrowStart, kMigrationEnd, kOldArrayFreed };
inline const char* event_name(EventKind k) {
  switch (k) {
    case EventKind::kGrowStart: return "grow_start";
    case EventKind::kMigrationEnd: return "migration_end";
    case EventKind::kOldArrayFreed: return "old_array_freed";
  }
  return "?";
}
struct ResizeEvent {
  std::uint64_t op;
  EventKind kind;
  std::uint64_t time_ns;
};

// One resize begun during the measured phase, from its first op to the op that
// completed its migration (the same op for a stop-the-world map).
struct ResizePause {
  std::uint64_t start_op = 0;
  std::uint64_t start_op_ns = 0;
  bool ended = false;
  std::uint64_t end_op = 0;
  std::uint64_t end_op_ns = 0;
  std::uint64_t migration_ops = 0;
  std::uint64_t migration_total_ns = 0;
  std::uint64_t migration_max_ns = 0;
  std::uint64_t migration_max_op = 0;
  std::uint64_t entries_at_start = 0;
  std::uint64_t live_bytes_at_start = 0;
};

// Service time by operation kind and by whether a migration was running when the
// op began (ResizeCounters::migrating after the previous op).
struct KindHistograms {
  LatencyHistogram steady, migrating;
};

struct LoopResult {
  LatencyHistogram service;
  KindHistograms by_kind[3];  // indexed by OpKind: insert, find, erase (ops with kind() only)
  LatencyHistogram response;  // open loop only
  LatencyHistogram noise;     // the interleaved empty ops
  TopK top_service;
  TopK top_response;
  std::vector<TimelineRow> timeline;
  std::vector<ResizeEvent> events;
  bool events_truncated = false;
  std::vector<ResizePause> resizes;
  std::uint64_t elapsed_ns = 0;
  std::uint64_t late_ops = 0;
  std::uint64_t noise_every = 0;    // LoopConfig::noise_every of the loop
  std::uint64_t noise_wall_ns = 0;  // from the phase's start to the last noise sample
  // Largest service time / noise sample in windows whose host steal was 0; nullopt
  // when no window was known to be quiet.
  std::optional<std::uint64_t> max_quiet_ns, noise_max_quiet_ns;
  std::uint64_t quiet_windows = 0;
  std::uint64_t maintenance_calls = 0;
  std::uint64_t maintenance_total_ns = 0;
  std::uint64_t maintenance_max_ns = 0;

  explicit LoopResult(int k) : top_service(k), top_response(k) {}
};

struct NullProbe {
  ResizeCounters counters() const { return {}; }
  std::uint64_t entries() const { return 0; }
  std::uint64_t live_bytes() const { return 0; }
  void maintenance(std::chrono::nanoseconds) {}
  void after_op() {}
  WindowSample window_sample() { return {}; }
};

namespace detail {
// Exact p99 (rank ceil(0.99 w)) and max of a window's samples; reorders them.
inline void window_stats(std::uint64_t* v, std::size_t n, std::uint64_t& p99, std::uint64_t& max) {
  if (n == 0) {
    p99 = max = 0;
    return;
  }
  std::size_t rank = (n * 99 + 99) / 100;  // ceil(0.99 n), >= 1
  std::nth_element(v, v + (rank - 1), v + n);
  p99 = v[rank - 1];
  max = *std::max_element(v + (rank - 1), v + n);
}

inline void raise_to(std::optional<std::uint64_t>& m, std::uint64_t v) {
  if (!m || v > *m) m = v;
}

// Resize bookkeeping from ResizeCounters deltas, written once for the ops and for
// maintenance calls (which may complete a migration between two ops).
class ResizeTracker {
 public:
  ResizeTracker(LoopResult& r, std::size_t max_events) : r_(r), max_events_(max_events) {}

  // A migration left over from an untimed phase is tracked from op 0.
  void begin(const ResizeCounters& c, std::uint64_t entries, std::uint64_t live_bytes) {
    last_ = c;
    if (c.migrating) open(0, 0, entries, live_bytes);
  }

  // Counters after op i (op_ns: its service time) or after a maintenance call
  // (op_ns: nullopt) that ran after op i; at_ns: time since the phase began.
  void observe(const ResizeCounters& c, std::uint64_t i, std::optional<std::uint64_t> op_ns, std::uint64_t at_ns,
               std::uint64_t entries, std::uint64_t live_bytes) {
    if (c.grows_started != last_.grows_started || c.migrations_completed != last_.migrations_completed ||
        c.old_arrays_freed != last_.old_arrays_freed) [[unlikely]] {
      for (auto k = last_.grows_started; k < c.grows_started; ++k) {
        event(i, EventKind::kGrowStart, at_ns);
        if (open_) close(i, op_ns.value_or(0));  // a new grow closes an unfinished one
        open(i, op_ns.value_or(0), entries, live_bytes);
      }
      for (auto k = last_.migrations_completed; k < c.migrations_completed; ++k) {
        event(i, EventKind::kMigrationEnd, at_ns);
      }
      for (auto k = last_.old_arrays_freed; k < c.old_arrays_freed; ++k) event(i, EventKind::kOldArrayFreed, at_ns);
    }
    if (open_) {
      ResizePause& p = r_.resizes.back();
      if (op_ns) {
        ++p.migration_ops;
        p.migration_total_ns += *op_ns;
        if (p.migration_ops == 1 || *op_ns > p.migration_max_ns) {
          p.migration_max_ns = *op_ns;
          p.migration_max_op = i;
        }
      }
      if (c.migrations_completed != last_.migrations_completed || !c.migrating) close(i, op_ns.value_or(0));
    }
    last_ = c;
  }

 private:
  void open(std::uint64_t i, std::uint64_t ns, std::uint64_t entries, std::uint64_t live_bytes) {
    ResizePause p;
    p.start_op = i;
    p.start_op_ns = ns;
    p.entries_at_start = entries;
    p.live_bytes_at_start = live_bytes;
    p.migration_max_op = i;
    r_.resizes.push_back(p);
    open_ = true;
  }
  void close(std::uint64_t i, std::uint64_t ns) {
    ResizePause& p = r_.resizes.back();
    p.ended = true;
    p.end_op = i;
    p.end_op_ns = ns;
    open_ = false;
  }
  void event(std::uint64_t i, EventKind k, std::uint64_t at_ns) {
    if (r_.events.size() >= max_events_) {
      r_.events_truncated = true;
      return;
    }
    r_.events.push_back({i, k, at_ns});
  }

  LoopResult& r_;
  std::size_t max_events_;
  ResizeCounters last_;
  bool open_ = false;
};
}  // namespace detail

template <class Clock, class Op, class Probe>
void timed_loop(const Clock& clock, const LoopConfig& cfg, Op& op, Probe& probe, LoopResult& r) {
  const double tpn = 1.0 / clock.ns_per_tick();
  const double npt = clock.ns_per_tick();
  const std::uint64_t window = std::max<std::uint64_t>(1, cfg.window);
  std::vector<std::uint64_t> win(window), win_resp(cfg.open_loop ? window : 0);
  r.timeline.reserve(cfg.ops / window + 2);
  r.resizes.reserve(64);
  r.events.reserve(256);
  const double interval_ticks = cfg.open_loop ? 1e9 / cfg.rate * tpn : 0.0;
  const std::uint64_t maint_every = static_cast<std::uint64_t>(cfg.maintenance_interval_ms * 1e6 * tpn);
  const auto maint_budget = std::chrono::nanoseconds(static_cast<std::int64_t>(cfg.maintenance_budget_us * 1e3));
  const std::uint64_t progress_every = static_cast<std::uint64_t>(cfg.progress_seconds * 1e9 * tpn);

  r.noise_every = cfg.noise_every;
  detail::ResizeTracker resizes(r, cfg.max_events);
  resizes.begin(probe.counters(), probe.entries(), probe.live_bytes());
  std::uint64_t in_win = 0, win_first = 0, win_noise_max = 0, since_noise = 0;
  std::uint64_t noise_first = 0, noise_last = 0;
  bool migrating = probe.counters().migrating;  // state before the next op
  const std::uint64_t t0 = clock.now();
  std::uint64_t next_maint = t0 + maint_every;
  std::uint64_t next_progress = t0 + progress_every;
  std::uint64_t e = t0;

  auto to_ns = [&](std::uint64_t ticks) { return static_cast<std::uint64_t>(static_cast<double>(ticks) * npt + 0.5); };

  for (std::uint64_t i = 0; i < cfg.ops; ++i) {
    op.prepare(i);
    std::uint64_t scheduled = 0;
    if (cfg.open_loop) {
      scheduled = t0 + static_cast<std::uint64_t>(static_cast<double>(i) * interval_ticks);
      clock.wait_until(scheduled);
    }
    const std::uint64_t s = clock.start();
    op.execute();
    e = clock.stop();
    const std::uint64_t ns = to_ns(e - s);
    r.service.record(ns);
    if constexpr (requires { op.kind(); }) {
      KindHistograms& k = r.by_kind[static_cast<int>(op.kind())];
      (migrating ? k.migrating : k.steady).record(ns);
    }
    r.top_service.record(i, ns);
    win[in_win] = ns;
    if (cfg.open_loop) {
      const std::uint64_t resp = to_ns(e - scheduled);
      r.response.record(resp);
      r.top_response.record(i, resp);
      win_resp[in_win] = resp;
      if (s > scheduled && s - scheduled > static_cast<std::uint64_t>(interval_ticks)) ++r.late_ops;
    }
    ++in_win;
    probe.after_op();
    const ResizeCounters c = probe.counters();
    migrating = c.migrating;
    resizes.observe(c, i, ns, to_ns(e - t0), probe.entries(), probe.live_bytes());

    if (cfg.noise_every != 0 && ++since_noise == cfg.noise_every) {
      since_noise = 0;
      const std::uint64_t ns0 = clock.start();
      asm volatile("" ::: "memory");
      const std::uint64_t ns1 = clock.stop();
      const std::uint64_t noise_ns = to_ns(ns1 - ns0);
      r.noise.record(noise_ns);
      win_noise_max = std::max(win_noise_max, noise_ns);
      if (noise_first == 0) noise_first = ns0;
      noise_last = ns1;
    }

    if (in_win == window || i + 1 == cfg.ops) {
      TimelineRow row{};
      row.first_op = win_first;
      row.ops = in_win;
      row.end_ns = to_ns(e - t0);
      detail::window_stats(win.data(), in_win, row.p99_ns, row.max_ns);
      if (cfg.open_loop) detail::window_stats(win_resp.data(), in_win, row.resp_p99_ns, row.resp_max_ns);
      row.sample = probe.window_sample();
      row.entries = probe.entries();
      row.migrating = migrating;
      if (row.sample.steal_ms && *row.sample.steal_ms == 0) {
        ++r.quiet_windows;
        detail::raise_to(r.max_quiet_ns, row.max_ns);
        if (cfg.noise_every != 0) detail::raise_to(r.noise_max_quiet_ns, win_noise_max);
      }
      r.timeline.push_back(row);
      win_first = i + 1;
      in_win = 0;
      win_noise_max = 0;
    }
    if (progress_every != 0 && e >= next_progress) [[unlikely]] {
      std::fprintf(stderr, "  %s: %llu/%llu ops, %.1f s\n", cfg.label, static_cast<unsigned long long>(i + 1),
                   static_cast<unsigned long long>(cfg.ops), static_cast<double>(e - t0) * npt / 1e9);
      next_progress = e + progress_every;
    }
    if (cfg.maintenance && e >= next_maint) [[unlikely]] {
      const std::uint64_t ms = clock.start();
      probe.maintenance(maint_budget);
      const std::uint64_t me = clock.stop();
      const std::uint64_t mns = to_ns(me - ms);
      ++r.maintenance_calls;
      r.maintenance_total_ns += mns;
      r.maintenance_max_ns = std::max(r.maintenance_max_ns, mns);
      next_maint = me + maint_every;
      // Maintenance may migrate: its counter changes are attributed to op i.
      const ResizeCounters mc = probe.counters();
      migrating = mc.migrating;
      resizes.observe(mc, i, std::nullopt, to_ns(me - t0), probe.entries(), probe.live_bytes());
    }
  }
  r.elapsed_ns = to_ns(e - t0);
  if (noise_first != 0) r.noise_wall_ns = to_ns(noise_last - t0);
}

}  // namespace rehashlab
