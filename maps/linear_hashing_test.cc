// Mechanism tests for linear_hashing (maps/linear_hashing.h): the bucket count
// the load rule implies, one split per insert and the round bookkeeping, merges
// and their hysteresis, the shadow directory, hashes that do not spread,
// allocation failure at every allocation, and a long differential run against
// std::unordered_map with check_invariants() mid-round and at round ends.
#include "maps/linear_hashing.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstdint>
#include <new>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "maps/differential.h"
#include "maps/test_util.h"

namespace rehashlab {
namespace {

using Map = LinearHashingMap<std::uint64_t, std::uint64_t>;
using Ref = std::unordered_map<std::uint64_t, std::uint64_t>;
using testing::compare_contents;
using testing::counter;

// Large values make segments small (32 buckets), so directory switches come early.
using Big = Blob<256>;
using BigMap = LinearHashingMap<std::uint64_t, Big>;

TEST(LinearHashing, SegmentSizes) {
  EXPECT_EQ(Map::kSegmentBuckets, 512u) << "144-byte buckets: 512 per 64-128 KiB segment";
  EXPECT_EQ(BigMap::kSegmentBuckets, 32u);
}

// The load rule alone fixes the bucket count while only inserting: a split comes
// before the (6N+1)-th entry, so k entries use ceil(k/6) buckets; N = 2^level + p.
TEST(LinearHashing, BucketCountFollowsTheLoadRule) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{1}, mem);
  for (std::uint64_t k = 1; k <= 20000; ++k) {
    map.insert_or_assign(mix64(k), k);
    const std::uint64_t n = (k + 5) / 6;
    ASSERT_EQ(map.bucket_count(), n) << k;
    ASSERT_EQ(map.level(), std::bit_width(n) - 1);
    ASSERT_EQ(map.split_pointer(), n - (std::uint64_t{1} << map.level()));
    ASSERT_LE(map.last_op_steps(), 1u);
  }
  map.check_invariants();
}

// A round is one trip of the split pointer: at N = 1024 = 2^10 exactly ten rounds
// have been completed and none is in progress.
TEST(LinearHashing, RoundsAreTheResizes) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{1}, mem);
  for (std::uint64_t k = 1; k <= 6 * 1023 + 1; ++k) map.insert_or_assign(mix64(k), k);
  ASSERT_EQ(map.bucket_count(), 1024u);
  const ResizeCounters c = map.resize_counters();
  EXPECT_EQ(c.grows_started, 10u);
  EXPECT_EQ(c.migrations_completed, 10u);
  EXPECT_FALSE(c.migrating);
  map.insert_or_assign(~std::uint64_t{0} - 1, 0);
  map.insert_or_assign(~std::uint64_t{0} - 2, 0);
  map.insert_or_assign(~std::uint64_t{0} - 3, 0);
  map.insert_or_assign(~std::uint64_t{0} - 4, 0);
  map.insert_or_assign(~std::uint64_t{0} - 5, 0);
  map.insert_or_assign(~std::uint64_t{0} - 6, 0);  // the (6*1024+1)-th entry splits bucket 0
  EXPECT_TRUE(map.resize_counters().migrating);
  EXPECT_EQ(map.resize_counters().grows_started, 11u);
  EXPECT_EQ(c.old_arrays_freed, 0u);
  EXPECT_EQ(counter(map, "splits"), 1024u);
}

// One split moves one chain: an insert never copies more entries than its one
// split's chain holds, and never does more than one split.
TEST(LinearHashing, EachInsertSplitsAtMostOneBucket) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{2}, mem);
  std::uint64_t max_moved = 0;
  for (std::uint64_t k = 0; k < 400000; ++k) {
    const ResizeCounters before = map.resize_counters();
    const std::uint64_t splits_before = counter(map, "splits");
    map.insert_or_assign(mix64(k), k);
    const std::uint64_t splits = counter(map, "splits") - splits_before;
    ASSERT_LE(splits, 1u);
    const std::uint64_t moved = map.resize_counters().entries_moved - before.entries_moved;
    if (splits == 0) {
      ASSERT_EQ(moved, 0u);
    }
    max_moved = std::max(max_moved, moved);
  }
  EXPECT_EQ(counter(map, "max_steps_one_op"), 1u);
  EXPECT_EQ(counter(map, "max_entries_moved_one_op"), max_moved);
  EXPECT_LT(max_moved, 40u) << "a split moves one chain (about 6-12 entries)";
  map.check_invariants();
}

