// Named suites: fixed plans over every registered map (or the --maps subset),
// written as data. Each entry says what it feeds (a figure, table or claim);
// `rehashlab --help` prints them from the same data.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/run_config.h"

namespace rehashlab {

struct SuiteEntry {
  WorkloadKind workload = WorkloadKind::kInsertGrowth;
  const char* key = "u64";
  unsigned value_bytes = 8;
  bool open = false;
  double rate = 0;  // open loop: ops per second ...
  double load = 0;  // ... or this share of each map's own throughput (RunConfig::load)
  std::uint64_t n = 0;
  std::uint64_t ops = 0;  // 0: N
  bool zipfian = false;
  unsigned read_pct = 50, update_pct = 45, insert_pct = 5;
  AllocMode alloc = AllocMode::kFresh;  // other modes run only the maps with the switch
  unsigned reps = 3;
  bool peers = false;        // also run the peers (go_runtime with GC on and off, redis_server)
  bool maps_only_in_house = false;  // only the in-house maps (and peers, if set)
  // Only these maps (and peers, if set); empty: every map the other rules allow.
  std::vector<std::string> only;
  const char* feeds = "";    // the figure, table or claim this entry is for
};

struct Suite {
  const char* name;
  const char* summary;  // one line for --help
  std::vector<SuiteEntry> entries;
  std::uint64_t trace_n = 0, trace_ops = 0;  // the replay trace: load n, then ops
  std::uint64_t noise_ops = 200000;
  double calibration_ms = 20;
};

struct SuiteOptions {
  std::uint64_t seed = 1;
  std::string timer = "auto";
  unsigned reps = 0;  // > 0: overrides every entry's repetitions
  double scale = 1;   // every entry's n and ops times this (at least 1000): pipeline tests only
};

const std::vector<Suite>& suites();
// --help text for the suites, from the data above.
std::string suites_help();
// UsageError for an unknown name. With `materialize`, writes the replay trace the
// suite needs under OUT/traces/. The plan is repetition-major; within a repetition
// each entry's maps run in a seeded shuffled order (seed: order_seed).
std::vector<RunConfig> build_suite(const std::string& name, const std::vector<std::string>& maps,
                                   const std::string& out_dir, const SuiteOptions& opt, bool materialize);
// The order seed build_suite uses for a base seed (recorded in the manifest).
std::uint64_t order_seed_for(std::uint64_t base_seed);
// Shuffles `items` for (order_seed, rep, entry): the seeded shuffle of every plan.
void shuffle_for(std::vector<std::string>& items, std::uint64_t order_seed, unsigned rep, std::size_t entry);

}  // namespace rehashlab
