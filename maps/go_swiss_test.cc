// Mechanism tests for go_swiss (maps/go_swiss.h): the growth sequence Go's rules
// give (small map, grows to 1024 slots, the first split), bounded steps, the
// directory under hashes that do not spread, tombstone pruning, allocation
// failure at every allocation, and a long differential run against
// std::unordered_map with check_invariants() after every directory doubling and
// after splits.
#include "maps/go_swiss.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "maps/differential.h"
#include "maps/test_util.h"

namespace rehashlab {
namespace {

using Map = GoSwissMap<std::uint64_t, std::uint64_t>;
using Ref = std::unordered_map<std::uint64_t, std::uint64_t>;
using testing::compare_contents;
using testing::counter;

TEST(GoSwiss, GroupIsGosLayout) {
  // ctrl word + 8 x {key, elem}: Go's group for map[int64]int64 is 136 bytes.
  EXPECT_EQ(Map::group_bytes(), 8u + 8u * 16u);
}

// Go's rules, worked by hand: 8 keys in the small group; the 9th moves them to a
// 16-slot table; a table of c slots takes 7c/8 entries, so the 15th, 29th, 57th,
// 113th, 225th and 449th keys grow it to 32 ... 1024 slots; the 897th splits it,
// doubling the directory from 1 to 2 entries.
TEST(GoSwiss, GrowthSequenceFollowsGosRules) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{3}, mem);
  const std::vector<std::uint64_t> grow_at = {15, 29, 57, 113, 225, 449};
  std::uint64_t grows = 0;
  for (std::uint64_t k = 1; k <= 897; ++k) {
    ASSERT_TRUE(map.insert_or_assign(mix64(k), k));
    if (k <= 8) {
      ASSERT_TRUE(map.is_small()) << k;
      ASSERT_EQ(map.resize_counters().grows_started, 0u);
      continue;
    }
    ASSERT_FALSE(map.is_small()) << k;
    ASSERT_EQ(counter(map, "small_to_table"), 1u);
    if (std::find(grow_at.begin(), grow_at.end(), k) != grow_at.end()) ++grows;
    ASSERT_EQ(counter(map, "table_grows"), grows) << "after key " << k;
    if (k < 897) {
      ASSERT_EQ(map.table_count(), 1u) << k;
      ASSERT_EQ(counter(map, "tables_split"), 0u) << k;
    }
  }
  EXPECT_EQ(counter(map, "max_table_capacity"), 1024u);
  EXPECT_EQ(map.table_count(), 2u);
  EXPECT_EQ(counter(map, "tables_split"), 1u);
  EXPECT_EQ(counter(map, "directory_doublings"), 1u);
  EXPECT_EQ(map.global_depth(), 1u);
  EXPECT_EQ(map.resize_counters().grows_started, 1u + 6u + 1u);
  map.check_invariants();
}

TEST(GoSwiss, OverwriteInAFullSmallMapDoesNotConvert) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{3}, mem);
  for (std::uint64_t k = 0; k < 8; ++k) map.insert_or_assign(k, k);
  mem.fail_allocation_at(1);  // an overwrite must not allocate
  EXPECT_FALSE(map.insert_or_assign(5, 50));
  mem.fail_allocation_at(0);
  EXPECT_TRUE(map.is_small());
  EXPECT_EQ(*map.find(5), 50u);
  EXPECT_TRUE(map.insert_or_assign(100, 1));
  EXPECT_FALSE(map.is_small());
  map.check_invariants();
}

// Small maps never hold tombstones: erasing and re-inserting stays in one group.
TEST(GoSwiss, SmallMapReusesErasedSlots) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{3}, mem);
  for (std::uint64_t round = 0; round < 100; ++round) {
    for (std::uint64_t k = 0; k < 8; ++k) ASSERT_TRUE(map.insert_or_assign(round * 8 + k, k));
    for (std::uint64_t k = 0; k < 8; ++k) ASSERT_TRUE(map.erase(round * 8 + k));
    map.check_invariants();
  }
  EXPECT_TRUE(map.is_small());
  EXPECT_EQ(map.resize_counters().grows_started, 0u);
}

