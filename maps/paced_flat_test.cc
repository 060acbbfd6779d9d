// Mechanism tests for paced_flat (maps/paced_flat.h): group matching, differential
// runs with checkpoints mid-migration in every AllocMode, the pacing properties
// (bounded work per write, migration done before the next grow could be due, no
// grow while one runs, also when the pace falls behind its plan, on a sparse old
// array, and for churn's same-size rebuilds), finds and erases in both arrays
// mid-migration, finds that do no migration work, maintenance() finishing the
// growth work, hostile hashes, allocation failure, pre-faulting, chunked release,
// clear() mid-migration, and a check_invariants() that fails on a corrupted entry.
#include "maps/paced_flat.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <new>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "maps/differential.h"
#include "maps/test_util.h"

namespace rehashlab {
namespace {

using Map = PacedFlatMap<std::uint64_t, std::uint64_t>;
using Ref = std::unordered_map<std::uint64_t, std::uint64_t>;
using testing::compare_contents;
using testing::counter;

// Every key collides in the high bits (one home group) and the tag is 1, 2 or 3.
struct FewBitHash {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::uint64_t k) const noexcept { return mix64(k ^ seed) & 3; }
};
// Only the top two bits vary: four home groups at most, every tag the same.
struct HighBitsHash {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::uint64_t k) const noexcept { return mix64(k ^ seed) & 0xc000000000000000ull; }
};

TEST(PacedFlatGroup, MatchAgreesWithAByteLoop) {
  std::mt19937_64 rng(1);
  const std::uint8_t alphabet[] = {0, 1, 2, 0x7f, 0x80, 0x81, 0xfe, 0xff};
  alignas(16) unsigned char ctrl[16];
  for (int iter = 0; iter < 100000; ++iter) {
    for (auto& c : ctrl) c = (rng() & 1) ? alphabet[rng() % 8] : static_cast<unsigned char>(rng());
    const auto byte = static_cast<std::uint8_t>((rng() & 1) ? alphabet[rng() % 8] : rng());
    std::uint32_t want = 0;
    for (unsigned i = 0; i < 15; ++i) want |= static_cast<std::uint32_t>(ctrl[i] == byte) << i;
    ASSERT_EQ(paced_flat::SwarGroup::match(ctrl, byte), want) << "iteration " << iter;
#if defined(__SSE2__)
    ASSERT_EQ(paced_flat::Sse2Group::match(ctrl, byte), want) << "iteration " << iter;
#endif
  }
}

// Runs a seeded mix of operations against a reference. Checks every result, and
// the full contents plus check_invariants() at the first and last write of every
// migration and at 4 points spread over it (by entries left in the old array).
template <class M>
struct Driver {
  M& map;
  Ref ref;
  std::mt19937_64 rng;
  std::uint64_t checks = 0, mid_checks = 0;
  std::size_t next_mark = 0;  // old_entries at or below which the next mid check runs
  std::size_t mark_step = 1;

  Driver(M& m, std::uint64_t seed) : map(m), rng(seed) {}

  void check(const char* where) {
    ++checks;
    const auto err = compare_contents(map, ref);
    ASSERT_EQ(err, std::nullopt) << where;
  }

  // One random op: insert_pct% inserts, erase_pct% erases, the rest finds.
  void step(std::uint64_t key_space, unsigned insert_pct, unsigned erase_pct) {
    const bool was = map.migrating();
    const unsigned roll = static_cast<unsigned>(rng() % 100);
    const std::uint64_t key = mix64(rng() % key_space);
    if (roll < insert_pct) {
      const std::uint64_t v = rng();
      ASSERT_EQ(map.insert_or_assign(key, v), ref.insert_or_assign(key, v).second);
    } else if (roll < insert_pct + erase_pct) {
      ASSERT_EQ(map.erase(key), ref.erase(key) == 1);
    } else {
      const std::uint64_t* got = map.find(key);
      const auto it = ref.find(key);
      ASSERT_EQ(got == nullptr, it == ref.end());
      if (got != nullptr) {
        ASSERT_EQ(*got, it->second);
      }
    }
    ASSERT_EQ(map.size(), ref.size());
    if (map.migrating() && !was) {
      check("first write of a migration");
      mark_step = std::max<std::size_t>(1, map.old_entries() / 5);
      next_mark = map.old_entries() > mark_step ? map.old_entries() - mark_step : 0;
    } else if (!map.migrating() && was) {
      check("write that ended a migration");
    } else if (map.migrating() && map.old_entries() <= next_mark) {
      ++mid_checks;
      check("mid-migration");
      next_mark = map.old_entries() > mark_step ? map.old_entries() - mark_step : 0;
    }
  }
};

