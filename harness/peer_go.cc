// The go_runtime peer in the harness: the real Go 1.19 map (peers/go_runtime) runs
// the run's operations, timing each with its own monotonic clock; its recorded
// times then go through the same timed_loop as any map's (a clock that returns the
// recorded start and end of op i), so histograms, top-k, timeline, resizes and the
// results files are computed by the same code.
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "harness/catalog.h"
#include "harness/cli.h"
#include "harness/peers.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "peers/go_runtime_peer.h"
#include "workloads/trace.h"

namespace rehashlab {
namespace {

// Op i's recorded start and end (ns since the peer's t0). now() is t0 before the
// first op and the end of the current op after it.
class RecordedClock {
 public:
  explicit RecordedClock(const peers::GoRunResult& r) : r_(r) {}
  void select(std::uint64_t i) const { i_ = i; }
  std::uint64_t start() const { return r_.start_ns[i_]; }
  std::uint64_t stop() const {
    started_ = true;
    return r_.start_ns[i_] + r_.dur_ns[i_];
  }
  std::uint64_t now() const { return started_ ? stop() : 0; }
  std::uint64_t wait_until(std::uint64_t t) const { return t; }  // the peer waited itself
  double ns_per_tick() const { return 1.0; }

 private:
  const peers::GoRunResult& r_;
  mutable std::uint64_t i_ = 0;
  mutable bool started_ = false;
};

struct RecordedOp {
  const RecordedClock& clock;
  const std::vector<OpKind>& kinds;
  std::uint64_t i = 0;
  void prepare(std::uint64_t idx) {
    i = idx;
    clock.select(idx);
  }
  void execute() {}
  OpKind kind() const { return kinds[i]; }
};

// The map's state after each op, from the peer's events and window samples.
class RecordedProbe {
 public:
  RecordedProbe(const peers::GoRunResult& r, std::uint64_t load_ops) : r_(r), load_(load_ops) {
    apply_events_through(load_ops == 0 ? -1 : static_cast<std::int64_t>(load_ops) - 1);
    if (!r_.memory.empty()) {
      live_ = r_.memory[0].map_bytes;
      count_ = r_.memory[0].count;
    }
  }
  ResizeCounters counters() const { return counters_; }
  std::uint64_t entries() const { return count_; }
  std::uint64_t live_bytes() const { return live_; }
  void maintenance(std::chrono::nanoseconds) {}
  void after_op() { apply_events_through(static_cast<std::int64_t>(load_ + op_++)); }
  WindowSample window_sample() {
    WindowSample s;
    if (next_sample_ < r_.memory.size()) {
      const peers::GoMemorySample& m = r_.memory[next_sample_++];
      live_ = m.map_bytes;
      count_ = m.count;
      s.steal_ms = m.steal_ms;
    }
    s.live_bytes = live_;
    s.peak_bytes = live_;  // sampled at window ends only
    return s;
  }

 private:
  void apply_events_through(std::int64_t op) {
    while (next_event_ < r_.events.size() && static_cast<std::int64_t>(r_.events[next_event_].op) <= op) {
      const peers::GoEvent& e = r_.events[next_event_++];
      if (e.kind == peers::GoEventKind::kGrowStart) ++counters_.grows_started;
      else ++counters_.migrations_completed;
      count_ = e.count;
    }
    counters_.migrating = counters_.grows_started > counters_.migrations_completed;
  }

