// The measurement loop: one timed operation at a time, closed or open loop, with
// the histograms, top-k, per-window timeline, resize events and pause tracking, and
// the idle-time maintenance schedule. Used identically for a map, for the noise
// floor (an empty op) and for tests (a fake clock and a fake op).
//
// Per op i:
//   op.prepare(i)                       untimed: generate the key/value
//   open loop: wait until t0 + i/R      (scheduled start; never skips ahead)
//   s = clock.start(); op.execute(); e = clock.stop();
//   service = e - s; response = e - scheduled (open loop)
//   probe.counters() compared with the previous op's: resize events
//   every `window` ops: a timeline row
//   whenever maintenance_interval has passed: probe.maintenance(budget) (timed apart)
// A stall of P ticks in op k (open loop) makes ops k..k+R*P start late, so their
// response times carry the stall, as clients of a real service would see it.
//
// Clock: start(), stop(), now(), wait_until(tick), ns_per_tick() (harness/timer.h).
// Op: prepare(uint64_t), execute().  Probe: counters() -> ResizeCounters,
// live_bytes(), entries(), maintenance(std::chrono::nanoseconds), after_op().
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "harness/histogram.h"
#include "maps/map_api.h"

namespace rehashlab {

struct LoopConfig {
  std::uint64_t ops = 0;
  bool open_loop = false;
  double rate = 0;              // ops per second (open loop)
  std::uint64_t window = 4096;  // ops per timeline window
  int top_k = 16;
  bool maintenance = false;
  double maintenance_interval_ms = 100;
  double maintenance_budget_us = 1000;
  double progress_seconds = 0;  // 0: no progress line
  const char* label = "";
  std::size_t max_events = 100000;
};

struct TimelineRow {
  std::uint64_t first_op, ops, end_ns, max_ns, p99_ns, live_bytes, entries;
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

struct ResizePause {
  std::uint64_t start_op = 0;
  std::uint64_t start_op_ns = 0;
  bool ended = false;
  std::uint64_t end_op = 0;
  std::uint64_t migration_ops = 0;
  std::uint64_t migration_total_ns = 0;
  std::uint64_t migration_max_ns = 0;
  std::uint64_t entries_at_start = 0;
  std::uint64_t live_bytes_at_start = 0;
};

struct LoopResult {
  LatencyHistogram service;
  LatencyHistogram response;  // open loop only
  TopK top_service;
  TopK top_response;
  std::vector<TimelineRow> timeline;
  std::vector<ResizeEvent> events;
  bool events_truncated = false;
  std::vector<ResizePause> resizes;
  std::uint64_t elapsed_ns = 0;
  std::uint64_t late_ops = 0;
  std::uint64_t maintenance_calls = 0;
  std::uint64_t maintenance_total_ns = 0;
  std::uint64_t maintenance_max_ns = 0;

  explicit LoopResult(int k) : top_service(k), top_response(k) {}
};

struct NullProbe {
  ResizeCounters counters() const { return {}; }
  std::uint64_t live_bytes() const { return 0; }
  std::uint64_t entries() const { return 0; }
  void maintenance(std::chrono::nanoseconds) {}
  void after_op() {}
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

  ResizeCounters last = probe.counters();
  bool in_resize = last.migrating;  // a migration left over from the load phase
  if (in_resize) {
    r.resizes.push_back(ResizePause{});
    r.resizes.back().entries_at_start = probe.entries();
    r.resizes.back().live_bytes_at_start = probe.live_bytes();
  }
  std::uint64_t in_win = 0;
  std::uint64_t win_first = 0;
  const std::uint64_t t0 = clock.now();
  std::uint64_t next_maint = t0 + maint_every;
  std::uint64_t next_progress = t0 + progress_every;
  std::uint64_t e = t0;

  auto to_ns = [&](std::uint64_t ticks) { return static_cast<std::uint64_t>(static_cast<double>(ticks) * npt + 0.5); };
  auto add_event = [&](std::uint64_t i, EventKind k, std::uint64_t at) {
    if (r.events.size() >= cfg.max_events) {
      r.events_truncated = true;
      return;
    }
    r.events.push_back({i, k, to_ns(at - t0)});
  };

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
    if (c.grows_started != last.grows_started || c.migrations_completed != last.migrations_completed ||
        c.old_arrays_freed != last.old_arrays_freed) [[unlikely]] {
      for (auto k = last.grows_started; k < c.grows_started; ++k) {
        add_event(i, EventKind::kGrowStart, e);
        if (in_resize && !r.resizes.back().ended) {  // a new grow closes an unfinished one
          r.resizes.back().ended = true;
          r.resizes.back().end_op = i;
        }
        ResizePause p;
        p.start_op = i;
        p.start_op_ns = ns;
        p.entries_at_start = probe.entries();
        p.live_bytes_at_start = probe.live_bytes();
        r.resizes.push_back(p);
        in_resize = true;
      }
      for (auto k = last.migrations_completed; k < c.migrations_completed; ++k) add_event(i, EventKind::kMigrationEnd, e);
      for (auto k = last.old_arrays_freed; k < c.old_arrays_freed; ++k) add_event(i, EventKind::kOldArrayFreed, e);
    }
    if (in_resize) {
      ResizePause& p = r.resizes.back();
      ++p.migration_ops;
      p.migration_total_ns += ns;
      p.migration_max_ns = std::max(p.migration_max_ns, ns);
      if (c.migrations_completed != last.migrations_completed || !c.migrating) {
        p.ended = true;
        p.end_op = i;
        in_resize = false;
      }
    }
    last = c;

    if (in_win == window || i + 1 == cfg.ops) {
      TimelineRow row{};
      row.first_op = win_first;
      row.ops = in_win;
      row.end_ns = to_ns(e - t0);
      detail::window_stats(win.data(), in_win, row.p99_ns, row.max_ns);
      if (cfg.open_loop) detail::window_stats(win_resp.data(), in_win, row.resp_p99_ns, row.resp_max_ns);
      row.live_bytes = probe.live_bytes();
      row.entries = probe.entries();
      row.migrating = c.migrating;
      r.timeline.push_back(row);
      win_first = i + 1;
      in_win = 0;
      if (progress_every != 0 && e >= next_progress) {
        std::fprintf(stderr, "  %s: %llu/%llu ops, %.1f s\n", cfg.label, static_cast<unsigned long long>(i + 1),
                     static_cast<unsigned long long>(cfg.ops), static_cast<double>(e - t0) * npt / 1e9);
        next_progress = e + progress_every;
      }
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
      // Maintenance may migrate: attribute its counter changes to op i.
      const ResizeCounters mc = probe.counters();
      for (auto k = last.migrations_completed; k < mc.migrations_completed; ++k) add_event(i, EventKind::kMigrationEnd, me);
      for (auto k = last.old_arrays_freed; k < mc.old_arrays_freed; ++k) add_event(i, EventKind::kOldArrayFreed, me);
      if (in_resize && mc.migrations_completed != last.migrations_completed) {
        r.resizes.back().ended = true;
        r.resizes.back().end_op = i;
        in_resize = false;
      }
      last.migrations_completed = mc.migrations_completed;
      last.old_arrays_freed = mc.old_arrays_freed;
      last.migrating = mc.migrating;
    }
  }
  r.elapsed_ns = to_ns(e - t0);
}

}  // namespace rehashlab