TEST(PacedFlat, DifferentialWithMidMigrationCheckpointsInEveryAllocMode) {
  for (AllocMode mode : {AllocMode::kFresh, AllocMode::kSystem, AllocMode::kNaive}) {
    SCOPED_TRACE(alloc_mode_name(mode));
    MemoryCounter mem;
    {
      Map map(SeededHash<std::uint64_t>{11}, mem, mode);
      Driver<Map> d(map, 5);
      // Growth to ~60k entries (old arrays above the release batch), churn, erasure, growth.
      for (int i = 0; i < 100000; ++i) ASSERT_NO_FATAL_FAILURE(d.step(80000, 80, 5));
      for (int i = 0; i < 60000; ++i) ASSERT_NO_FATAL_FAILURE(d.step(120000, 45, 45));
      for (int i = 0; i < 60000; ++i) ASSERT_NO_FATAL_FAILURE(d.step(120000, 5, 80));
      for (int i = 0; i < 60000; ++i) ASSERT_NO_FATAL_FAILURE(d.step(200000, 85, 5));
      d.check("end");
      EXPECT_GE(map.resize_counters().grows_started, 10u);
      EXPECT_GE(d.mid_checks, 30u) << "too few checkpoints mid-migration";
      if (mode == AllocMode::kFresh) {
        EXPECT_GT(counter(map, "release_batches"), 0u);
        EXPECT_GT(counter(map, "prefault_pages"), 0u);
      } else {
        EXPECT_EQ(counter(map, "release_batches"), 0u);
        EXPECT_EQ(counter(map, "prefault_pages"), 0u);
      }
    }
    EXPECT_EQ(mem.live_bytes(), 0u);
  }
}

TEST(PacedFlat, SharedDifferentialDriverInSystemAndNaiveModes) {
  for (AllocMode mode : {AllocMode::kSystem, AllocMode::kNaive}) {
    testing::Lockstep<Map> ls(SeededHash<std::uint64_t>{3}, mode);
    const auto r = testing::run_differential(ls, 300000, 9);
    ASSERT_EQ(r.failure, std::nullopt) << alloc_mode_name(mode);
    EXPECT_GE(r.migrating_checkpoints, 3u);
    ls.destroy_and_check_memory();
  }
}

