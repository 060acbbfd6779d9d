// Runs one map through one workload in this process and writes its results files
// (results/README.md). Instantiated once per (key, value) pair, in its own
// translation unit (run_types_*.cc), for every map in AllMaps.
#pragma once

#include <cmath>
#include <cstdio>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "harness/atomic_file.h"
#include "harness/histogram.h"
#include "harness/host_steal.h"
#include "harness/json.h"
#include "harness/provenance.h"
#include "harness/run_config.h"
#include "harness/timed_loop.h"
#include "harness/timer.h"
#include "maps/registry.h"
#include "workloads/keys.h"
#include "workloads/workload.h"

namespace rehashlab {

// Bytes-per-entry samples at N/2 * 2^(j/8), j = 0..8 (one doubling).
struct DoublingSample {
  std::uint64_t entries, live_bytes;
};

template <class M>
class MapProbe {
 public:
  MapProbe(M& map, const MemoryCounter& mem, std::uint64_t n) : map_(map), mem_(mem) {
    for (int j = 0; j <= 8; ++j) {
      const auto e = static_cast<std::uint64_t>(std::llround(static_cast<double>(n) / 2.0 * std::pow(2.0, j / 8.0)));
      if (e > 0 && (checkpoints_.empty() || e > checkpoints_.back())) checkpoints_.push_back(e);
    }
    samples_.reserve(checkpoints_.size());
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
  const std::vector<DoublingSample>& samples() const { return samples_; }

 private:
  M& map_;
  const MemoryCounter& mem_;
  std::vector<std::uint64_t> checkpoints_;
  std::size_t next_ = 0;
  std::vector<DoublingSample> samples_;
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
  void execute() {
    std::uint64_t r;
    switch (kind_) {
      case OpKind::kInsert:
        r = map_.insert_or_assign(key_, value_) ? 1 : 0;
        new_keys_ += r;
        break;
      case OpKind::kFind: {
        const V* v = map_.find(key_);
        r = v != nullptr ? value_word(*v) : kFindMiss;
        break;
      }
      case OpKind::kErase:
      default:
        r = map_.erase(key_) ? 1 : 0;
        break;
    }
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

struct EmptyOp {
  void prepare(std::uint64_t) {}
  void execute() { asm volatile("" ::: "memory"); }
};

// Shared, non-template parts (runner.cc).
struct RunContext {
  std::string date;
  GitInfo git;
  Clock clock;
  TimerOverhead overhead;
  LoopResult noise{16};
  std::uint64_t noise_ops = 0;
  std::uint64_t noise_open_ops = 0;
  double instrument_overhead_ns = 0;
  std::vector<std::string> argv;
};
// Calibrates the clock, measures overhead and the noise floor.
void prepare_context(const RunConfig& cfg, RunContext& ctx);
LoopConfig loop_config(const RunConfig& cfg, std::uint64_t ops, const char* label);

struct MapOutcome {
  std::uint64_t load_ops = 0, ops = 0;
  std::uint64_t peak_bytes = 0, final_bytes = 0, allocations = 0, deallocations = 0, final_entries = 0;
  std::uint64_t new_keys = 0, payload_bytes_per_entry = 0;
  ResizeCounters counters_start, counters_end;
  std::vector<std::pair<std::string, std::uint64_t>> map_counters;
  std::vector<DoublingSample> doubling;
  std::string checksum;
  unsigned long long rss_baseline = 0, rss_final = 0, rss_peak = 0;
  std::optional<double> steal_ms;  // host steal during the measured phase (host_steal.h)
};
// Writes the .hgrm, .csv and .json files; returns the exit status.
int write_run_results(const RunConfig& cfg, const RunContext& ctx, const LoopResult& r, const MapOutcome& m);

// The run's map: in-house maps get the run's AllocMode (require_alloc_supported
// has rejected other modes for the rest).
template <class M>
M make_map(const RunConfig& cfg, MemoryCounter& mem) {
  if constexpr (std::is_constructible_v<M, const typename M::hasher&, MemoryCounter&, AllocMode>) {
    return M(typename M::hasher{cfg.hash_seed}, mem, cfg.alloc);
  } else {
    return M(typename M::hasher{cfg.hash_seed}, mem);
  }
}

template <class M>
int run_map(const RunConfig& cfg, RunContext& ctx) {
  MapOutcome out;
  out.rss_baseline = rss_bytes();
  Workload w(cfg.workload);
  MemoryCounter mem;
  LoopResult result(cfg.top_k);
  {
    M map = make_map<M>(cfg, mem);
    MapProbe<M> probe(map, mem, cfg.workload.n);
    MapOp<M> op(map, w);
    out.load_ops = w.load_ops();
    for (std::uint64_t i = 0; i < out.load_ops; ++i) {
      op.set(w.load_op(i));
      op.execute();
      probe.after_op();
    }
    out.counters_start = map.resize_counters();
    out.ops = w.ops();
    const std::string label = cfg.run_id();
    const std::optional<double> steal_before = host_steal_ms();
    timed_loop(ctx.clock, loop_config(cfg, out.ops, label.c_str()), op, probe, result);
    out.steal_ms = steal_since(steal_before);
    out.peak_bytes = mem.peak_bytes();
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
    out.rss_final = rss_bytes();
    out.rss_peak = rss_peak_bytes();
  }
  return write_run_results(cfg, ctx, result, out);
}

template <class K, class V>
int run_one_typed(const RunConfig& cfg) {
  RunContext ctx;
  prepare_context(cfg, ctx);
  int status = 2;
  const bool found = AllMaps::with_map<K, V, SeededHash<K>>(
      cfg.map, [&]<class M>(std::type_identity<M>) { status = run_map<M>(cfg, ctx); });
  if (!found) throw cli::UsageError("unknown map '" + cfg.map + "' (valid maps: " + map_names_joined() + ")");
  return status;
}

}  // namespace rehashlab