// Every growth step is bounded by one table: no insert moves more than a full
// 1024-slot table (896 entries), and only a directory doubling writes more than
// a table's directory entries.
TEST(GoSwiss, EveryStepMovesAtMostOneTable) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{11}, mem);
  std::uint64_t doublings = 0, max_moved = 0;
  for (std::uint64_t k = 0; k < 300000; ++k) {
    const ResizeCounters before = map.resize_counters();
    const std::uint64_t doublings_before = map.directory_doublings();
    map.insert_or_assign(mix64(k), k);
    const ResizeCounters after = map.resize_counters();
    ASSERT_LE(after.grows_started - before.grows_started, 1u) << "one step per insert";
    ASSERT_FALSE(after.migrating);
    const std::uint64_t moved = after.entries_moved - before.entries_moved;
    ASSERT_LE(moved, 896u) << "an insert moved more than one full table";
    max_moved = std::max(max_moved, moved);
    const std::uint64_t now = map.directory_doublings();
    if (now != doublings_before) {
      ++doublings;
      // The doubling wrote the new directory: exactly 2^globalDepth pointers.
      EXPECT_EQ(counter(map, "doubling_bytes_max"), (std::uint64_t{1} << map.global_depth()) * sizeof(void*));
    }
  }
  EXPECT_GE(doublings, 8u);
  EXPECT_GT(max_moved, 700u) << "splits of full tables move most of 896 entries";
  EXPECT_EQ(counter(map, "oversize_rebuilds"), 0u) << "a good hash never needs the hostile-hash fallback";
  const ResizeCounters c = map.resize_counters();
  EXPECT_EQ(c.grows_started, c.migrations_completed);
  EXPECT_EQ(c.grows_started,
            counter(map, "small_to_table") + counter(map, "table_grows") + counter(map, "tables_split"));
  EXPECT_EQ(c.payload_bytes_moved, c.entries_moved * 16u);
  map.check_invariants();
}

// Extendible hashing keeps tables between half and fully loaded: with random
// hashes no table is far below half of 7/8 after a split.
TEST(GoSwiss, TablesCountTracksEntries) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{5}, mem);
  constexpr std::uint64_t kN = 200000;
  for (std::uint64_t k = 0; k < kN; ++k) map.insert_or_assign(mix64(k), k);
  // Each table holds between ~448 (just split) and 896 entries.
  EXPECT_GE(map.table_count(), kN / 896);
  EXPECT_LE(map.table_count(), kN / 400);
  EXPECT_LE(map.global_depth(), std::bit_width(map.table_count()) + 2u) << "directory much larger than the tables need";
}

// --- hostile hashes -------------------------------------------------------------

// Top two bits take 4 values; the next six are always zero; the rest spread.
struct FourTopBitsHash {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::uint64_t k) const noexcept { return (mix64(k ^ seed) >> 8) | ((k % 4) << 62); }
};

// A few keys carry one of 40 top bits; all other keys have zero top bits. Each
// split then peels a handful of keys off, and Go would keep doubling the directory.
struct StaircaseHash {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::uint64_t k) const noexcept {
    const std::uint64_t low = mix64(k ^ seed) >> 24;  // bits 0..39
    return k % 50 == 0 ? low | (std::uint64_t{1} << (63 - (k / 50) % 24)) : low;
  }
};

TEST(GoSwiss, ZeroHashNeverTouchesTheDirectory) {
  MemoryCounter mem;
  GoSwissMap<std::uint64_t, std::uint64_t, ZeroHash<std::uint64_t>> map(ZeroHash<std::uint64_t>{}, mem);
  testing::expect_churn_matches_reference(map, 3000);
  EXPECT_EQ(map.global_depth(), 0u);
  EXPECT_EQ(map.table_count(), 1u);
  EXPECT_GT(counter(map, "oversize_rebuilds"), 0u);
  EXPECT_GT(counter(map, "max_table_capacity"), 1024u);
}

TEST(GoSwiss, FewDistinctTopBitsStopSplittingWhereTheBitsEnd) {
  MemoryCounter mem;
  GoSwissMap<std::uint64_t, std::uint64_t, FourTopBitsHash> map(FourTopBitsHash{9}, mem);
  testing::expect_churn_matches_reference(map, 30000);
  EXPECT_EQ(map.global_depth(), 2u) << "the two informative bits split; the zero bits below must not";
  EXPECT_EQ(map.table_count(), 4u);
  EXPECT_GT(counter(map, "oversize_rebuilds"), 0u);
}