template <class H>
void hostile_differential(std::uint64_t ops, std::uint64_t key_space) {
  MemoryCounter mem;
  {
    PacedFlatMap<std::uint64_t, std::uint64_t, H> map(H{7}, mem);
    Driver<PacedFlatMap<std::uint64_t, std::uint64_t, H>> d(map, 17);
    for (std::uint64_t i = 0; i < ops; ++i) ASSERT_NO_FATAL_FAILURE(d.step(key_space, 60, 20));
    d.check("end");
    EXPECT_GE(map.resize_counters().grows_started, 3u);
    EXPECT_GE(d.mid_checks, 3u);
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

TEST(PacedFlat, HostileHashesZeroFewBitsHighBits) {
  hostile_differential<ZeroHash<std::uint64_t>>(3000, 800);
  hostile_differential<FewBitHash>(3000, 800);
  hostile_differential<HighBitsHash>(3000, 800);
}

// Inserts fresh keys (recording them) and returns after `n` inserts.
void insert_fresh(Map& map, Ref& ref, std::uint64_t& next, std::uint64_t n) {
  for (std::uint64_t i = 0; i < n; ++i, ++next) {
    const std::uint64_t k = mix64(next);
    ASSERT_TRUE(map.insert_or_assign(k, next));
    ref[k] = next;
  }
}

// Pure growth: watch every migration from the insert that starts it.
struct MigrationLog {
  std::size_t s0 = 0, g0 = 0;          // entries and slack when it started
  std::size_t inserts = 0;             // inserts of new keys until it ended
  std::size_t max_moved = 0;           // most entries one write moved
  std::size_t slack_at_end = 0;
};

std::vector<MigrationLog> grow_and_log(Map& map, Ref& ref, std::uint64_t& next, std::size_t target) {
  std::vector<MigrationLog> logs;
  while (ref.size() < target) {
    const ResizeCounters before = map.resize_counters();
    const std::size_t size_before = map.size();
    const std::uint64_t k = mix64(next);
    EXPECT_TRUE(map.insert_or_assign(k, next));
    ref[k] = next++;
    const ResizeCounters after = map.resize_counters();
    if (after.grows_started != before.grows_started) {
      // P1: a grow starts only when none is running.
      EXPECT_FALSE(before.migrating) << "a grow started while one was running";
      EXPECT_EQ(after.grows_started, before.grows_started + 1);
      MigrationLog log;
      log.s0 = size_before;
      log.g0 = map.gap() + 1;  // this insert used one unit of slack
      logs.push_back(log);
    }
    if (!logs.empty() && (before.migrating || after.grows_started != before.grows_started)) {
      MigrationLog& log = logs.back();
      ++log.inserts;
      log.max_moved = std::max(log.max_moved, map.last_step_moved());
      if (!after.migrating) log.slack_at_end = map.max_load() - map.size();
    }
  }
  return logs;
}

TEST(PacedFlat, PacingFinishesEarlyWithFewEntriesPerWrite) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{21}, mem);
  Ref ref;
  std::uint64_t next = 0;
  const auto logs = grow_and_log(map, ref, next, 300000);
  ASSERT_GE(logs.size(), 12u);
  for (const MigrationLog& log : logs) {
    SCOPED_TRACE("migration from " + std::to_string(log.s0) + " entries, slack " + std::to_string(log.g0));
    if (&log == &logs.back() && map.migrating()) break;
    // P2: done before the next grow could be due, and within the plan (a
    // quarter of the slack, +1 for rounding).
    EXPECT_LE(log.inserts, log.g0);
    EXPECT_LE(log.inserts, log.g0 / Map::kPaceFactor + 1);
    // P3: a doubling from a full table moves a handful per write (Go: ~13).
    EXPECT_LE(log.max_moved, 6u);
    EXPECT_GE(log.slack_at_end, log.g0 / 2);
  }
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// The pace falls behind its plan on every write (planned quota 0: only the
// guarantee term is left). Phase 1, inserts only: every migration must
// still end before its slack is used up, and it does so only just (the guarantee,
// not the plan, finished it). Phase 2 interleaves erases and overwrites. In both:
// no grow starts while one runs, and check_invariants() (R * G0 <= S * G) holds.
TEST(PacedFlat, PacingGuaranteeHoldsWhenThePlanFallsBehind) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{23}, mem);
  map.set_pace_factor_for_testing(0);
  Ref ref;
  std::mt19937_64 rng(4);
  std::uint64_t next = 0, grows = 0, completions = 0;
  std::size_t max_slack_at_end = 0;
  for (int i = 0; i < 300000; ++i) {
    const bool inserts_only = i < 150000;
    const ResizeCounters before = map.resize_counters();
    const unsigned roll = static_cast<unsigned>(rng() % 100);
    if (inserts_only || roll < 80 || ref.empty()) {
      const std::uint64_t k = mix64(next);
      ASSERT_TRUE(map.insert_or_assign(k, next));
      ref[k] = next++;
    } else if (roll < 92) {
      const std::uint64_t k = mix64(rng() % next);
      ASSERT_EQ(map.erase(k), ref.erase(k) == 1);
    } else {
      const std::uint64_t k = mix64(rng() % next);
      ASSERT_EQ(map.insert_or_assign(k, 7), ref.insert_or_assign(k, 7).second);
    }
    const ResizeCounters after = map.resize_counters();
    if (after.grows_started != before.grows_started) {
      ASSERT_FALSE(before.migrating) << "op " << i << ": a grow started while one was running";
      ++grows;
    }
    if (before.migrating && !after.migrating) {
      ++completions;
      if (inserts_only) max_slack_at_end = std::max(max_slack_at_end, map.max_load() - map.size());
    }
    if (i % 4099 == 0) {
      ASSERT_NO_THROW(map.check_invariants()) << "op " << i;
    }
  }
  EXPECT_GE(grows, 10u);
  EXPECT_GE(completions + 1, grows);
  EXPECT_LE(max_slack_at_end, 2u) << "without a plan a migration should take (almost) all its slack";
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// A sparse old array makes migration steps hit their scan bound: with the
// plan's quota 0 while erasing (one entry moved per write), erase 99.5% of the
// old entries in the upper half of the old array (hash top bit 1), then let
// inserts walk the cursor through that sparse half. Steps are cut short of q0,
// and the guarantee still holds (check_invariants after every write).
TEST(PacedFlat, ScanBoundedStepsOnASparseOldArray) {
  MemoryCounter mem;
  const SeededHash<std::uint64_t> hash{29};
  Map map(hash, mem);
  Ref ref;
  std::uint64_t next = 0;
  insert_fresh(map, ref, next, 20000);
  while (!map.migrating()) insert_fresh(map, ref, next, 1);
  std::vector<std::uint64_t> upper;
  for (const auto& [k, v] : ref) {
    if (map.in_old_array(k) && (hash(k) >> 63) == 1) upper.push_back(k);
  }
  ASSERT_GT(upper.size(), 10000u);
  map.set_pace_factor_for_testing(0);
  for (std::size_t i = 0; i < upper.size(); ++i) {
    if (i % 200 != 0) {
      ASSERT_TRUE(map.erase(upper[i]));
      ref.erase(upper[i]);
    }
  }
  map.set_pace_factor_for_testing(Map::kPaceFactor);
  ASSERT_TRUE(map.migrating());
  std::uint64_t cut_short = 0;
  while (map.migrating()) {
    insert_fresh(map, ref, next, 1);
    if (map.migrating() && map.last_step_moved() < map.last_step_quota()) ++cut_short;
    ASSERT_NO_THROW(map.check_invariants());
  }
  EXPECT_GT(cut_short, 0u) << "no step hit its scan bound: the test does not test it";
  EXPECT_LE(counter(map, "max_groups_scanned_per_step"), Map::kScanGroupsPerWrite + 2 * Map::kPaceFactor + 2);
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// Insert/erase churn at constant size lowers max_load (drift) until a grow
// rebuilds the array at the same size; the rebuild is paced like a doubling.
TEST(PacedFlat, ChurnTriggersPacedSameSizeRebuilds) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{59}, mem);
  Ref ref;
  std::uint64_t next = 0, oldest = 0;
  insert_fresh(map, ref, next, 20000);
  while (map.migrating()) insert_fresh(map, ref, next, 1);
  const std::size_t capacity = map.capacity();
  // Fill to 82% of max_load, then keep the size there: insert one new key, erase the oldest.
  while (map.size() < map.max_load() * 82 / 100) insert_fresh(map, ref, next, 1);
  for (int i = 0; i < 400000; ++i) {
    insert_fresh(map, ref, next, 1);
    ASSERT_TRUE(map.erase(mix64(oldest)));
    ref.erase(mix64(oldest++));
    if (i % 20011 == 0) {
      ASSERT_NO_THROW(map.check_invariants());
    }
  }
  EXPECT_GE(counter(map, "cleanup_grows"), 2u);
  EXPECT_EQ(counter(map, "doubling_grows"), map.resize_counters().grows_started - counter(map, "cleanup_grows"));
  EXPECT_EQ(map.capacity(), capacity) << "churn at constant size must not grow the array";
  EXPECT_GT(counter(map, "drift"), 0u);
  // Churn gives slack back as fast as it takes it: the capped plan does the work.
  EXPECT_LE(counter(map, "max_step_moved"), Map::kMaxPlannedQuota);
  EXPECT_LE(counter(map, "max_probe"), 16u) << "probe lengths drifted";
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