// Hysteresis: right after a split, erasing and re-inserting one key neither merges
// nor splits again.
TEST(LinearHashing, SplitMergeHysteresis) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{3}, mem);
  std::uint64_t k = 0;
  for (; k < 6 * 700 + 1; ++k) map.insert_or_assign(mix64(k), k);  // the last insert split
  const std::uint64_t splits = counter(map, "splits");
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(map.erase(mix64(k - 1)));
    ASSERT_TRUE(map.insert_or_assign(mix64(k - 1), i));
  }
  EXPECT_EQ(counter(map, "splits"), splits);
  EXPECT_EQ(counter(map, "merges"), 0u);
  map.check_invariants();
}

// Erasing keeps 3N <= n <= 6N by merging in reverse, down to one bucket and one
// segment, and growth afterwards starts over.
TEST(LinearHashing, ShrinksByMergingInReverse) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{4}, mem);
  Ref ref;
  constexpr std::uint64_t kN = 60000;
  for (std::uint64_t k = 0; k < kN; ++k) map.insert_or_assign(mix64(k), k), ref[mix64(k)] = k;
  EXPECT_GT(counter(map, "segments"), 10u);
  const std::uint64_t bytes_full = mem.live_bytes();
  for (std::uint64_t k = 0; k < kN; ++k) {
    ASSERT_TRUE(map.erase(mix64(k)));
    ref.erase(mix64(k));
    const std::uint64_t n = map.bucket_count(), size = map.size();
    ASSERT_TRUE(n == 1 || size >= 3 * n) << "load below the floor after erase " << k;
    ASSERT_LE(size, 6 * n);
    ASSERT_LE(map.last_op_steps(), 1u) << "one merge per erase keeps up";
    if (k % 7919 == 0) {
      ASSERT_EQ(compare_contents(map, ref), std::nullopt);
    }
  }
  EXPECT_EQ(map.bucket_count(), 1u);
  EXPECT_EQ(counter(map, "segments"), 1u);
  EXPECT_EQ(counter(map, "overflow_buckets"), 0u);
  EXPECT_GT(counter(map, "merges"), 9000u);
  EXPECT_LT(mem.live_bytes(), bytes_full / 10) << "segments are returned as the map shrinks";
  const ResizeCounters c = map.resize_counters();
  EXPECT_EQ(c.grows_started, c.migrations_completed);
  for (std::uint64_t k = 0; k < 1000; ++k) map.insert_or_assign(k, k);
  EXPECT_EQ(map.bucket_count(), (1000u + 5) / 6);
  map.check_invariants();
}

// The directory doubles through a shadow filled one pointer per split: never a
// forced copy, and each switch happens with the shadow complete.
TEST(LinearHashing, DirectoryGrowsWithoutACopyOnOneOperation) {
  MemoryCounter mem;
  BigMap map(SeededHash<std::uint64_t>{5}, mem);
  std::uint64_t switches = 0;
  for (std::uint64_t k = 0; k < 40000; ++k) {
    const std::uint64_t before = counter(map, "directory_switches");
    map.insert_or_assign(mix64(k), Big::from_u64(k));
    if (counter(map, "directory_switches") != before) {
      ++switches;
      map.check_invariants();
    }
  }
  EXPECT_GE(switches, 6u) << "2 -> 4 -> ... -> 256 segment pointers";
  EXPECT_EQ(counter(map, "directory_forced_copies"), 0u);
  EXPECT_LE(counter(map, "max_entries_moved_one_op"), 40u);
  map.check_invariants();
}

// --- hostile hashes ---------------------------------------------------------------

// Only the two low bits vary (the rest of the low half is zero): every key lands
// in buckets 0..3 whatever the level, so chains grow with n.
struct FewLowBitsHash {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::uint64_t k) const noexcept {
    return (mix64(k ^ seed) & 0xffffffff00000000ULL) | (k % 4);
  }
};

template <class M>
void run_hostile(M& map, std::uint64_t n) {
  testing::expect_churn_matches_reference(map, n);
  if (::testing::Test::HasFatalFailure()) return;
  for (std::uint64_t k = 0; k < n; ++k) map.erase(k);
  EXPECT_EQ(map.bucket_count(), 1u);
  map.check_invariants();
}

TEST(LinearHashing, ZeroHashIsOneChain) {
  MemoryCounter mem;
  LinearHashingMap<std::uint64_t, std::uint64_t, ZeroHash<std::uint64_t>> map(ZeroHash<std::uint64_t>{}, mem);
  run_hostile(map, 2500);
  EXPECT_EQ(mem.live_bytes() > 0, true);
}

