// Runs one map through one workload in this process and writes its results files
// (results/README.md). Instantiated once per (key, value) pair, in its own
// translation unit (run_types_*.cc), for every map in AllMaps.
//
// A run: clock calibration and overheads (prepare_context); the map is built and
// the load phase runs untimed; the measured phase runs in timed_loop with the noise
// floor interleaved; then, closed loop, the same ops run again on a fresh map
// timed as a whole (throughput without the per-op instrument).
#pragma once

#include <cmath>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "harness/cli.h"
#include "harness/host_steal.h"
#include "harness/report.h"
#include "harness/run_config.h"
#include "harness/timed_loop.h"
#include "harness/timer.h"
#include "maps/registry.h"
#include "workloads/apply.h"
#include "workloads/keys.h"
#include "workloads/workload.h"

namespace rehashlab {

// Process RSS through one open /proc/self/statm (cheap enough per window).
class RssReader {
 public:
  RssReader();
  ~RssReader();
  RssReader(const RssReader&) = delete;
  RssReader& operator=(const RssReader&) = delete;
  std::uint64_t read() const;  // bytes; 0 if unreadable

 private:
  int fd_;
};

// The timed loop's view of a map: resize counters, memory per window (counting
// allocator, RSS, host steal), and the bytes-per-entry samples over the last doubling.
template <class M>
class MapProbe {
 public:
  MapProbe(M& map, MemoryCounter& mem, std::uint64_t n) : map_(map), mem_(mem) {
    for (int j = 0; j <= 8; ++j) {
      const auto e = static_cast<std::uint64_t>(std::llround(static_cast<double>(n) / 2.0 * std::pow(2.0, j / 8.0)));
      if (e > 0 && (checkpoints_.empty() || e > checkpoints_.back())) checkpoints_.push_back(e);
    }
    samples_.reserve(checkpoints_.size());
  }
  // Starts the measured phase: window peaks and steal are counted from here.
  void begin_measured() {
    peak_ = mem_.peak_bytes();
    mem_.reset_peak();
    last_steal_ = steal_.read();
  }
  ResizeCounters counters() const { return map_.resize_counters(); }
  std::uint64_t live_bytes() const { return mem_.live_bytes(); }
  std::uint64_t entries() const { return map_.size(); }
  void maintenance(std::chrono::nanoseconds budget) { map_.maintenance(budget); }
  void after_op() {
    if (next_ < checkpoints_.size() && map_.size() >= checkpoints_[next_]) [[unlikely]] {
      samples_.push_back({map_.size(), mem_.live_bytes()});
      ++next_;
    }
  }
  WindowSample window_sample() {
    WindowSample s;
    s.live_bytes = mem_.live_bytes();
    s.peak_bytes = mem_.peak_bytes();
    peak_ = std::max(peak_, s.peak_bytes);
    mem_.reset_peak();
    s.rss_bytes = rss_.read();
    const std::optional<double> now = steal_.read();
    if (now && last_steal_) s.steal_ms = *now - *last_steal_;
    last_steal_ = now;
    return s;
  }
  // Largest live bytes over the load phase and every window so far.
  std::uint64_t peak_bytes() const { return std::max(peak_, mem_.peak_bytes()); }
  const std::vector<DoublingSample>& samples() const { return samples_; }

 private:
  M& map_;
  MemoryCounter& mem_;
  std::vector<std::uint64_t> checkpoints_;
  std::size_t next_ = 0;
  std::vector<DoublingSample> samples_;
  std::uint64_t peak_ = 0;
  StealReader steal_;
  std::optional<double> last_steal_;
  RssReader rss_;
};

// prepare(): generate the next op and build its key/value (untimed).
// execute(): the map call alone, plus folding its result into the checksum.
template <class M>
class MapOp {
 public:
  using K = typename M::key_type;
  using V = typename M::mapped_type;
  MapOp(M& map, Workload& w) : map_(map), w_(w) {}

  void set(const GenOp& g) {
    kind_ = g.kind;
    key_ = make_key<K>(g.key);
    if (g.kind == OpKind::kInsert) value_ = make_value<V>(g.value);
  }
  void prepare(std::uint64_t) { set(w_.next()); }
  OpKind kind() const { return kind_; }
  void execute() {
    const std::uint64_t r = apply_op(map_, kind_, key_, value_);
    if (kind_ == OpKind::kInsert) new_keys_ += r;
    sum_.add(r);
  }
  std::uint64_t new_keys() const { return new_keys_; }
  const Checksum& checksum() const { return sum_; }