TEST(PacedFlat, FindAndEraseInBothArraysMidMigration) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{31}, mem);
  Ref ref;
  std::uint64_t next = 0;
  insert_fresh(map, ref, next, 30000);
  while (map.migrating()) insert_fresh(map, ref, next, 1);
  while (!map.migrating()) insert_fresh(map, ref, next, 1);
  // Run the migration about halfway.
  const std::size_t start_old = map.old_entries();
  while (map.old_entries() > start_old / 2) insert_fresh(map, ref, next, 1);
  ASSERT_TRUE(map.migrating());
  std::vector<std::uint64_t> in_old, in_new;
  for (const auto& [k, v] : ref) {
    const bool o = map.in_old_array(k), n = map.in_new_array(k);
    ASSERT_NE(o, n) << "a key must be in exactly one array";
    (o ? in_old : in_new).push_back(k);
  }
  ASSERT_GT(in_old.size(), 1000u);
  ASSERT_GT(in_new.size(), 1000u);
  // Finds hit both arrays; misses miss both.
  for (std::size_t i = 0; i < 1000; ++i) {
    ASSERT_EQ(*map.find(in_old[in_old.size() - 1 - i]), ref[in_old[in_old.size() - 1 - i]]);
    ASSERT_EQ(*map.find(in_new[i]), ref[in_new[i]]);
    ASSERT_EQ(map.find(mix64(next + i)), nullptr);
  }
  // Updates in place, erases from both arrays (each write also migrates).
  for (std::size_t i = 0; i < 300; ++i) {
    ASSERT_FALSE(map.insert_or_assign(in_old[i], 1000 + i));
    ref[in_old[i]] = 1000 + i;
  }
  std::size_t erased_from_old = 0;
  for (std::size_t i = 300; i < 900; ++i) {
    if (map.in_old_array(in_old[i])) ++erased_from_old;
    ASSERT_TRUE(map.erase(in_old[i]));
    ASSERT_TRUE(map.erase(in_new[i]));
    ref.erase(in_old[i]);
    ref.erase(in_new[i]);
    ASSERT_EQ(map.find(in_old[i]), nullptr);
    ASSERT_EQ(map.find(in_new[i]), nullptr);
    ASSERT_FALSE(map.erase(in_old[i]));
  }
  ASSERT_TRUE(map.migrating());
  EXPECT_GT(erased_from_old, 100u) << "the erases should hit the old array";
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  // Re-insert erased keys (they go to the new array) and finish.
  for (std::size_t i = 300; i < 900; ++i) {
    ASSERT_TRUE(map.insert_or_assign(in_old[i], i));
    ref[in_old[i]] = i;
  }
  while (map.migrating()) insert_fresh(map, ref, next, 1);
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

