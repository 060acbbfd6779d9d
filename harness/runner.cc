// The non-template half of a run: clock, overheads, noise floor, results files.
#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "harness/runner.h"

namespace rehashlab {
namespace {

void write_percentiles(JsonWriter& o, const LatencyHistogram& h) {
  o.field("p50_ns", h.value_at_percentile(50));
  o.field("p90_ns", h.value_at_percentile(90));
  o.field("p99_ns", h.value_at_percentile(99));
  o.field("p999_ns", h.value_at_percentile(99.9));
  o.field("p9999_ns", h.value_at_percentile(99.99));
  o.field("max_ns", h.max_ns());
  o.field("min_ns", h.min_ns());
  o.field("mean_ns", h.mean_ns());
}

void write_top(JsonWriter& o, const char* name, const TopK& top) {
  o.key(name);
  o.begin_array();
  for (const auto& e : top.sorted()) {
    o.begin_object();
    o.field("op", e.op);
    o.field("ns", e.ns);
    o.end_object();
  }
  o.end_array();
}

void ratio_or_null(JsonWriter& o, const char* name, double num, double den) {
  o.key(name);
  if (den > 0) o.value(num / den); else o.null();
}

void write_counters(JsonWriter& o, const ResizeCounters& c) {
  o.begin_object();
  o.field("grows_started", c.grows_started);
  o.field("migrations_completed", c.migrations_completed);
  o.field("old_arrays_freed", c.old_arrays_freed);
  o.field("entries_moved", c.entries_moved);
  o.field("payload_bytes_moved", c.payload_bytes_moved);
  o.field("index_bytes_moved", c.index_bytes_moved);
  o.field("migrating", c.migrating);
  o.end_object();
}

std::string timeline_csv(const LoopResult& r, bool open) {
  std::string s = "window,first_op,ops,end_ns,max_ns,p99_ns,live_bytes,entries,migrating,resp_max_ns,resp_p99_ns\n";
  s.reserve(s.size() + r.timeline.size() * 80);
  char line[256];
  for (std::size_t w = 0; w < r.timeline.size(); ++w) {
    const TimelineRow& t = r.timeline[w];
    int len = std::snprintf(line, sizeof line, "%zu,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64
                            ",%" PRIu64 ",%d,", w, t.first_op, t.ops, t.end_ns, t.max_ns, t.p99_ns, t.live_bytes,
                            t.entries, t.migrating ? 1 : 0);
    if (open) {
      len += std::snprintf(line + len, sizeof line - static_cast<std::size_t>(len), "%" PRIu64 ",%" PRIu64,
                           t.resp_max_ns, t.resp_p99_ns);
    } else {
      len += std::snprintf(line + len, sizeof line - static_cast<std::size_t>(len), ",");
    }
    s.append(line, static_cast<std::size_t>(len));
    s += '\n';
  }
  return s;
}

}  // namespace

LoopConfig loop_config(const RunConfig& cfg, std::uint64_t ops, const char* label) {
  LoopConfig l;
  l.ops = ops;
  l.open_loop = cfg.open_loop;
  l.rate = cfg.rate;
  l.window = cfg.window;
  l.top_k = cfg.top_k;
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
  const Clock::Want want = cfg.timer == "tsc" ? Clock::Want::kTsc
                           : cfg.timer == "steady" ? Clock::Want::kSteady : Clock::Want::kAuto;
  ctx.clock = Clock::calibrate(want, cfg.calibration_ms);
  ctx.overhead = measure_timer_overhead(ctx.clock);
  // Noise floor: the same loop, recorder and window logic around an empty op,
  // closed loop; in an open-loop run also at the run's rate (capped at half a
  // second of schedule), whose response times show the scheduling noise.
  LoopConfig l = loop_config(cfg, cfg.noise_ops, "noise floor");
  l.open_loop = false;
  l.maintenance = false;
  l.progress_seconds = 0;
  EmptyOp op;
  NullProbe probe;
  ctx.noise_ops = cfg.noise_ops;
  ctx.noise = LoopResult(cfg.top_k);
  timed_loop(ctx.clock, l, op, probe, ctx.noise);
  if (cfg.open_loop) {
    LoopConfig lo = l;
    lo.open_loop = true;
    lo.ops = std::min<std::uint64_t>(cfg.noise_ops, static_cast<std::uint64_t>(cfg.rate * 0.5) + 1);
    LoopResult open_noise(cfg.top_k);
    timed_loop(ctx.clock, lo, op, probe, open_noise);
    ctx.noise.response = open_noise.response;
    ctx.noise_open_ops = lo.ops;
  }
  // Instrument overhead: wall time per op of that loop (timing + recording + loop
  // control), the minimum over 10 short repetitions so that a preemption on this
  // shared machine does not inflate it.
  double best = 0;
  for (int rep = 0; rep < 10; ++rep) {
    LoopConfig lr = l;
    lr.ops = 20000;
    LoopResult rr(cfg.top_k);
    timed_loop(ctx.clock, lr, op, probe, rr);
    const double per_op = static_cast<double>(rr.elapsed_ns) / static_cast<double>(lr.ops);
    if (rep == 0 || per_op < best) best = per_op;
  }
  ctx.instrument_overhead_ns = best;
}

int write_run_results(const RunConfig& cfg, const RunContext& ctx, const LoopResult& r, const MapOutcome& m) {
  const std::string id = cfg.run_id();
  const std::string dir = cfg.out_dir;
  make_directories(dir);
  const std::string service_hgrm = id + ".service.hgrm";
  const std::string response_hgrm = id + ".response.hgrm";
  const std::string timeline = id + ".timeline.csv";
  write_file_atomically(dir + "/" + service_hgrm, r.service.percentile_distribution());
  if (cfg.open_loop) write_file_atomically(dir + "/" + response_hgrm, r.response.percentile_distribution());
  write_file_atomically(dir + "/" + timeline, timeline_csv(r, cfg.open_loop));

  double bpe_sum = 0;
  std::uint64_t bpe_n = 0;
  for (const auto& t : r.timeline) {
    if (t.entries > 0) {
      bpe_sum += static_cast<double>(t.live_bytes) / static_cast<double>(t.entries);
      ++bpe_n;
    }
  }
  const double bpe_mean = bpe_n ? bpe_sum / static_cast<double>(bpe_n) : 0.0;
  const double seconds = static_cast<double>(r.elapsed_ns) / 1e9;
  const std::uint64_t payload_inserted = (m.load_ops + m.new_keys) * m.payload_bytes_per_entry;
  // Load ops insert distinct new keys by construction (Workload::load_op).

  JsonWriter o(true);
  o.begin_object();
  o.field("schema", "rehashlab-run/1");
  o.field("run_id", id);

  o.key("summary");
  o.begin_object();
  o.field("map", cfg.map);
  o.field("workload", workload_name(cfg.workload.kind));
  o.field("n", cfg.workload.n);
  o.field("mode", cfg.mode_name());
  o.field("key", cfg.key);
  o.field("value_bytes", cfg.value_bytes);
  o.field("ops", m.ops);
  write_percentiles(o, r.service);
  o.key("ops_per_sec");
  if (seconds > 0) o.value(static_cast<double>(m.ops) / seconds); else o.null();
  o.field("peak_bytes", m.peak_bytes);
  o.field("final_bytes", m.final_bytes);
  o.field("final_entries", m.final_entries);
  ratio_or_null(o, "bytes_per_entry_final", static_cast<double>(m.final_bytes), static_cast<double>(m.final_entries));
  o.key("bytes_per_entry_mean");
  if (bpe_n) o.value(bpe_mean); else o.null();
  ratio_or_null(o, "peak_to_final", static_cast<double>(m.peak_bytes), static_cast<double>(m.final_bytes));
  o.field("payload_bytes_moved", m.counters_end.payload_bytes_moved);
  o.field("payload_bytes_inserted", payload_inserted);
  ratio_or_null(o, "write_amplification", static_cast<double>(m.counters_end.payload_bytes_moved),
                static_cast<double>(payload_inserted));
  o.field("measured_payload_bytes_moved", m.counters_end.payload_bytes_moved - m.counters_start.payload_bytes_moved);
  o.field("timer_overhead_ns", ctx.overhead.median_ns);
  o.field("instrument_overhead_ns", ctx.instrument_overhead_ns);
  o.field("checksum", m.checksum);
  o.field("seconds", seconds);
  if (cfg.open_loop) {
    o.key("response");
    o.begin_object();
    write_percentiles(o, r.response);
    o.end_object();
    o.field("rate", cfg.rate);
    o.field("late_ops", r.late_ops);
  }
  o.end_object();

  o.key("config");
  o.begin_object();
  o.field("workload", workload_name(cfg.workload.kind));
  o.field("key", cfg.key);
  o.field("value_bytes", cfg.value_bytes);
  o.field("mode", cfg.mode_name());
  o.field("n", cfg.workload.n);
  o.field("ops", m.ops);
  o.field("load_ops", m.load_ops);
  o.key("rate");
  if (cfg.open_loop) o.value(cfg.rate); else o.null();
  o.field("seed", cfg.workload.seed);
  o.field("hash_seed", cfg.hash_seed);
  o.field("alloc", alloc_mode_name(cfg.alloc));
  o.field("window", cfg.window);
  o.field("top_k", cfg.top_k);
  o.field("noise_ops", ctx.noise_ops);
  o.field("read_pct", cfg.workload.read_pct);
  o.field("update_pct", cfg.workload.update_pct);
  o.field("insert_pct", cfg.workload.insert_pct);
  o.field("distribution", cfg.workload.zipfian ? "zipfian" : "uniform");
  o.field("theta", cfg.workload.theta);
  o.key("trace");
  if (cfg.workload.trace_path.empty()) o.null(); else o.value(cfg.workload.trace_path);
  o.end_object();

  write_provenance(o, ctx.git, ctx.date, ctx.argv);

  o.key("timer");
  o.begin_object();
  o.field("source", ctx.clock.source_name());
  o.field("ticks_per_ns", ctx.clock.ticks_per_ns());
  o.field("calibration_ms", ctx.clock.calibration_ms());
  o.field("overhead_ns", ctx.overhead.median_ns);
  o.field("overhead_min_ns", ctx.overhead.min_ns);
  o.field("tsc_invariant", ctx.clock.tsc_invariant());
  o.end_object();

  o.key("noise_floor");
  o.begin_object();
  o.field("ops", ctx.noise_ops);
  write_percentiles(o, ctx.noise.service);
  o.field("instrument_overhead_ns", ctx.instrument_overhead_ns);
  o.field("wall_ns_per_op", ctx.noise.service.count() ? static_cast<double>(ctx.noise.elapsed_ns) / static_cast<double>(ctx.noise.service.count()) : 0.0);
  if (cfg.open_loop) {
    o.field("open_ops", ctx.noise_open_ops);
    o.key("response");
    o.begin_object();
    write_percentiles(o, ctx.noise.response);
    o.end_object();
  }
  o.end_object();

  o.key("host");
  o.begin_object();
  o.key("steal_ms");
  if (m.steal_ms) o.value(*m.steal_ms); else o.null();
  o.field("steal_source", "/proc/stat steal, all CPUs, measured phase");
  o.end_object();

  o.key("memory");
  o.begin_object();
  o.field("peak_bytes", m.peak_bytes);
  o.field("final_bytes", m.final_bytes);
  o.field("allocations", m.allocations);
  o.field("deallocations", m.deallocations);
  ratio_or_null(o, "bytes_per_entry_final", static_cast<double>(m.final_bytes), static_cast<double>(m.final_entries));
  o.key("bytes_per_entry_mean");
  if (bpe_n) o.value(bpe_mean); else o.null();
  ratio_or_null(o, "peak_to_final", static_cast<double>(m.peak_bytes), static_cast<double>(m.final_bytes));
  o.key("over_doubling");
  o.begin_array();
  double od_sum = 0;
  for (const auto& s : m.doubling) {
    o.begin_object();
    o.field("entries", s.entries);
    o.field("live_bytes", s.live_bytes);
    o.field("bytes_per_entry", static_cast<double>(s.live_bytes) / static_cast<double>(s.entries));
    od_sum += static_cast<double>(s.live_bytes) / static_cast<double>(s.entries);
    o.end_object();
  }
  o.end_array();
  o.key("over_doubling_mean");
  if (m.doubling.empty()) o.null(); else o.value(od_sum / static_cast<double>(m.doubling.size()));
  o.field("rss_baseline_bytes", static_cast<std::uint64_t>(m.rss_baseline));
  o.field("rss_final_bytes", static_cast<std::uint64_t>(m.rss_final));
  o.field("rss_peak_bytes", static_cast<std::uint64_t>(m.rss_peak));
  o.field("rss_delta_bytes", static_cast<std::int64_t>(m.rss_final) - static_cast<std::int64_t>(m.rss_baseline));
  o.end_object();

  o.key("resizes");
  o.begin_array();
  for (const auto& p : r.resizes) {
    o.begin_object();
    o.field("start_op", p.start_op);
    o.field("start_op_ns", p.start_op_ns);
    o.key("end_op");
    if (p.ended) o.value(p.end_op); else o.null();
    o.field("migration_ops", p.migration_ops);
    o.field("migration_total_ns", p.migration_total_ns);
    o.field("migration_max_ns", p.migration_max_ns);
    o.field("entries_at_start", p.entries_at_start);
    o.field("live_bytes_at_start", p.live_bytes_at_start);
    o.end_object();
  }
  o.end_array();

  o.key("events");
  o.begin_array();
  for (const auto& e : r.events) {
    o.begin_object();
    o.field("op", e.op);
    o.field("kind", event_name(e.kind));
    o.field("time_ns", e.time_ns);
    o.end_object();
  }
  o.end_array();
  o.field("events_truncated", r.events_truncated);

  write_top(o, "top_k", r.top_service);
  if (cfg.open_loop) write_top(o, "top_k_response", r.top_response);

  o.key("maintenance");
  o.begin_object();
  o.field("enabled", cfg.maintenance);
  o.field("interval_ms", cfg.maintenance_interval_ms);
  o.field("budget_us", cfg.maintenance_budget_us);
  o.field("calls", r.maintenance_calls);
  o.field("total_ns", r.maintenance_total_ns);
  o.field("max_ns", r.maintenance_max_ns);
  o.end_object();

  o.key("map_counters");
  o.begin_object();
  for (const auto& [name, v] : m.map_counters) o.field(name, v);
  o.end_object();
  o.key("resize_counters");
  write_counters(o, m.counters_end);

  o.key("files");
  o.begin_object();
  o.field("service_hgrm", service_hgrm);
  o.key("response_hgrm");
  if (cfg.open_loop) o.value(response_hgrm); else o.null();
  o.field("timeline_csv", timeline);
  o.end_object();
  o.end_object();

  write_file_atomically(dir + "/" + id + ".json", o.str() + "\n");
  return 0;
}

}  // namespace rehashlab
