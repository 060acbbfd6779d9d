// One run's results: computed once into a RunReport, then serialized into the
// files results/README.md documents (<run_id>.json, .service.hgrm, .response.hgrm,
// .timeline.csv), all or none of them (FileSet).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/histogram.h"
#include "harness/json.h"
#include "harness/provenance.h"
#include "harness/run_config.h"
#include "harness/timed_loop.h"
#include "harness/timer.h"
#include "maps/map_api.h"

namespace rehashlab {

// The percentile set every latency distribution reports.
struct Percentiles {
  std::uint64_t p50 = 0, p90 = 0, p99 = 0, p999 = 0, p9999 = 0, max = 0, min = 0;
  double mean = 0;
  static Percentiles of(const LatencyHistogram& h);
};

// Process-wide facts a run shares with its noise floor: clock, overheads.
struct RunContext {
  std::string date;
  GitInfo git;
  Clock clock;
  TimerOverhead overhead;
  double instrument_overhead_ns = 0;
  std::vector<std::string> argv;
};

// Bytes-per-entry samples at N/2 * 2^(j/8), j = 0..8 (one doubling).
struct DoublingSample {
  std::uint64_t entries, live_bytes;
};

// What a run collected from its map (or peer) besides the loop's own results.
struct MapOutcome {
  std::uint64_t load_ops = 0, ops = 0;
  std::uint64_t peak_bytes = 0, final_bytes = 0, allocations = 0, deallocations = 0, final_entries = 0;
  std::uint64_t new_keys = 0, payload_bytes_per_entry = 0;
  ResizeCounters counters_start, counters_end;
  std::vector<std::pair<std::string, std::uint64_t>> map_counters;
  std::vector<DoublingSample> doubling;
  std::string checksum;
  std::uint64_t rss_baseline = 0, rss_final = 0, rss_peak = 0;
  std::optional<double> steal_ms;                    // host steal during the measured phase
  std::optional<double> ops_per_sec_uninstrumented;  // closed loop: the second, untimed-per-op pass
  Json peer;  // peers only: the "peer" object (kind, version, server-side times, ...)
};

struct ResizeReport {
  ResizePause pause;
  std::optional<double> steal_ms;  // host steal over the windows the migration spans
  std::uint64_t peak_bytes = 0;    // largest live bytes in those windows
};

struct TopEntry {
  std::uint64_t op, ns, window;
  std::optional<double> steal_ms;  // host steal of the op's window
};

struct NoiseReport {
  std::uint64_t ops = 0, every = 0;
  double wall_ns = 0, coverage = 0;
  Percentiles dist;
  std::optional<std::uint64_t> max_quiet;
  double instrument_overhead_ns = 0;
};

struct RunReport {
  std::string run_id;
  Percentiles service;
  std::optional<Percentiles> response;  // open loop
  std::optional<std::uint64_t> max_quiet;
  std::uint64_t windows = 0, quiet_windows = 0, windows_with_steal = 0;
  bool steal_known = false;
  std::optional<double> ops_per_sec, ops_per_sec_uninstrumented;
  double seconds = 0;
  std::optional<double> bytes_per_entry_final, bytes_per_entry_mean, peak_to_final, write_amplification;
  std::uint64_t payload_bytes_inserted = 0;
  std::optional<double> over_doubling_mean;
  std::optional<NoiseReport> noise;  // nullopt: --noise-ops=0
  std::vector<ResizeReport> resizes;
  std::vector<TopEntry> top_service, top_response;
  std::string service_hgrm, response_hgrm, timeline_csv;  // file names beside the JSON
};

RunReport build_report(const RunConfig& cfg, const RunContext& ctx, const LoopResult& r, const MapOutcome& m);
Json report_json(const RunConfig& cfg, const RunContext& ctx, const LoopResult& r, const MapOutcome& m,
                 const RunReport& rep);
std::string timeline_csv(const LoopResult& r, bool open_loop);
// Writes the run's files into cfg.out_dir, all or none. Returns the exit status.
int write_run_results(const RunConfig& cfg, const RunContext& ctx, const LoopResult& r, const MapOutcome& m);

}  // namespace rehashlab