TEST(PacedFlat, FindsDoNoMigrationWork) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{37}, mem);
  Ref ref;
  std::uint64_t next = 0;
  insert_fresh(map, ref, next, 5000);
  while (!map.migrating()) insert_fresh(map, ref, next, 1);
  const std::size_t old_entries = map.old_entries(), cursor = map.cursor();
  const std::uint64_t moved = map.resize_counters().entries_moved;
  for (const auto& [k, v] : ref) ASSERT_EQ(*map.find(k), v);
  for (std::uint64_t i = next; i < next + 5000; ++i) ASSERT_EQ(map.find(mix64(i)), nullptr);
  EXPECT_EQ(map.old_entries(), old_entries);
  EXPECT_EQ(map.cursor(), cursor);
  EXPECT_EQ(map.resize_counters().entries_moved, moved);
}

TEST(PacedFlat, MaintenanceFinishesMigrationPrefaultAndRelease) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{39}, mem);
  Ref ref;
  std::uint64_t next = 0;
  while (!(map.migrating() && map.old_array_bytes_held() >= (std::size_t{2} << 20))) insert_fresh(map, ref, next, 1);
  map.maintenance(std::chrono::nanoseconds(0));
  EXPECT_TRUE(map.migrating()) << "budget 0 does nothing";
  for (int i = 0; i < 1000 && (map.migrating() || map.prefault_pending() || map.old_array_bytes_held() != 0); ++i) {
    map.maintenance(std::chrono::microseconds(200));
  }
  EXPECT_FALSE(map.migrating());
  EXPECT_FALSE(map.prefault_pending());
  EXPECT_EQ(map.old_array_bytes_held(), 0u);
  EXPECT_EQ(map.resize_counters().old_arrays_freed, map.resize_counters().grows_started);
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