TEST(LinearHashing, FewLowBitsStayCorrect) {
  MemoryCounter mem;
  LinearHashingMap<std::uint64_t, std::uint64_t, FewLowBitsHash> map(FewLowBitsHash{7}, mem);
  run_hostile(map, 4000);
  EXPECT_GT(counter(map, "overflow_buckets") + counter(map, "splits"), 0u);
}

// --- allocation failure -------------------------------------------------------------

// Every allocation of a workload that crosses segment boundaries, directory
// switches, overflow chains and merges fails once in turn. Inserts that fail must
// leave the map as it was (only a split may have happened); erases never throw
// (a merge that cannot allocate is skipped).
TEST(LinearHashing, EveryAllocationFailsOnceAndTheMapRecovers) {
  std::vector<std::pair<bool, std::uint64_t>> ops;
  for (std::uint64_t k = 0; k < 2500; ++k) {
    ops.push_back({true, mix64(k)});
    if (k % 5 == 0) ops.push_back({false, mix64(k / 2)});
  }
  for (std::uint64_t k = 0; k < 2500; k += 2) ops.push_back({false, mix64(k)});  // merges
  for (std::uint64_t k = 2500; k < 3000; ++k) ops.push_back({true, mix64(k)});
  std::uint64_t failures = 0, failed_in_split = 0, skipped_merges = 0;
  for (std::uint64_t n = 1;; ++n) {
    ASSERT_LT(n, 100000u);
    MemoryCounter mem;
    std::optional<BigMap> map;
    map.emplace(SeededHash<std::uint64_t>{6}, mem);
    std::unordered_map<std::uint64_t, Big> ref;
    mem.fail_allocation_at(n);
    bool failed = false;
    for (const auto& [insert, key] : ops) {
      if (!insert) {
        const std::uint64_t skipped = counter(*map, "merge_alloc_failures");
        ASSERT_EQ(map->erase(key), ref.erase(key) == 1);
        if (counter(*map, "merge_alloc_failures") != skipped) {
          failed = true;
          ++skipped_merges;
          map->check_invariants();
        }
        continue;
      }
      const std::uint64_t splits = counter(*map, "splits");
      try {
        const bool inserted = map->insert_or_assign(key, Big::from_u64(key));  // before the reference: it may throw
        ASSERT_EQ(inserted, ref.insert_or_assign(key, Big::from_u64(key)).second);
      } catch (const std::bad_alloc&) {
        ASSERT_FALSE(failed);
        failed = true;
        ++failures;
        ASSERT_EQ(map->size(), ref.size());
        map->check_invariants();
        for (const auto& [k, v] : ref) ASSERT_TRUE(map->find(k) != nullptr && *map->find(k) == v);
        ASSERT_EQ(map->find(key) != nullptr, ref.count(key) == 1) << "the failed insert happened anyway";
        const std::uint64_t splits_at_failure = counter(*map, "splits");
        ASSERT_EQ(map->insert_or_assign(key, Big::from_u64(key)), ref.insert_or_assign(key, Big::from_u64(key)).second);
        failed_in_split += splits_at_failure == splits && counter(*map, "splits") != splits;
      }
    }
    map->check_invariants();
    ASSERT_EQ(map->size(), ref.size());
    map.reset();
    ASSERT_EQ(mem.live_bytes(), 0u) << "leak after failing allocation " << n;
    if (!failed) break;
  }
  EXPECT_GT(failures, 10u);
  EXPECT_GT(failed_in_split, 0u) << "no failure hit a split's allocations";
  std::printf("linear_hashing: %llu failed inserts (%llu in a split), %llu skipped merges\n",
              static_cast<unsigned long long>(failures), static_cast<unsigned long long>(failed_in_split),
              static_cast<unsigned long long>(skipped_merges));
}

// Keys below 160 land in bucket 0 or, from level 6 on, bucket 64: two chains of
// 80, inserted after the map has grown past 64 buckets, so no split ever frees
// their overflow buckets. Erasing only the other (spread) keys drives merges, and
// merging bucket 64 into bucket 0 needs 10 overflow buckets, more than the map
// has spare. With every
// allocation failing, such a merge is skipped (erase does not throw), the load
// stays below the floor, and the next erase that can allocate repays it.
struct TwoChainsHash {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::uint64_t k) const noexcept {
    return k < 160 ? (mix64(k ^ seed) << 7) | (k % 2 ? 64 : 0) : mix64(k ^ seed);
  }
};

