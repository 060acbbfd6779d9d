// One run = one map x one workload x one mode, executed in its own process by the
// internal `run-one` verb. RunConfig is its complete description; to_child_args()
// turns it back into the `run-one` command line, so parent and child agree.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/cli.h"
#include "maps/memory.h"
#include "workloads/workload.h"

namespace rehashlab {

struct RunConfig {
  std::string map;
  WorkloadSpec workload;
  std::string key = "u64";  // u64 | str16 | str64
  unsigned value_bytes = 8;  // 8 | 64 | 256
  bool open_loop = false;
  double rate = 0;
  std::uint64_t hash_seed = 0;
  std::uint64_t window = 4096;
  int top_k = 16;
  std::uint64_t noise_ops = 200000;
  bool maintenance = true;
  double maintenance_interval_ms = 100;
  double maintenance_budget_us = 1000;
  std::string timer = "auto";  // auto | tsc | steady
  // How the in-house maps get and return their large arrays (--alloc).
  AllocMode alloc = AllocMode::kFresh;
  double calibration_ms = 20;
  std::string out_dir;

  std::string mode_name() const { return open_loop ? "open" : "closed"; }
  std::string run_id() const;
  // "<workload>.<key>.v<value>.n<n>": runs that must produce equal checksums.
  std::string checksum_group() const;
  std::vector<std::string> to_child_args() const;  // after the verb
};

// The flags `run` and `run-one` share (all but --maps/--workload/--mode lists).
extern const std::vector<std::string> kRunFlags;

// Parses the shared per-run flags into `cfg` (map/workload/mode set by caller).
// Throws cli::UsageError on bad values.
void parse_run_flags(const cli::Args& args, RunConfig& cfg);
// Whether the map's constructor takes an AllocMode (the in-house maps).
bool has_alloc_switch(const std::string& map);
// UsageError if a non-default --alloc is asked for a map that has no such switch.
void require_alloc_supported(const RunConfig& cfg);
// --alloc=fresh|system|naive.
AllocMode parse_alloc_mode(const std::string& name);
// UsageError unless the (key, value_bytes) pair is instantiated.
void require_supported_types(const std::string& key, unsigned value_bytes);
WorkloadKind parse_workload_flag(const std::string& name);

// The per-(key, value) entry points, one translation unit each (compile time).
int run_one_u64_v8(const RunConfig& cfg);
int run_one_u64_v64(const RunConfig& cfg);
int run_one_u64_v256(const RunConfig& cfg);
int run_one_str16_v8(const RunConfig& cfg);
int run_one_str64_v8(const RunConfig& cfg);

}  // namespace rehashlab