TEST(GoSwiss, DirectoryDepthIsCappedWhenSplitsPeelOffFewKeys) {
  MemoryCounter mem;
  GoSwissMap<std::uint64_t, std::uint64_t, StaircaseHash> map(StaircaseHash{4}, mem);
  testing::expect_churn_matches_reference(map, 40000);
  EXPECT_GT(counter(map, "oversize_rebuilds"), 0u);
  EXPECT_LE(map.global_depth(), std::bit_width(map.table_count()) + Map::kDirectorySlackBits);
}

// --- tombstones -------------------------------------------------------------------

// Churn at constant size in one full-size table: Go 1.24.0 (no pruning) turns the
// tombstones into splits (golang/go#70886); pruneTombstones reclaims them instead.
std::pair<std::uint64_t, std::uint64_t> churn_splits(bool prune) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{21}, mem, AllocMode::kFresh, prune);
  Ref ref;
  std::uint64_t next = 0;
  for (; next < 600; ++next) map.insert_or_assign(mix64(next), next), ref[mix64(next)] = next;
  for (std::uint64_t i = 0; i < 60000; ++i, ++next) {
    map.insert_or_assign(mix64(next), next);
    ref[mix64(next)] = next;
    EXPECT_TRUE(map.erase(mix64(next - 600)));
    ref.erase(mix64(next - 600));
    if (i % 5000 == 0) {
      EXPECT_EQ(compare_contents(map, ref), std::nullopt);
    }
  }
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  return {counter(map, "tables_split") + counter(map, "table_grows"), counter(map, "prunes")};
}

TEST(GoSwiss, PruneTombstonesReplacesChurnSplits) {
  const auto [steps_without, prunes_without] = churn_splits(false);
  const auto [steps_with, prunes_with] = churn_splits(true);
  EXPECT_EQ(prunes_without, 0u);
  EXPECT_GT(prunes_with, 0u);
  EXPECT_LT(steps_with, steps_without) << "pruning should replace some rebuilds";
}

TEST(GoSwiss, EraseInFullGroupLeavesTombstoneElseEmpty) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{8}, mem);
  for (std::uint64_t k = 0; k < 800; ++k) map.insert_or_assign(mix64(k), k);  // one 1024-slot table, 800/1024 full
  std::uint64_t made = 0;
  for (std::uint64_t k = 0; k < 800; k += 2) {
    const std::size_t before = map.tombstones();
    ASSERT_TRUE(map.erase(mix64(k)));
    made += map.tombstones() - before;
    map.check_invariants();  // recounts growthLeft = max - used - tombstones
  }
  // With 78% of slots full, some groups are full (tombstones) and some are not.
  EXPECT_GT(made, 0u);
  EXPECT_LT(made, 400u);
}

// --- seed --------------------------------------------------------------------------

TEST(GoSwiss, ReseedsWhenEmptiedAndOnClear) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{77}, mem);
  EXPECT_EQ(map.hash_seed(), 77u) << "the first seed is the run's";
  for (std::uint64_t k = 0; k < 5000; ++k) map.insert_or_assign(k, k);
  for (std::uint64_t k = 0; k < 4999; ++k) map.erase(k);
  EXPECT_EQ(map.hash_seed(), 77u);
  map.erase(4999);
  const std::uint64_t s1 = map.hash_seed();
  EXPECT_NE(s1, 77u);
  for (std::uint64_t k = 0; k < 3000; ++k) map.insert_or_assign(k, k + 1);
  map.clear();
  EXPECT_NE(map.hash_seed(), s1);
  for (std::uint64_t k = 0; k < 3000; ++k) ASSERT_TRUE(map.insert_or_assign(k, k + 2));
  for (std::uint64_t k = 0; k < 3000; ++k) ASSERT_EQ(*map.find(k), k + 2);
  map.check_invariants();
}

// --- allocation failure -------------------------------------------------------------