TEST(PacedFlat, AllocationFailureAtGrowKeepsEveryEntryAndMigrationNeverAllocates) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{41}, mem);
  Ref ref;
  std::uint64_t next = 0;
  insert_fresh(map, ref, next, 100);
  for (int round = 0; round < 6; ++round) {
    // Fill to the threshold without starting a grow.
    while (map.migrating() || map.size() < map.max_load()) insert_fresh(map, ref, next, 1);
    const ResizeCounters before = map.resize_counters();
    const std::uint64_t live = mem.live_bytes();
    mem.fail_allocation_at(1 + round % 2);  // the control words, or the slots after them
    EXPECT_THROW(map.insert_or_assign(mix64(next), 1), std::bad_alloc);
    EXPECT_FALSE(map.migrating());
    EXPECT_EQ(map.resize_counters().grows_started, before.grows_started);
    EXPECT_EQ(map.find(mix64(next)), nullptr);
    EXPECT_EQ(mem.live_bytes(), live) << "a failed grow must free what it allocated";
    ASSERT_EQ(compare_contents(map, ref), std::nullopt);
    // An overwrite and an erase need no allocation and succeed meanwhile.
    const std::uint64_t some = ref.begin()->first;
    EXPECT_FALSE(map.insert_or_assign(some, 99));
    ref[some] = 99;
    mem.fail_allocation_at(0);
    const std::uint64_t allocations = mem.allocations();
    insert_fresh(map, ref, next, 1);  // the retry grows
    EXPECT_TRUE(map.migrating());
    EXPECT_EQ(mem.allocations(), allocations + 2) << "a grow allocates exactly its two new arrays";
    // A running migration never allocates: every allocation from now fails.
    mem.fail_allocation_at(1);
    while (map.migrating()) {
      const std::uint64_t k = mix64(next);
      ASSERT_TRUE(map.insert_or_assign(k, next));
      ref[k] = next++;
      if (ref.size() % 3 == 0) {
        ASSERT_TRUE(map.erase(k));
        ref.erase(k);
      }
    }
    mem.fail_allocation_at(0);
    ASSERT_EQ(compare_contents(map, ref), std::nullopt);
  }
}

// Residency as the kernel reports it: pages of [p, p + bytes) not in memory.
std::size_t pages_not_resident(const unsigned char* p, std::size_t bytes) {
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> vec(bytes / page);
  EXPECT_EQ(::mincore(const_cast<unsigned char*>(p), vec.size() * page, vec.data()), 0);
  return static_cast<std::size_t>(std::count_if(vec.begin(), vec.end(), [](unsigned char v) { return (v & 1) == 0; }));
}

TEST(PacedFlat, NewArraysArePrefaultedAheadOfUseInFreshMode) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{43}, mem);
  Ref ref;
  std::uint64_t next = 0;
  // Grow until arrays of at least 1 MiB of slots have just been allocated.
  while (!(map.migrating() && map.slot_array().size_bytes() >= (std::size_t{1} << 20))) insert_fresh(map, ref, next, 1);
  const ZeroedArray& ctrl = map.ctrl_array();
  const ZeroedArray& slots = map.slot_array();
  auto not_resident = [&] {
    return pages_not_resident(static_cast<const unsigned char*>(ctrl.data()), ctrl.size_bytes()) +
           pages_not_resident(static_cast<const unsigned char*>(slots.data()), slots.size_bytes());
  };
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t pages = ctrl.size_bytes() / page + slots.size_bytes() / page;
  EXPECT_TRUE(map.prefault_pending());
#if !(defined(REHASHLAB_CHECK_INVARIANTS) && REHASHLAB_CHECK_INVARIANTS)
  // (Builds with invariant checks read the whole arrays at the grow: resident.)
  EXPECT_GT(not_resident(), pages / 2) << "fresh arrays should not be resident before pre-faulting";
