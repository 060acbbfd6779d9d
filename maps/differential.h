// The differential workload: a seeded random operation sequence run through a
// Lockstep (maps/lockstep.h), with the full contents compared at regular
// intervals, at the first operation of every migration, and periodically while
// one is in progress (a bounded number of times per migration: linear hashing is
// "migrating" for a whole round). Four phases, so every map meets every state: growth from
// empty, churn at constant size (tombstones, same-size grows), erasure of most
// entries (shrinking, with the idle hook called now and then), and re-growth.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "maps/lockstep.h"

namespace rehashlab::testing {

struct DifferentialResult {
  std::optional<std::string> failure;       // first mismatch, with the operation number
  std::uint64_t checkpoints = 0;            // full-content comparisons made
  std::uint64_t migrating_checkpoints = 0;  // ... of which mid-migration
  std::uint64_t extra_checkpoints = 0;      // ... of which a map-specific hook asked for
  std::uint64_t grows = 0;
};

// No map-specific checkpoints.
struct NoExtraCheckpoints {
  template <class M>
  bool operator()(const M&, std::uint64_t) const {
    return false;
  }
};

// `extra(map, i)`, called after every operation i, returns true to compare the
// whole contents right then (a map's own growth events: a split, a round's end).
template <class M, class Extra = NoExtraCheckpoints>
DifferentialResult run_differential(Lockstep<M>& ls, std::uint64_t ops, std::uint64_t seed, Extra&& extra = {}) {
  DifferentialResult out;
  std::mt19937_64 rng(seed);
  constexpr std::uint64_t kPeriodic = 1 << 16;     // full check every 64k ops
  constexpr std::uint64_t kWhileMigrating = 4093;  // and this often mid-migration,
  constexpr int kChecksPerMigration = 16;          // at most this many times per migration
  bool was_migrating = false;
  int checks_this_migration = 0;
  std::uint64_t last_check = 0;
  // The key space grows with the op count so the map reaches ~ops/6 entries.
  const std::uint64_t key_space = ops / 4 + 64;
  auto check = [&](std::uint64_t i, bool migrating) {
    ++out.checkpoints;
    if (migrating) ++out.migrating_checkpoints;
    last_check = i;
    ls.check_contents();
  };
  try {
    for (std::uint64_t i = 0; i < ops; ++i) {
      const double phase = static_cast<double>(i) / static_cast<double>(ops);
      unsigned insert_pct, erase_pct;  // the rest are finds
      if (phase < 0.35) {
        insert_pct = 70, erase_pct = 10;  // growth
      } else if (phase < 0.70) {
        insert_pct = 45, erase_pct = 45;  // churn
      } else if (phase < 0.90) {
        insert_pct = 3, erase_pct = 77;  // erase most entries
      } else {
        insert_pct = 80, erase_pct = 5;  // re-growth
      }
      const unsigned roll = static_cast<unsigned>(rng() % 100);
      std::uint64_t key = mix64(rng() % key_space);  // scrambled, but repeats
      if (rng() % 1000 == 0) key = (rng() & 1) ? 0 : ~std::uint64_t{0};
      if (roll < insert_pct) {
        ls.insert(key, rng() >> 1);
      } else if (roll < insert_pct + erase_pct) {
        // Erase mostly keys that exist, so the erase phase really empties the map.
        if (!ls.reference().empty() && rng() % 4 != 0) key = ls.reference().begin()->first;
        ls.erase(key);
      } else {
        ls.find(key);
      }
      if (i % 10007 == 10006) ls.maintenance(std::chrono::microseconds(50));
      const bool migrating = ls.map().resize_counters().migrating;
      if (extra(ls.map(), i)) {
        ++out.extra_checkpoints;
        check(i, migrating);
        was_migrating = migrating;
        continue;
      }
      if (migrating && !was_migrating) checks_this_migration = 0;
      if (migrating && (!was_migrating || (i - last_check >= kWhileMigrating &&
                                           checks_this_migration < kChecksPerMigration))) {
        ++checks_this_migration;
        check(i, true);
      } else if (i - last_check >= kPeriodic) {
        check(i, migrating);
      }
      was_migrating = migrating;
    }
    check(ops, ls.map().resize_counters().migrating);
  } catch (const LockstepMismatch& e) {
    out.failure = e.what();
  }
  out.grows = ls.map().resize_counters().grows_started;
  return out;
}

}  // namespace rehashlab::testing