// Every allocation of a workload that converts the small map, grows tables, splits
// them and doubles the directory fails once in turn; the map must keep exactly the
// entries it had (compared with a reference that applied only the operations that
// succeeded) and keep working when the operation is retried.
TEST(GoSwiss, EveryAllocationFailsOnceAndTheMapRecovers) {
  std::vector<std::pair<bool, std::uint64_t>> ops;  // (insert?, key)
  for (std::uint64_t k = 0; k < 2600; ++k) {
    ops.push_back({true, mix64(k)});
    if (k % 4 == 0) ops.push_back({false, mix64(k / 2)});
  }
  std::uint64_t failures = 0, failed_doublings = 0, failed_splits = 0;
  for (std::uint64_t n = 1;; ++n) {
    ASSERT_LT(n, 10000u);
    MemoryCounter mem;
    std::optional<Map> map;
    map.emplace(SeededHash<std::uint64_t>{5}, mem);
    Ref ref;
    mem.fail_allocation_at(n);
    bool failed = false;
    for (const auto& [insert, key] : ops) {
      if (!insert) {
        ASSERT_EQ(map->erase(key), ref.erase(key) == 1);
        continue;
      }
      const std::uint64_t doublings = map->directory_doublings();
      const std::uint64_t splits = map->tables_split();
      try {
        const bool inserted = map->insert_or_assign(key, key + n);  // before the reference: it may throw
        ASSERT_EQ(inserted, ref.insert_or_assign(key, key + n).second);
      } catch (const std::bad_alloc&) {
        ASSERT_FALSE(failed) << "the failure was injected once";
        failed = true;
        ++failures;
        ASSERT_EQ(compare_contents(*map, ref), std::nullopt) << "allocation " << n;
        ASSERT_EQ(map->insert_or_assign(key, key + n), ref.insert_or_assign(key, key + n).second);
        failed_doublings += map->directory_doublings() != doublings;
        failed_splits += map->tables_split() != splits;
      }
    }
    ASSERT_EQ(compare_contents(*map, ref), std::nullopt);
    map.reset();
    ASSERT_EQ(mem.live_bytes(), 0u) << "leak after failing allocation " << n;
    if (!failed) break;  // n is past the last allocation
  }
  EXPECT_GT(failures, 20u);
  EXPECT_GT(failed_splits, 0u) << "no failure hit a split";
  EXPECT_GT(failed_doublings, 0u) << "no failure hit a directory doubling";
}

// --- differential ---------------------------------------------------------------------

// >= 1M operations against std::unordered_map through growth, churn, mass erasure
// and re-growth (the shared differential driver), with full comparisons
// (check_invariants included) also right after every directory doubling, after
// every 16th split and after prunes.
void differential(bool prune, std::uint64_t ops, std::uint64_t seed) {
  testing::Lockstep<Map> ls(SeededHash<std::uint64_t>{seed}, AllocMode::kFresh, prune);
  std::uint64_t doubling_checks = 0, split_checks = 0, last_doublings = 0, last_splits = 0, last_prunes = 0;
  auto at_growth_events = [&](const Map& map, std::uint64_t) {
    bool check = false;
    if (map.directory_doublings() != last_doublings) check = true, ++doubling_checks;
    if (map.tables_split() / 16 != last_splits / 16) check = true, ++split_checks;
    if (map.prunes() != last_prunes) check = true;
    last_doublings = map.directory_doublings(), last_splits = map.tables_split(), last_prunes = map.prunes();
    return check;
  };
  const auto r = testing::run_differential(ls, ops, seed, at_growth_events);
  ASSERT_EQ(r.failure, std::nullopt);
  EXPECT_GE(doubling_checks, 5u);
  EXPECT_GE(split_checks, 3u);
  std::printf("go_swiss differential (prune=%d): %llu ops, %llu checks (%llu after doublings, %llu after splits), "
              "%llu splits, %llu prunes, %llu tables at the end\n",
              prune, static_cast<unsigned long long>(ops), static_cast<unsigned long long>(r.checkpoints),
              static_cast<unsigned long long>(doubling_checks), static_cast<unsigned long long>(split_checks),
              static_cast<unsigned long long>(last_splits), static_cast<unsigned long long>(last_prunes),
              static_cast<unsigned long long>(ls.map().table_count()));
  ls.destroy_and_check_memory();
}

TEST(GoSwiss, DifferentialWithCheckpointsAtSplitsAndDoublings) { differential(true, 1200000, 1); }
TEST(GoSwiss, DifferentialGo124WithoutPruning) { differential(false, 400000, 2); }

// Non-trivial keys and values through splits (ASan sees leaks and double frees).
TEST(GoSwiss, StringEntriesSurviveSplitsAndClear) {
  MemoryCounter mem;
  std::unordered_map<std::string, std::string> ref;
  {
    GoSwissMap<std::string, std::string> map(SeededHash<std::string>{3}, mem);
    testing::insert_string_churn(map, ref, 6000);
    if (::testing::Test::HasFatalFailure()) return;
    EXPECT_GT(counter(map, "tables_split"), 0u);
    map.clear();
    EXPECT_EQ(map.size(), 0u);
    map.check_invariants();
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

}  // namespace
}  // namespace rehashlab
