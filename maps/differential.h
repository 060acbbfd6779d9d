// The differential driver: runs a seeded random operation sequence through a map
// and std::unordered_map in lockstep, comparing every result, and the full
// contents (plus check_invariants) at checkpoints: at regular intervals, at the
// first operation of every migration, and periodically while one is in progress.
//
// The sequence goes through four phases so every map meets every state: growth
// from empty (many doublings), churn at constant size (tombstones, same-size
// grows), erasure of most entries (shrinking where a map shrinks, with the idle
// hook called now and then), and re-growth.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>

#include "maps/test_util.h"

namespace rehashlab::testing {

struct DifferentialResult {
  std::optional<std::string> failure;  // first mismatch, with the op index
  std::uint64_t checkpoints = 0;       // full-content comparisons made
  std::uint64_t migrating_checkpoints = 0;  // ... of which mid-migration
  std::uint64_t grows = 0;
};

template <class M>
DifferentialResult run_differential(M& map, std::uint64_t ops, std::uint64_t seed) {
  DifferentialResult out;
  std::unordered_map<std::uint64_t, std::uint64_t> ref;
  std::mt19937_64 rng(seed);
  constexpr std::uint64_t kPeriodic = 1 << 16;      // full check every 64k ops
  constexpr std::uint64_t kWhileMigrating = 4093;   // and this often mid-migration
  bool was_migrating = false;
  std::uint64_t last_check = 0;
  // The key space grows with the op count so the map reaches ~ops/6 entries.
  const std::uint64_t key_space = ops / 4 + 64;

  auto check = [&](std::uint64_t i, bool migrating) {
    ++out.checkpoints;
    if (migrating) ++out.migrating_checkpoints;
    last_check = i;
    if (auto err = compare_contents(map, ref)) {
      out.failure = "after op " + std::to_string(i) + (migrating ? " (mid-migration)" : "") + ": " + *err;
    }
  };

  for (std::uint64_t i = 0; i < ops && !out.failure; ++i) {
    const double phase = static_cast<double>(i) / static_cast<double>(ops);
    unsigned insert_pct, erase_pct;  // the rest are finds
    if (phase < 0.35) {
      insert_pct = 70, erase_pct = 10;  // growth
    } else if (phase < 0.70) {
      insert_pct = 45, erase_pct = 45;  // churn
    } else if (phase < 0.90) {
      insert_pct = 3, erase_pct = 77;   // erase most entries
    } else {
      insert_pct = 80, erase_pct = 5;   // re-growth
    }
    const unsigned roll = static_cast<unsigned>(rng() % 100);
    std::uint64_t key = mix64(rng() % key_space);  // scrambled, but repeats
    if (rng() % 1000 == 0) key = (rng() & 1) ? 0 : ~std::uint64_t{0};
    if (roll < insert_pct) {
      const std::uint64_t value = rng() >> 1;
      const bool got = map.insert_or_assign(key, value);
      const bool want = ref.insert_or_assign(key, value).second;
      if (got != want) out.failure = "op " + std::to_string(i) + ": insert_or_assign returned " + std::to_string(got);
    } else if (roll < insert_pct + erase_pct) {
      // Erase mostly keys that exist, so the erase phase really empties the map.
      if (!ref.empty() && rng() % 4 != 0) key = ref.begin()->first;
      const bool got = map.erase(key);
      const bool want = ref.erase(key) == 1;
      if (got != want) out.failure = "op " + std::to_string(i) + ": erase returned " + std::to_string(got);
    } else {
      const std::uint64_t* got = map.find(key);
      auto it = ref.find(key);
      if ((got == nullptr) != (it == ref.end()) || (got != nullptr && *got != it->second)) {
        out.failure = "op " + std::to_string(i) + ": find returned a wrong result";
      }
    }
    if (map.size() != ref.size() && !out.failure) {
      out.failure = "op " + std::to_string(i) + ": size() " + std::to_string(map.size()) + " != " + std::to_string(ref.size());
    }
    if (i % 10007 == 10006) map.maintenance(std::chrono::microseconds(50));
    const ResizeCounters rc = map.resize_counters();
    if (out.failure) break;
    if (rc.migrating && (!was_migrating || i - last_check >= kWhileMigrating)) {
      check(i, true);
    } else if (i - last_check >= kPeriodic) {
      check(i, rc.migrating);
    }
    was_migrating = rc.migrating;
  }
  if (!out.failure) check(ops, map.resize_counters().migrating);
  out.grows = map.resize_counters().grows_started;
  return out;
}

}  // namespace rehashlab::testing