TEST(LinearHashing, MergeThatCannotAllocateIsSkippedAndRepaid) {
  MemoryCounter mem;
  LinearHashingMap<std::uint64_t, std::uint64_t, TwoChainsHash> map(TwoChainsHash{1}, mem);
  Ref ref;
  for (std::uint64_t k = 1000; k < 1400; ++k) map.insert_or_assign(k, k), ref[k] = k;
  ASSERT_GT(map.bucket_count(), 64u);
  for (std::uint64_t k = 0; k < 160; ++k) map.insert_or_assign(k, k), ref[k] = k;
  std::uint64_t k = 1000;
  while (counter(map, "merge_alloc_failures") == 0) {
    ASSERT_LT(k, 1400u) << "no merge needed an allocation";
    mem.fail_allocation_at(1);
    ASSERT_TRUE(map.erase(k));  // must not throw
    ref.erase(k++);
    mem.fail_allocation_at(0);
  }
  EXPECT_LT(map.size(), 3 * map.bucket_count()) << "the load is below the floor until repaid";
  ASSERT_EQ(compare_contents(map, ref), std::nullopt);
  const std::size_t buckets = map.bucket_count();
  ASSERT_TRUE(map.erase(k));
  ref.erase(k);
  EXPECT_LT(map.bucket_count(), buckets) << "the next erase merges";
  EXPECT_GE(map.size(), 3 * map.bucket_count());
  ASSERT_EQ(compare_contents(map, ref), std::nullopt);
}

// --- differential ---------------------------------------------------------------------

// >= 1M operations against std::unordered_map through growth, churn, mass erasure
// and re-growth, with full comparisons (check_invariants included) mid-round,
// right after every round end (level change, in either direction), and at some
// segment boundaries.
TEST(LinearHashing, DifferentialWithCheckpointsMidRoundAndAtRoundEnds) {
  constexpr std::uint64_t kOps = 1200000;
  testing::Lockstep<Map> ls(SeededHash<std::uint64_t>{9});
  std::uint64_t round_checks = 0, mid_round_checks = 0, shrink_rounds = 0, last_segments = 0;
  unsigned last_level = 0;
  // Besides the shared driver's checkpoints: every round's end (either way), a
  // segment allocated or freed, and every 40009th op while a round is half done.
  auto at_round_events = [&](const Map& map, std::uint64_t i) {
    bool check = false;
    if (map.level() != last_level) {
      check = true, ++round_checks;
      shrink_rounds += map.level() < last_level;
      last_level = map.level();
    }
    const std::uint64_t segments = (map.bucket_count() + Map::kSegmentBuckets - 1) / Map::kSegmentBuckets;
    if (segments != last_segments && segments % 8 == 1) check = true;
    last_segments = segments;
    if (i % 40009 == 40008 && map.split_pointer() != 0) check = true, ++mid_round_checks;
    return check;
  };
  const auto r = testing::run_differential(ls, kOps, 9, at_round_events);
  ASSERT_EQ(r.failure, std::nullopt);
  EXPECT_GE(round_checks, 20u);
  EXPECT_GE(shrink_rounds, 3u) << "the erase phase must cross round ends downwards";
  EXPECT_GE(mid_round_checks, 15u);
  std::printf("linear_hashing differential: %llu ops, %llu checks (%llu at round ends, %llu mid-round), %llu splits, "
              "%llu merges\n",
              static_cast<unsigned long long>(kOps), static_cast<unsigned long long>(r.checkpoints),
              static_cast<unsigned long long>(round_checks), static_cast<unsigned long long>(mid_round_checks),
              static_cast<unsigned long long>(counter(ls.map(), "splits")),
              static_cast<unsigned long long>(counter(ls.map(), "merges")));
  ls.destroy_and_check_memory();
}

// Non-trivial keys and values through splits, merges and clear (ASan sees leaks
// and double frees).
TEST(LinearHashing, StringEntriesSurviveSplitsMergesAndClear) {
  MemoryCounter mem;
  std::unordered_map<std::string, std::string> ref;
  {
    LinearHashingMap<std::string, std::string> map(SeededHash<std::string>{3}, mem);
    testing::insert_string_churn(map, ref, 8000);
    if (::testing::Test::HasFatalFailure()) return;
    for (int i = 0; i < 10007; i += 2) {
      const std::string e = "key-" + std::to_string(i);
      ASSERT_EQ(map.erase(e), ref.erase(e) == 1);
    }
    ASSERT_EQ(compare_contents(map, ref), std::nullopt);
    EXPECT_GT(counter(map, "merges"), 0u);
    map.clear();
    EXPECT_EQ(map.size(), 0u);
    EXPECT_TRUE(map.insert_or_assign("again", "yes"));
    map.check_invariants();
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

}  // namespace
}  // namespace rehashlab
