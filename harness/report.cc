#include "harness/report.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "harness/atomic_file.h"
#include "harness/results_schema.h"

namespace rehashlab {
namespace {

Json percentiles_json(const Percentiles& p) {
  Json o;
  o["p50_ns"] = p.p50;
  o["p90_ns"] = p.p90;
  o["p99_ns"] = p.p99;
  o["p999_ns"] = p.p999;
  o["p9999_ns"] = p.p9999;
  o["max_ns"] = p.max;
  o["min_ns"] = p.min;
  o["mean_ns"] = p.mean;
  return o;
}

Json top_json(const std::vector<TopEntry>& top) {
  Json a = Json::array();
  for (const TopEntry& e : top) {
    Json o;
    o["op"] = e.op;
    o["ns"] = e.ns;
    o["window"] = e.window;
    o["steal_ms"] = number_or_null(e.steal_ms);
    a.push_back(std::move(o));
  }
  return a;
}

Json counters_json(const ResizeCounters& c) {
  Json o;
  o["grows_started"] = c.grows_started;
  o["migrations_completed"] = c.migrations_completed;
  o["old_arrays_freed"] = c.old_arrays_freed;
  o["entries_moved"] = c.entries_moved;
  o["payload_bytes_moved"] = c.payload_bytes_moved;
  o["index_bytes_moved"] = c.index_bytes_moved;
  o["migrating"] = c.migrating;
  return o;
}

// Host steal summed over timeline windows [first, last]; nullopt if any is unknown.
std::optional<double> steal_over(const LoopResult& r, std::size_t first, std::size_t last) {
  double sum = 0;
  for (std::size_t w = first; w <= last && w < r.timeline.size(); ++w) {
    if (!r.timeline[w].sample.steal_ms) return std::nullopt;
    sum += *r.timeline[w].sample.steal_ms;
  }
  return sum;
}

std::vector<TopEntry> top_entries(const TopK& top, const LoopResult& r, std::uint64_t window) {
  std::vector<TopEntry> out;
  for (const auto& e : top.sorted()) {
    const std::uint64_t w = e.op / window;
    out.push_back({e.op, e.ns, w, steal_over(r, w, w)});
  }
  return out;
}

// "a,b,c" with empty cells for unknown values.
void append_csv(std::string& s, std::uint64_t v) { s += std::to_string(v); }

}  // namespace

Percentiles Percentiles::of(const LatencyHistogram& h) {
  Percentiles p;
  p.p50 = h.value_at_percentile(50);
  p.p90 = h.value_at_percentile(90);
  p.p99 = h.value_at_percentile(99);
  p.p999 = h.value_at_percentile(99.9);
  p.p9999 = h.value_at_percentile(99.99);
  p.max = h.max_ns();
  p.min = h.min_ns();
  p.mean = h.mean_ns();
  return p;
}

RunReport build_report(const RunConfig& cfg, const RunContext& ctx, const LoopResult& r, const MapOutcome& m) {
  RunReport rep;
  rep.run_id = cfg.run_id();
  rep.service = Percentiles::of(r.service);
  if (cfg.open_loop) rep.response = Percentiles::of(r.response);
  rep.max_quiet = r.max_quiet_ns;
  rep.windows = r.timeline.size();
  rep.quiet_windows = r.quiet_windows;
  rep.steal_known = !r.timeline.empty();
  for (const TimelineRow& t : r.timeline) {
    if (!t.sample.steal_ms) rep.steal_known = false;
    else if (*t.sample.steal_ms > 0) ++rep.windows_with_steal;
  }
  rep.seconds = static_cast<double>(r.elapsed_ns) / 1e9;
  if (rep.seconds > 0) rep.ops_per_sec = static_cast<double>(m.ops) / rep.seconds;
  rep.ops_per_sec_uninstrumented = m.ops_per_sec_uninstrumented;

  double bpe_sum = 0;
  std::uint64_t bpe_n = 0;
  for (const TimelineRow& t : r.timeline) {
    if (t.entries > 0) {
      bpe_sum += static_cast<double>(t.sample.live_bytes) / static_cast<double>(t.entries);
      ++bpe_n;
    }
  }
  if (bpe_n) rep.bytes_per_entry_mean = bpe_sum / static_cast<double>(bpe_n);
  if (m.final_entries) rep.bytes_per_entry_final = static_cast<double>(m.final_bytes) / static_cast<double>(m.final_entries);
  if (m.final_bytes) rep.peak_to_final = static_cast<double>(m.peak_bytes) / static_cast<double>(m.final_bytes);
  // Load ops insert distinct new keys by construction (Workload::load_op).
  rep.payload_bytes_inserted = (m.load_ops + m.new_keys) * m.payload_bytes_per_entry;
  if (rep.payload_bytes_inserted) {
    rep.write_amplification =
        static_cast<double>(m.counters_end.payload_bytes_moved) / static_cast<double>(rep.payload_bytes_inserted);
  }
  if (!m.doubling.empty()) {
    double sum = 0;
    for (const DoublingSample& s : m.doubling) sum += static_cast<double>(s.live_bytes) / static_cast<double>(s.entries);
    rep.over_doubling_mean = sum / static_cast<double>(m.doubling.size());
  }

  if (cfg.noise_ops != 0 && r.noise.count() > 0) {
    NoiseReport n;
    n.ops = r.noise.count();
    n.every = r.noise_every;
    n.wall_ns = static_cast<double>(r.noise_wall_ns);
    n.coverage = r.elapsed_ns ? static_cast<double>(r.noise_wall_ns) / static_cast<double>(r.elapsed_ns) : 0.0;
    n.dist = Percentiles::of(r.noise);
    n.max_quiet = r.noise_max_quiet_ns;
    n.instrument_overhead_ns = ctx.instrument_overhead_ns;
    rep.noise = n;
  }

  const std::uint64_t window = std::max<std::uint64_t>(1, cfg.window);
  for (const ResizePause& p : r.resizes) {
    ResizeReport rr{p, std::nullopt, 0};
    const std::size_t first = p.start_op / window;
    const std::size_t last = p.ended ? p.end_op / window : (r.timeline.empty() ? 0 : r.timeline.size() - 1);
    rr.steal_ms = steal_over(r, first, last);
    for (std::size_t w = first; w <= last && w < r.timeline.size(); ++w) {
      rr.peak_bytes = std::max(rr.peak_bytes, r.timeline[w].sample.peak_bytes);
    }
    rep.resizes.push_back(rr);
  }
  rep.top_service = top_entries(r.top_service, r, window);
  if (cfg.open_loop) rep.top_response = top_entries(r.top_response, r, window);
  rep.service_hgrm = rep.run_id + ".service.hgrm";
  rep.response_hgrm = rep.run_id + ".response.hgrm";
  rep.timeline_csv = rep.run_id + ".timeline.csv";
  return rep;
}

Json report_json(const RunConfig& cfg, const RunContext& ctx, const LoopResult& r, const MapOutcome& m,
                 const RunReport& rep) {
  Json j;
  j["schema"] = schema::kRunSchema;
  j["run_id"] = rep.run_id;

  Json s;
  s["map"] = cfg.map;
  s["workload"] = workload_name(cfg.workload.kind);
  s["n"] = cfg.workload.n;
  s["mode"] = cfg.mode_name();
  s["key"] = cfg.key;
  s["value_bytes"] = cfg.value_bytes;
  s["alloc"] = cfg.alloc ? Json(alloc_mode_name(*cfg.alloc)) : Json(nullptr);
  s["rep"] = cfg.rep;
  s["ops"] = m.ops;
  s.update(percentiles_json(rep.service));
  s["max_ns_quiet"] = rep.max_quiet ? Json(*rep.max_quiet) : Json(nullptr);
  s["quiet_windows"] = rep.quiet_windows;
  s["windows"] = rep.windows;
  s["ops_per_sec"] = number_or_null(rep.ops_per_sec);
  s["ops_per_sec_uninstrumented"] = number_or_null(rep.ops_per_sec_uninstrumented);
  s["peak_bytes"] = m.peak_bytes;
  s["final_bytes"] = m.final_bytes;
  s["final_entries"] = m.final_entries;
  s["bytes_per_entry_final"] = number_or_null(rep.bytes_per_entry_final);
  s["bytes_per_entry_mean"] = number_or_null(rep.bytes_per_entry_mean);
  s["peak_to_final"] = number_or_null(rep.peak_to_final);
  s["payload_bytes_moved"] = m.counters_end.payload_bytes_moved;
  s["payload_bytes_inserted"] = rep.payload_bytes_inserted;
  s["write_amplification"] = number_or_null(rep.write_amplification);
  s["measured_payload_bytes_moved"] = m.counters_end.payload_bytes_moved - m.counters_start.payload_bytes_moved;
  s["timer_overhead_ns"] = ctx.overhead.median_ns;
  s["instrument_overhead_ns"] = ctx.instrument_overhead_ns;
  s["checksum"] = m.checksum;
  s["seconds"] = rep.seconds;
  if (rep.response) {
    s["response"] = percentiles_json(*rep.response);
    s["rate"] = cfg.rate;
    s["late_ops"] = r.late_ops;
  }

  Json c;
  c["workload"] = workload_name(cfg.workload.kind);
  c["key"] = cfg.key;
  c["value_bytes"] = cfg.value_bytes;
  c["mode"] = cfg.mode_name();
  c["n"] = cfg.workload.n;
  c["ops"] = m.ops;
  c["load_ops"] = m.load_ops;
  c["rate"] = cfg.open_loop ? Json(cfg.rate) : Json(nullptr);
  c["load"] = cfg.open_loop && cfg.load > 0 ? Json(cfg.load) : Json(nullptr);
  c["rep"] = cfg.rep;
  c["reps"] = cfg.reps;
  c["seed"] = cfg.workload.seed;
  c["hash_seed"] = cfg.hash_seed;
  c["base_seed"] = cfg.base_seed;
  c["base_hash_seed"] = cfg.base_hash_seed;
  c["alloc"] = s["alloc"];
  c["go_gc"] = cfg.go_gc ? Json(*cfg.go_gc ? "on" : "off") : Json(nullptr);
  c["window"] = cfg.window;
  c["top_k"] = cfg.top_k;
  c["noise_ops"] = cfg.noise_ops;
  c["read_pct"] = cfg.workload.read_pct;
  c["update_pct"] = cfg.workload.update_pct;
  c["insert_pct"] = cfg.workload.insert_pct;
  c["distribution"] = cfg.workload.zipfian ? "zipfian" : "uniform";
  c["theta"] = cfg.workload.theta;
  c["trace"] = cfg.workload.trace_path.empty() ? Json(nullptr) : Json(cfg.workload.trace_path);

  j["summary"] = s;
  j["config"] = std::move(c);
  j["provenance"] = provenance_json(ctx.git, ctx.date, ctx.argv);

  Json t;
  t["source"] = ctx.clock.source_name();
  t["ticks_per_ns"] = ctx.clock.ticks_per_ns();
  t["calibration_ms"] = ctx.clock.calibration_ms();
  t["overhead_ns"] = ctx.overhead.median_ns;
  t["overhead_min_ns"] = ctx.overhead.min_ns;
  t["tsc_invariant"] = ctx.clock.tsc_invariant();

  j["timer"] = std::move(t);
  if (rep.noise) {
    Json n;
    n["ops"] = rep.noise->ops;
    n["every"] = rep.noise->every;
    n["wall_ns"] = rep.noise->wall_ns;
    n["coverage"] = rep.noise->coverage;
    n.update(percentiles_json(rep.noise->dist));
    n["max_ns_quiet"] = rep.noise->max_quiet ? Json(*rep.noise->max_quiet) : Json(nullptr);
    n["instrument_overhead_ns"] = rep.noise->instrument_overhead_ns;
    j["noise_floor"] = std::move(n);
  } else {
    j["noise_floor"] = nullptr;
  }

  Json h;
  h["steal_ms"] = number_or_null(m.steal_ms);
  h["steal_source"] = "/proc/stat steal, all CPUs, measured phase; per window in the timeline";
  h["windows_with_steal"] = rep.steal_known ? Json(rep.windows_with_steal) : Json(nullptr);

  j["host"] = std::move(h);
  Json mem;
  mem["peak_bytes"] = m.peak_bytes;
  mem["final_bytes"] = m.final_bytes;
  mem["allocations"] = m.allocations;
  mem["deallocations"] = m.deallocations;
  mem["bytes_per_entry_final"] = s["bytes_per_entry_final"];
  mem["bytes_per_entry_mean"] = s["bytes_per_entry_mean"];
  mem["peak_to_final"] = s["peak_to_final"];
  Json od = Json::array();
  for (const DoublingSample& d : m.doubling) {
    od.push_back({{"entries", d.entries},
                  {"live_bytes", d.live_bytes},
                  {"bytes_per_entry", static_cast<double>(d.live_bytes) / static_cast<double>(d.entries)}});
  }
  mem["over_doubling"] = std::move(od);
  mem["over_doubling_mean"] = number_or_null(rep.over_doubling_mean);
  mem["rss_baseline_bytes"] = m.rss_baseline;
  mem["rss_final_bytes"] = m.rss_final;
  mem["rss_peak_bytes"] = m.rss_peak;
  mem["rss_delta_bytes"] = static_cast<std::int64_t>(m.rss_final) - static_cast<std::int64_t>(m.rss_baseline);

  j["memory"] = std::move(mem);
  Json resizes = Json::array();
  for (const ResizeReport& rr : rep.resizes) {
    const ResizePause& p = rr.pause;
    Json o;
    o["start_op"] = p.start_op;
    o["start_op_ns"] = p.start_op_ns;
    o["end_op"] = p.ended ? Json(p.end_op) : Json(nullptr);
    o["end_op_ns"] = p.ended ? Json(p.end_op_ns) : Json(nullptr);
    o["migration_ops"] = p.migration_ops;
    o["migration_total_ns"] = p.migration_total_ns;
    o["migration_max_ns"] = p.migration_max_ns;
    o["migration_max_op"] = p.migration_max_op;
    o["steal_ms"] = number_or_null(rr.steal_ms);
    o["entries_at_start"] = p.entries_at_start;
    o["live_bytes_at_start"] = p.live_bytes_at_start;
    o["peak_bytes"] = rr.peak_bytes;
    resizes.push_back(std::move(o));
  }
  j["resizes"] = std::move(resizes);

  Json events = Json::array();
  for (const ResizeEvent& e : r.events) events.push_back({{"op", e.op}, {"kind", event_name(e.kind)}, {"time_ns", e.time_ns}});
  j["events"] = std::move(events);
  j["events_truncated"] = r.events_truncated;
  j["top_k"] = top_json(rep.top_service);
  if (cfg.open_loop) j["top_k_response"] = top_json(rep.top_response);

  Json mt;
  mt["enabled"] = cfg.maintenance;
  mt["interval_ms"] = cfg.maintenance_interval_ms;
  mt["budget_us"] = cfg.maintenance_budget_us;
  mt["calls"] = r.maintenance_calls;
  mt["total_ns"] = r.maintenance_total_ns;
  mt["max_ns"] = r.maintenance_max_ns;

  j["maintenance"] = std::move(mt);
  Json mc = Json::object();
  for (const auto& [name, v] : m.map_counters) mc[name] = v;
  j["map_counters"] = std::move(mc);
  j["resize_counters"] = counters_json(m.counters_end);
  // Service time by op kind, apart while a migration runs (kinds that occurred).
  Json by_op = Json::object();
  const char* kinds[] = {"insert", "find", "erase"};
  for (int k = 0; k < 3; ++k) {
    const KindHistograms& h = r.by_kind[k];
    if (h.steady.count() + h.migrating.count() == 0) continue;
    Json o;
    for (const auto& [state, hist] : {std::pair{"steady", &h.steady}, std::pair{"migrating", &h.migrating}}) {
      if (hist->count() == 0) {
        o[state] = nullptr;
        continue;
      }
      Json e;
      e["count"] = hist->count();
      e.update(percentiles_json(Percentiles::of(*hist)));
      o[state] = std::move(e);
    }
    by_op[kinds[k]] = std::move(o);
  }
  j["by_op"] = std::move(by_op);
  if (!m.peer.is_null()) j["peer"] = m.peer;

  Json f;
  f["service_hgrm"] = rep.service_hgrm;
  f["response_hgrm"] = cfg.open_loop ? Json(rep.response_hgrm) : Json(nullptr);
  f["timeline_csv"] = rep.timeline_csv;
  j["files"] = std::move(f);
  return j;
}

std::string timeline_csv(const LoopResult& r, bool open_loop) {
  std::string s;
  for (std::size_t i = 0; i < schema::kTimelineColumns.size(); ++i) {
    s += (i ? "," : "");
    s += schema::kTimelineColumns[i];
  }
  s += '\n';
  s.reserve(s.size() + r.timeline.size() * 100);
  for (std::size_t w = 0; w < r.timeline.size(); ++w) {
    const TimelineRow& t = r.timeline[w];
    // window, first_op, ops, end_ns, max_ns, p99_ns, live_bytes, peak_bytes,
    // rss_bytes, entries, migrating, steal_ms, resp_max_ns, resp_p99_ns
    for (std::uint64_t v : {std::uint64_t{w}, t.first_op, t.ops, t.end_ns, t.max_ns, t.p99_ns, t.sample.live_bytes,
                            t.sample.peak_bytes, t.sample.rss_bytes, t.entries, std::uint64_t{t.migrating}}) {
      append_csv(s, v);
      s += ',';
    }
    if (t.sample.steal_ms) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.0f", *t.sample.steal_ms);
      s += buf;
    }
    s += ',';
    if (open_loop) {
      append_csv(s, t.resp_max_ns);
      s += ',';
      append_csv(s, t.resp_p99_ns);
    } else {
      s += ',';
    }
    s += '\n';
  }
  return s;
}

int write_run_results(const RunConfig& cfg, const RunContext& ctx, const LoopResult& r, const MapOutcome& m) {
  const RunReport rep = build_report(cfg, ctx, r, m);
  const std::string dir = cfg.out_dir;
  make_directories(dir);
  FileSet files;
  files.stage(dir + "/" + rep.service_hgrm, r.service.percentile_distribution());
  if (cfg.open_loop) files.stage(dir + "/" + rep.response_hgrm, r.response.percentile_distribution());
  files.stage(dir + "/" + rep.timeline_csv, timeline_csv(r, cfg.open_loop));
  files.stage(dir + "/" + rep.run_id + ".json", to_file_text(report_json(cfg, ctx, r, m, rep)));
  files.commit();
  return 0;
}

}  // namespace rehashlab