 private:
  M& map_;
  Workload& w_;
  OpKind kind_ = OpKind::kFind;
  K key_{};
  V value_{};
  Checksum sum_;
  std::uint64_t new_keys_ = 0;
};

// Clock calibration, timer and instrument overheads, date, provenance.
void prepare_context(const RunConfig& cfg, RunContext& ctx);
LoopConfig loop_config(const RunConfig& cfg, std::uint64_t ops, const char* label);

// The run's map: in-house maps get the run's AllocMode.
template <class M>
M make_map(const RunConfig& cfg, MemoryCounter& mem) {
  if constexpr (std::is_constructible_v<M, const typename M::hasher&, MemoryCounter&, AllocMode>) {
    return M(typename M::hasher{cfg.hash_seed}, mem, cfg.alloc.value_or(AllocMode::kFresh));
  } else {
    return M(typename M::hasher{cfg.hash_seed}, mem);
  }
}

// Runs the load phase of `w` on `op` untimed; returns the number of load ops.
template <class M>
std::uint64_t run_load_phase(Workload& w, MapOp<M>& op, MapProbe<M>* probe) {
  for (std::uint64_t i = 0; i < w.load_ops(); ++i) {
    op.set(w.load_op(i));
    op.execute();
    if (probe) probe->after_op();
  }
  return w.load_ops();
}

// The same ops on a fresh map, timed as a whole: ops per second without the
// per-op instrument (generating each op is included, as in the timed loop).
template <class M>
double uninstrumented_ops_per_sec(const RunConfig& cfg, const Clock& clock) {
  Workload w(cfg.workload);
  MemoryCounter mem;
  M map = make_map<M>(cfg, mem);
  MapOp<M> op(map, w);
  run_load_phase<M>(w, op, nullptr);
  const std::uint64_t ops = w.ops();
  const std::uint64_t t0 = clock.now();
  for (std::uint64_t i = 0; i < ops; ++i) {
    op.prepare(i);
    op.execute();
  }
  const double seconds = static_cast<double>(clock.now() - t0) * clock.ns_per_tick() / 1e9;
  return seconds > 0 ? static_cast<double>(ops) / seconds : 0.0;
}

template <class M>
int run_map(const RunConfig& cfg, RunContext& ctx) {
  MapOutcome out;
  out.rss_baseline = RssReader().read();
  Workload w(cfg.workload);
  MemoryCounter mem;
  LoopResult result(cfg.top_k);
  {
    M map = make_map<M>(cfg, mem);
    MapProbe<M> probe(map, mem, cfg.workload.n);
    MapOp<M> op(map, w);
    out.load_ops = run_load_phase<M>(w, op, &probe);
    out.counters_start = map.resize_counters();
    out.ops = w.ops();
    const std::string label = cfg.run_id();
    probe.begin_measured();
    const std::optional<double> steal_before = host_steal_ms();
    timed_loop(ctx.clock, loop_config(cfg, out.ops, label.c_str()), op, probe, result);
    out.steal_ms = steal_since(steal_before);
    out.peak_bytes = probe.peak_bytes();
    out.final_bytes = mem.live_bytes();
    out.allocations = mem.allocations();
    out.deallocations = mem.deallocations();
    out.final_entries = map.size();
    out.counters_end = map.resize_counters();
    out.new_keys = op.new_keys();
    out.payload_bytes_per_entry = sizeof(typename M::key_type) + sizeof(typename M::mapped_type);
    map.for_each_counter([&](std::string_view name, std::uint64_t v) { out.map_counters.emplace_back(std::string(name), v); });
    out.doubling = probe.samples();
    out.checksum = op.checksum().hex();
    out.rss_final = RssReader().read();
    out.rss_peak = rss_peak_bytes();
  }
  if (!cfg.open_loop && cfg.uninstrumented) out.ops_per_sec_uninstrumented = uninstrumented_ops_per_sec<M>(cfg, ctx.clock);
  return write_run_results(cfg, ctx, result, out);
}

template <class K, class V>
int run_one_typed(const RunConfig& cfg) {
  RunContext ctx;
  prepare_context(cfg, ctx);
  int status = 2;
  const bool found = AllMaps::with_map<K, V, SeededHash<K>>(
      cfg.map, [&]<class M>(std::type_identity<M>) { status = run_map<M>(cfg, ctx); });
  if (!found) throw cli::UsageError("unknown map '" + cfg.map + "'");
  return status;
}

}  // namespace rehashlab