#endif
  std::uint64_t writes = 0;
  while (map.prefault_pending()) {
    insert_fresh(map, ref, next, 1);
    ++writes;
  }
  EXPECT_TRUE(map.migrating()) << "pre-faulting should finish long before the migration";
  EXPECT_EQ(not_resident(), 0u);
  // Spread: no write pre-faulted more than its batch.
  EXPECT_GE(writes + 2, pages / Map::kPrefaultPagesPerWrite);
}

TEST(PacedFlat, OldArrayReturnedInBatchesInFreshModeAndAtOnceOtherwise) {
  for (AllocMode mode : {AllocMode::kFresh, AllocMode::kSystem}) {
    SCOPED_TRACE(alloc_mode_name(mode));
    MemoryCounter mem;
    Map map(SeededHash<std::uint64_t>{47}, mem, mode);
    Ref ref;
    std::uint64_t next = 0;
    while (!(map.migrating() && map.old_array_bytes_held() >= (std::size_t{4} << 20))) insert_fresh(map, ref, next, 1);
    const std::size_t held0 = map.old_array_bytes_held();
    const std::uint64_t live0 = mem.live_bytes();
    std::size_t held_mid = 0;
    std::uint64_t live_mid = 0;
    const std::size_t half = map.old_entries() / 2;
    while (map.old_entries() > half) insert_fresh(map, ref, next, 1);
    held_mid = map.old_array_bytes_held();
    live_mid = mem.live_bytes();
    while (map.old_array_bytes_held() != 0) insert_fresh(map, ref, next, 1);
    if (mode == AllocMode::kFresh) {
      // Half-way, half of it is released, less at most one batch per array not yet due.
      EXPECT_LT(held_mid, held0 / 2 + 2 * Map::kReleaseBatchBytes + (std::size_t{64} << 10));
      EXPECT_LT(live_mid, live0) << "the MemoryCounter should see the release";
    } else {
      EXPECT_EQ(held_mid, held0) << "system mode frees the old array at once, at the end";
    }
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  }
}

TEST(PacedFlat, ClearMidMigrationReturnsAllMemory) {
  MemoryCounter mem;
  using SMap = PacedFlatMap<std::string, std::string>;
  SMap map(SeededHash<std::string>{1}, mem);
  for (int i = 0; i < 3000 || !map.migrating(); ++i) {
    map.insert_or_assign("key-" + std::to_string(i), std::string(40, 'v'));
  }
  ASSERT_TRUE(map.migrating());
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(mem.live_bytes(), 0u);
  EXPECT_FALSE(map.resize_counters().migrating);
  map.check_invariants();
  EXPECT_TRUE(map.insert_or_assign("again", "x"));
  EXPECT_EQ(*map.find("again"), "x");
}

// check_invariants() is not vacuous: a key changed behind the map's back (so its
// slot holds a wrong tag and sits outside its probe sequence) must be reported,
// mid-migration in either array.
TEST(PacedFlat, CheckInvariantsCatchesACorruptedEntry) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{53}, mem);
  Ref ref;
  std::uint64_t next = 0;
  insert_fresh(map, ref, next, 5000);
  while (!map.migrating()) insert_fresh(map, ref, next, 1);
  insert_fresh(map, ref, next, 50);
  ASSERT_NO_THROW(map.check_invariants());
  std::uint64_t key_old = 0, key_new = 0;
  for (const auto& [k, v] : ref) {
    if (map.in_old_array(k)) key_old = k;
    if (map.in_new_array(k)) key_new = k;
  }
  for (std::uint64_t k : {key_old, key_new}) {
    // Slot = {key, value}: the key precedes the value.
    auto* key_in_slot = const_cast<std::uint64_t*>(map.find(k)) - 1;
    ASSERT_EQ(*key_in_slot, k);
    *key_in_slot = k ^ 0x5a5a5a5a5a5a5a5aull;
    EXPECT_THROW(map.check_invariants(), InvariantViolation);
    *key_in_slot = k;
    EXPECT_NO_THROW(map.check_invariants());
  }
}

}  // namespace
}  // namespace rehashlab
