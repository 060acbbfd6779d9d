// One run = one map x one workload x one mode x one repetition, executed in its
// own process by the internal `run-one` verb. RunConfig is its complete
// description; to_child_args() turns it back into the `run-one` command line, so
// parent and child agree. RunFlags are the flags `run` and `run-one` share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "harness/cli.h"
#include "maps/memory.h"
#include "workloads/workload.h"

namespace rehashlab {

// The run's default hash seed (all maps in a run share one seeded hash).
inline constexpr std::uint64_t kDefaultHashSeed = 0x5eed5eed5eed5eedULL;

struct RunConfig {
  std::string map;
  WorkloadSpec workload;  // workload.seed: this repetition's seed
  std::string key = "u64";   // u64 | str16 | str64
  unsigned value_bytes = 8;  // 8 | 64 | 256
  bool open_loop = false;
  double rate = 0;
  // Open loop at a share of the map's own throughput: when > 0, the executor sets
  // `rate` to load x ops_per_sec (instrumented: what an open loop carrying the same
  // instrument can sustain) of the same map's closed-loop run of this workload, key,
  // value and n earlier in the plan (run id suffix .load<pct>).
  double load = 0;
  std::uint64_t hash_seed = kDefaultHashSeed;  // this repetition's hash seed
  std::uint64_t base_seed = 1, base_hash_seed = kDefaultHashSeed;
  unsigned rep = 0, reps = 1;
  std::uint64_t window = 4096;
  int top_k = 16;
  std::uint64_t noise_ops = 200000;  // interleaved empty timed ops; 0: no noise floor
  bool maintenance = true;
  double maintenance_interval_ms = 100;
  double maintenance_budget_us = 1000;
  std::string timer = "auto";  // auto | tsc | steady
  double calibration_ms = 20;
  bool uninstrumented = true;  // closed loop: a second pass timed as a whole
  // How an in-house map gets and returns its large arrays; nullopt for maps
  // without the switch (adapters, peers).
  std::optional<AllocMode> alloc;
  std::optional<bool> go_gc;  // go_runtime: garbage collector on/off
  std::string out_dir;

  std::string mode_name() const { return open_loop ? "open" : "closed"; }
  // <workload>.<key>.v<value>.<mode>.<map>.n<n>[.zipf|.unif|.r<read%>][.load<pct>][.system|.naive][.gcoff]
  // [.rep<i> when reps > 1]
  std::string run_id() const;
  // run_id() without the repetition: the key repetitions are aggregated under.
  std::string group() const;
  // Runs that see the same operations and must produce equal checksums:
  // <workload>.<key>.v<value>.n<n>[.zipf|.unif|.r<read%>].rep<i>.
  std::string checksum_group() const;
  std::vector<std::string> to_child_args() const;  // after the verb
};

// Repetition i's seed from a base seed (i = 0: the base itself), for the
// workload (salt 0) and the hash (salt 1).
std::uint64_t derive_seed(std::uint64_t base, unsigned rep, unsigned salt);

// The per-run flags `run` and `run-one` share, as parsed from the command line.
struct RunFlags {
  std::uint64_t n = 0, ops = 0, seed = 1, hash_seed = kDefaultHashSeed, value_bytes = 8;
  std::uint64_t window = 4096, top_k = 16, noise_ops = 200000, read = 50, update = 45, insert = 5;
  double rate = 0, theta = 0.99, maintenance_interval_ms = 100, maintenance_budget_us = 1000, calibration_ms = 20;
  std::string key = "u64", dist = "uniform", timer = "auto", trace, out;
  bool maintenance = true, uninstrumented = true;
};
void add_run_flags(CLI::App& app, RunFlags& f);

// The validated RunConfig for `workload` and `open` from the flags (map, alloc,
// repetition set by the caller). Throws cli::UsageError.
RunConfig resolve_run(const CLI::App& app, const RunFlags& f, WorkloadKind workload, bool open);

// UsageError when the run's estimated peak memory exceeds this machine's memory
// (the message gives the estimate).
void require_fits_in_memory(const RunConfig& cfg);
// UsageError unless the (key, value_bytes) pair is instantiated.
void require_supported_types(const std::string& key, unsigned value_bytes);
WorkloadKind parse_workload_flag(const std::string& name);
// --alloc=fresh|system|naive.
AllocMode parse_alloc_mode(const std::string& name);

// The per-(key, value) entry points, one translation unit each (compile time).
int run_one_u64_v8(const RunConfig& cfg);
int run_one_u64_v64(const RunConfig& cfg);
int run_one_u64_v256(const RunConfig& cfg);
int run_one_str16_v8(const RunConfig& cfg);
int run_one_str64_v8(const RunConfig& cfg);

}  // namespace rehashlab