  const peers::GoRunResult& r_;
  std::uint64_t load_;
  std::uint64_t op_ = 0;
  std::size_t next_event_ = 0, next_sample_ = 1;  // sample 0 is the end of the load phase
  ResizeCounters counters_;
  std::uint64_t live_ = 0, count_ = 0;
};

Json peer_json(const peers::GoRunResult& r) {
  Json p;
  p["kind"] = "go_runtime";
  p["version"] = r.go_version;
  p["gc"] = r.gc ? "on" : "off";
  p["gc_percent"] = r.gc_percent;
  p["clock"] = "Go runtime.nanotime (CLOCK_MONOTONIC), a pair around each op";
  p["clock_overhead_median_ns"] = r.clock_overhead_median_ns;
  p["clock_overhead_min_ns"] = r.clock_overhead_min_ns;
  p["memory_sample_ns"] = r.metrics_read_median_ns;
  p["sampling_ns"] = r.sampling_ns;
  std::uint64_t heap_peak = 0;
  for (const auto& m : r.memory) heap_peak = std::max<std::uint64_t>(heap_peak, m.heap_objects_bytes);
  p["heap_baseline_bytes"] = r.heap_baseline_bytes;
  p["heap_peak_bytes"] = heap_peak;
  p["heap_final_bytes"] = r.memory.empty() ? 0 : r.memory.back().heap_objects_bytes;
  p["gc_cycles_load"] = r.gc_cycles_load;
  p["gc_cycles_measured"] = r.gc_cycles_measured;
  p["gomaxprocs"] = r.map.gomaxprocs;
  p["bucket_bytes"] = r.map.bucket_bytes;
  p["indirect_key"] = r.map.indirect_key;
  p["indirect_elem"] = r.map.indirect_elem;
  p["memory_source"] =
      "live/peak bytes: the map's own structure computed from hmap at window ends (buckets, the old array "
      "while growing, overflow buckets); the Go heap separately (heap_*); no RSS";
  return p;
}

int run_go(const RunConfig& cfg) {
  RunContext ctx;
  ctx.date = utc_now_iso8601();
  ctx.git = read_git_info();
  ctx.argv = recorded_argv();
  ctx.clock = Clock::calibrate(Clock::Want::kSteady, cfg.calibration_ms);

  Workload w(cfg.workload);
  const std::uint64_t load = w.load_ops(), measured = w.ops();
  std::vector<OpKind> kinds;
  kinds.reserve(measured);
  peers::GoRunConfig gc;
  gc.key = cfg.key;
  gc.value_bytes = static_cast<int>(cfg.value_bytes);
  gc.gc = cfg.go_gc.value_or(true);
  gc.rate = cfg.open_loop ? cfg.rate : 0;
  gc.window = cfg.window;
  gc.noise_every = cfg.noise_ops == 0 ? 0 : std::max<std::uint64_t>(1, measured / cfg.noise_ops);
  gc.uninstrumented = !cfg.open_loop && cfg.uninstrumented;
  const std::uint64_t rss0 = RssReader().read();
  const peers::GoRunResult r = peers::run_go_runtime(gc, load, load + measured, [&](std::uint64_t i) {
    if (i < load) return w.load_op(i);
    const GenOp g = w.next();
    kinds.push_back(g.kind);
    return g;
  });
  ctx.overhead.median_ns = r.clock_overhead_median_ns;
  ctx.overhead.min_ns = r.clock_overhead_min_ns;
  ctx.instrument_overhead_ns = r.clock_overhead_median_ns;

  // The recorded times through the harness's own loop.
  RecordedClock clock(r);
  RecordedOp op{clock, kinds};
  RecordedProbe probe(r, load);
  LoopConfig l = loop_config(cfg, measured, "go_runtime");
  l.noise_every = 0;  // the peer's own interleaved floor, added below
  l.maintenance = false;
  l.progress_seconds = 0;
  LoopResult result(cfg.top_k);
  timed_loop(clock, l, op, probe, result);

  // The peer's noise floor: sample j followed measured op (j+1)*k - 1.
  result.noise_every = r.noise_every;
  for (std::size_t j = 0; j < r.noise_ns.size(); ++j) {
    result.noise.record(r.noise_ns[j]);
    const std::uint64_t window = ((j + 1) * r.noise_every - 1) / std::max<std::uint64_t>(1, cfg.window);
    if (window < result.timeline.size()) {
      const auto& steal = result.timeline[window].sample.steal_ms;
      if (steal && *steal == 0 && (!result.noise_max_quiet_ns || r.noise_ns[j] > *result.noise_max_quiet_ns)) {
        result.noise_max_quiet_ns = r.noise_ns[j];
      }
    }
  }
  if (!r.noise_ns.empty()) {  // from t0 to the end of the op the last sample followed
    const std::uint64_t last = std::min<std::uint64_t>(r.noise_ns.size() * r.noise_every - 1, measured - 1);
    result.noise_wall_ns = r.start_ns[last] + r.dur_ns[last];
  }

  MapOutcome out;
  out.load_ops = load;
  out.ops = measured;
  for (const auto& m : r.memory) out.peak_bytes = std::max<std::uint64_t>(out.peak_bytes, m.map_bytes);
  out.final_bytes = r.memory.empty() ? 0 : r.memory.back().map_bytes;
  out.final_entries = r.memory.empty() ? 0 : r.memory.back().count;
  out.counters_start = RecordedProbe(r, load).counters();
  out.counters_end = probe.counters();
  out.payload_bytes_per_entry = 0;  // not observable in Go: write amplification is null for the peer
  double steal = 0;
  bool steal_known = !r.memory.empty();
  for (std::size_t i = 1; i < r.memory.size(); ++i) {
    if (r.memory[i].steal_ms) steal += *r.memory[i].steal_ms;
    else steal_known = false;
  }
  if (steal_known) out.steal_ms = steal;
  if (!r.memory.empty()) {
    const auto& last = r.memory.back();
    out.map_counters = {{"log2_buckets", last.b},
                        {"growing", last.growing ? 1 : 0},
                        {"gc_cycles_measured", r.gc_cycles_measured},
                        {"heap_objects_bytes", last.heap_objects_bytes}};
  }
  out.checksum = r.checksum;
  out.rss_baseline = rss0;
  out.rss_final = RssReader().read();
  out.rss_peak = rss_peak_bytes();
  if (r.uninstrumented_ns > 0) out.ops_per_sec_uninstrumented = static_cast<double>(measured) * 1e9 / static_cast<double>(r.uninstrumented_ns);
  out.peer = peer_json(r);
  return write_run_results(cfg, ctx, result, out);
}

int replay_go(const std::string& trace, std::uint64_t hash_seed) {
  const std::vector<Op> ops = load_trace(trace);  // TraceError -> exit 2 in main
  std::vector<GenOp> gen;
  gen.reserve(ops.size());
  for (const Op& op : ops) gen.push_back({op.kind, op.key, op.value});
  peers::GoRunConfig gc;
  const peers::GoRunResult r = peers::run_go_runtime(gc, 0, gen);
  Json out;
  out["map"] = "go_runtime";
  out["trace"] = trace;
  out["ops"] = ops.size();
  out["size"] = r.memory.empty() ? 0 : r.memory.back().count;
  out["checksum"] = r.checksum;
  out["hash_seed"] = hash_seed;
  out["hash_seed_used"] = false;  // the Go runtime seeds its map itself (hash0)
  out["version"] = r.go_version;
  cli::write_stdout(out.dump() + "\n");
  return 0;
}

}  // namespace

PeerInfo go_runtime_peer() {
  return {"go_runtime", "the real Go 1.19 runtime map (peers/go_runtime), driven with the same ops; --go-gc=on|off",
          &run_go, &replay_go};
}

}  // namespace rehashlab
