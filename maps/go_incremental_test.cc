// Mechanism tests for go_incremental (maps/go_incremental.h): the bound on a
// write's evacuation work, reads that never migrate, the old array going back to
// the allocator (in chunks, or at once in system/naive mode), same-size grows
// under churn, preallocated overflow buckets first, allocation failure
// mid-migration, hash0 derivation, and differential runs with checkpoints taken
// mid-growth.
#include "maps/go_incremental.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <deque>
#include <new>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "maps/differential.h"
#include "maps/test_util.h"

namespace rehashlab {
namespace {

using Map = GoIncrementalMap<std::uint64_t, std::uint64_t>;
using Ref = std::unordered_map<std::uint64_t, std::uint64_t>;
using BucketU64 = buckets::Bucket<std::uint64_t, std::uint64_t>;
using testing::compare_contents;

using testing::counter;

// Inserts fresh keys until a grow is in progress.
template <class M>
void insert_until_growing(M& map, Ref& ref, std::uint64_t& next_key) {
  while (!map.growing()) {
    const std::uint64_t k = mix64(next_key++);
    map.insert_or_assign(k, k + 1);
    ref[k] = k + 1;
  }
}

// Inserts fresh keys until no grow is in progress.
template <class M>
void insert_until_settled(M& map, Ref& ref, std::uint64_t& next_key) {
  while (map.growing()) {
    const std::uint64_t k = mix64(next_key++);
    map.insert_or_assign(k, k + 1);
    ref[k] = k + 1;
  }
}

// Inserts fresh keys until no old array (growing or retiring) is held.
template <class M>
void insert_until_old_array_gone(M& map, Ref& ref, std::uint64_t& next_key) {
  while (map.old_array_bytes_held() != 0) {
    const std::uint64_t k = mix64(next_key++);
    map.insert_or_assign(k, k + 1);
    ref[k] = k + 1;
  }
}

// Grows the map (fresh keys) until it has at least 2^b buckets and is settled.
template <class M>
void grow_to(M& map, Ref& ref, std::uint64_t& next_key, std::uint64_t b) {
  while (counter(map, "log2_buckets") < b || map.growing()) {
    const std::uint64_t k = mix64(next_key++);
    map.insert_or_assign(k, k + 1);
    ref[k] = k + 1;
  }
}

// Bytes the counting allocator must show for a map that is not growing and holds
// no retired array: the array with its preallocated overflow buckets, plus the
// overflow buckets allocated one by one.
std::uint64_t expected_settled_bytes(const Map& map) {
  const std::uint64_t b = counter(map, "log2_buckets");
  const std::uint64_t prealloc = counter(map, "overflow_preallocated");
  const std::uint64_t prealloc_used = prealloc - counter(map, "overflow_prealloc_left");
  const std::uint64_t individual = counter(map, "overflow_in_use") - prealloc_used;
  return ((std::uint64_t{1} << b) + prealloc + individual) * sizeof(BucketU64);
}

// A hash with only 6 bucket bits: long chains, many overflow buckets, so many
// allocations happen inside evacuations and grows (doubling and same-size).
struct SixBitHash {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::uint64_t k) const noexcept {
    return mix64(k ^ seed) & 0xff0000000000003fULL;
  }
};

TEST(GoIncremental, DifferentialWithMidGrowthCheckpoints) {
  for (AllocMode fill : {AllocMode::kFresh, AllocMode::kSystem, AllocMode::kNaive}) {
    testing::Lockstep<Map> ls(SeededHash<std::uint64_t>{0x5eed}, fill);
    const auto r = testing::run_differential(ls, 400000, 17);
    EXPECT_EQ(r.failure, std::nullopt);
    EXPECT_GE(r.migrating_checkpoints, 10u) << "too few checkpoints fell mid-growth";
    EXPECT_GT(counter(ls.map(), "doubling_grows"), 8u);
    ls.destroy_and_check_memory();
  }
}

// Long chains (6 bucket bits): every evacuation moves overflow-heavy chains.
TEST(GoIncremental, DifferentialWithCollidingHash) {
  testing::Lockstep<GoIncrementalMap<std::uint64_t, std::uint64_t, SixBitHash>> ls(SixBitHash{0x5eed});
  const auto r = testing::run_differential(ls, 100000, 23);
  EXPECT_EQ(r.failure, std::nullopt);
  EXPECT_GE(r.migrating_checkpoints, 5u);
  ls.destroy_and_check_memory();
}

// Go's growWork evacuates at most 2 old buckets of a grow per write, measured from
// outside (buckets_evacuated before and after each write): a write that starts no
// grow evacuates at most 2, one that starts a grow at most 4 (it may finish the
// previous grow first), and no write starts two. Every grow finishes with each old
// bucket evacuated exactly once.
TEST(GoIncremental, WriteEvacuationBound) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{1}, mem);
  Ref ref;
  std::mt19937_64 rng(3);
  std::uint64_t writes_with_two = 0, writes_while_growing = 0, old_buckets_total = 0;
  std::uint64_t grows_seen = 0;
  for (int i = 0; i < 300000; ++i) {
    const bool growing_before = map.growing();
    const std::uint64_t b_before = counter(map, "log2_buckets");  // the array a grow would retire
    const std::uint64_t grows_before = map.resize_counters().grows_started;
    const std::uint64_t evacuated_before = counter(map, "buckets_evacuated");
    const std::uint64_t k = mix64(rng() % 200000);
    if (rng() % 4 == 0) {
      map.erase(k);
      ref.erase(k);
    } else {
      map.insert_or_assign(k, i);
      ref[k] = i;
    }
    const std::uint64_t started = map.resize_counters().grows_started - grows_before;
    const std::uint64_t evacuated = counter(map, "buckets_evacuated") - evacuated_before;
    ASSERT_LE(started, 1u) << "op " << i;
    ASSERT_LE(evacuated, started == 0 ? 2u : 4u) << "op " << i;
    if (growing_before || started != 0) {
      ++writes_while_growing;
      if (evacuated == 2) ++writes_with_two;
    }
    if (started != 0) {
      ++grows_seen;
      old_buckets_total += std::uint64_t{1} << b_before;
    }
  }
  std::uint64_t next = 1ULL << 40;
  insert_until_settled(map, ref, next);
  EXPECT_GT(grows_seen, 10u);
  EXPECT_GT(writes_with_two, writes_while_growing / 4) << "writes should usually evacuate 2 buckets";
  EXPECT_EQ(counter(map, "buckets_evacuated"), old_buckets_total) << "each old bucket evacuated exactly once";
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// Finds in the middle of a migration, hits (in evacuated and unevacuated buckets)
// and misses, change nothing: no entry moves, no memory is allocated or returned.
TEST(GoIncremental, ReadsNeverMoveEntries) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{2}, mem);
  Ref ref;
  std::uint64_t next = 0;
  grow_to(map, ref, next, 12);
  insert_until_growing(map, ref, next);
  for (int i = 0; i < 300 && map.growing(); ++i) {  // partway through, not done
    const std::uint64_t k = mix64(next++);
    map.insert_or_assign(k, k + 1);
    ref[k] = k + 1;
  }
  ASSERT_TRUE(map.growing());
  const std::uint64_t nevacuate = map.nevacuate();
  ASSERT_GT(nevacuate, 0u);
  const ResizeCounters before = map.resize_counters();
  const std::uint64_t evacuated = counter(map, "buckets_evacuated");
  const std::uint64_t live = mem.live_bytes(), allocs = mem.allocations(), frees = mem.deallocations();
  const std::uint64_t held = map.old_array_bytes_held();
  for (const auto& [k, v] : ref) {
    const std::uint64_t* got = map.find(k);
    ASSERT_NE(got, nullptr);
    ASSERT_EQ(*got, v);
  }
  for (std::uint64_t i = 0; i < 20000; ++i) ASSERT_EQ(map.find(mix64(i + (1ULL << 40))), nullptr);
  const ResizeCounters after = map.resize_counters();
  EXPECT_EQ(after.entries_moved, before.entries_moved);
  EXPECT_TRUE(after.migrating);
  EXPECT_EQ(map.nevacuate(), nevacuate);
  EXPECT_EQ(counter(map, "buckets_evacuated"), evacuated);
  EXPECT_EQ(map.old_array_bytes_held(), held);
  EXPECT_EQ(mem.live_bytes(), live);
  EXPECT_EQ(mem.allocations(), allocs);
  EXPECT_EQ(mem.deallocations(), frees);
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// Fresh pages: the old array goes back while the migration runs, at most 128 KiB
// per write, and is gone (counting allocator: exactly the new array's bytes remain)
// shortly after the last bucket is evacuated.
TEST(GoIncremental, OldArrayReturnedInChunksAfterGrow) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{4}, mem, AllocMode::kFresh);
  Ref ref;
  std::uint64_t next = 0;
  grow_to(map, ref, next, 13);
  insert_until_old_array_gone(map, ref, next);  // the previous grow's retired array
  const std::uint64_t freed_before = map.resize_counters().old_arrays_freed;
  ASSERT_EQ(mem.live_bytes(), expected_settled_bytes(map));

  insert_until_growing(map, ref, next);
  const std::uint64_t old_bytes =
      ((std::uint64_t{1} << counter(map, "old_log2_buckets")) * 17 / 16) * sizeof(BucketU64);
  ASSERT_EQ(map.old_array_bytes_held(), old_bytes);
  std::uint64_t held = old_bytes;
  bool released_while_growing = false;
  int writes_after_completion = 0;
  while (map.old_array_bytes_held() != 0) {
    const bool was_growing = map.growing();
    const std::uint64_t k = mix64(next++);
    map.insert_or_assign(k, k + 1);
    ref[k] = k + 1;
    const std::uint64_t now = map.old_array_bytes_held();
    ASSERT_LE(now, held);
    ASSERT_LE(held - now, Map::kReleaseBytesPerWrite) << "one write returned too much";
    if (map.growing() && now < held) released_while_growing = true;
    if (!was_growing) ++writes_after_completion;
    held = now;
    ASSERT_LT(writes_after_completion, 1000) << "the retired array is not going away";
  }
  EXPECT_TRUE(released_while_growing) << "pages below nevacuate should go back during the migration";
  EXPECT_EQ(map.resize_counters().old_arrays_freed, freed_before + 1);
  EXPECT_EQ(counter(map, "forced_old_array_frees"), 0u);
  EXPECT_EQ(mem.live_bytes(), expected_settled_bytes(map)) << "counting allocator: only the new array is left";
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// System and naive modes: the whole old array stays until the write that
// completes the migration, which frees it at once.
TEST(GoIncremental, SystemAndNaiveModesFreeOldArrayAtMigrationEnd) {
  for (AllocMode mode : {AllocMode::kSystem, AllocMode::kNaive}) {
    SCOPED_TRACE(alloc_mode_name(mode));
    MemoryCounter mem;
    Map map(SeededHash<std::uint64_t>{5}, mem, mode);
    Ref ref;
    std::uint64_t next = 0;
    grow_to(map, ref, next, 12);
    insert_until_growing(map, ref, next);
    const std::uint64_t old_bytes = map.old_array_bytes_held();
    const std::uint64_t freed_before = map.resize_counters().old_arrays_freed;
    while (map.growing()) {
      ASSERT_EQ(map.old_array_bytes_held(), old_bytes);
      const std::uint64_t k = mix64(next++);
      map.insert_or_assign(k, k + 1);
      ref[k] = k + 1;
    }
    EXPECT_EQ(map.old_array_bytes_held(), 0u);
    EXPECT_EQ(map.resize_counters().old_arrays_freed, freed_before + 1);
    EXPECT_EQ(mem.live_bytes(), expected_settled_bytes(map));
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  }
}

// Keys whose chain under `seed` is one of buckets [lo, lo + width) of a
// 2^b-bucket array.
std::uint64_t next_key_in_window(std::uint64_t seed, std::uint64_t b, std::uint64_t lo, std::uint64_t width,
                                 std::uint64_t& cursor) {
  const SeededHash<std::uint64_t> h{seed};
  for (;; ++cursor) {
    if (((h(cursor) & ((std::uint64_t{1} << b) - 1)) - lo) < width) return cursor++;
  }
}

// Insert/erase churn at a constant size whose hot keys drift across the table
// (each phase's new keys land in a different eighth of the buckets): every phase
// leaves overflow buckets behind that erase never unlinks, until a same-size grow
// rebuilds the chains compactly. B stays, overflow stays bounded, the contents
// stay right (checked mid-growth too), and memory returns to the settled size.
TEST(GoIncremental, ChurnTriggersSameSizeGrowsAndBoundsOverflow) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{6}, mem);
  Ref ref;
  std::deque<std::uint64_t> live;
  std::uint64_t next = 0;
  constexpr std::size_t kWorkingSet = 6000;  // B = 10: load 5.9 of 6.5
  while (live.size() < kWorkingSet) {
    const std::uint64_t k = mix64(next++);
    map.insert_or_assign(k, 1);
    ref[k] = 1;
    live.push_back(k);
  }
  const std::uint64_t b = counter(map, "log2_buckets");
  ASSERT_EQ(b, 10u);
  const std::uint64_t doublings = counter(map, "doubling_grows");
  const std::uint64_t width = (std::uint64_t{1} << b) / 8;
  std::uint64_t max_overflow = 0, checkpoints = 0, cursor = 1ULL << 44;
  for (int i = 0; i < 240000; ++i) {
    const std::uint64_t lo = (static_cast<std::uint64_t>(i) / kWorkingSet * width) % (std::uint64_t{1} << b);
    const std::uint64_t k = next_key_in_window(map.hash_seed(), b, lo, width, cursor);
    map.insert_or_assign(k, i);
    ref[k] = i;
    live.push_back(k);
    ASSERT_TRUE(map.erase(live.front()));
    ref.erase(live.front());
    live.pop_front();
    max_overflow =
        std::max(max_overflow, counter(map, "overflow_in_use") + counter(map, "old_overflow_in_use"));
    if (map.growing() && i % 331 == 0) {
      ++checkpoints;
      ASSERT_EQ(compare_contents(map, ref), std::nullopt) << "op " << i;
    }
  }
  EXPECT_GE(counter(map, "same_size_grows"), 5u);
  EXPECT_EQ(counter(map, "doubling_grows"), doublings) << "constant size must not double";
  EXPECT_EQ(counter(map, "log2_buckets"), b);
  // A same-size grow starts at 2^B overflow buckets in use; until the old array's
  // are freed by evacuation, the new array holds at most the compact chains'
  // overflow (<= working set / 8) plus what inserts during the migration add.
  // Without same-size grows 40 phases would leave ~40 * 700 overflow buckets.
  EXPECT_LE(max_overflow, 3 * (std::uint64_t{1} << b)) << "overflow unbounded under churn";
  EXPECT_GT(checkpoints, 0u);
  insert_until_settled(map, ref, next);
  insert_until_old_array_gone(map, ref, next);
  EXPECT_EQ(mem.live_bytes(), expected_settled_bytes(map)) << "churned overflow buckets were not all freed";
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// An array with 2^B buckets, B >= 4, comes with 2^(B-4) overflow buckets; they are
// handed out before any overflow bucket is allocated.
TEST(GoIncremental, PreallocatedOverflowBucketsUsedFirst) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{7}, mem);
  Ref ref;
  std::uint64_t next = 1ULL << 50;
  grow_to(map, ref, next, 7);
  insert_until_old_array_gone(map, ref, next);  // from here on, allocations are overflow buckets
  const std::uint64_t b = counter(map, "log2_buckets");
  ASSERT_EQ(counter(map, "overflow_preallocated"), std::uint64_t{1} << (b - 4));
  const std::uint64_t grows = map.resize_counters().grows_started;
  std::uint64_t from_prealloc = 0, allocated = 0, cursor = 0;
  for (std::uint64_t target = 0; allocated < 3; target = (target + 1) % (std::uint64_t{1} << b)) {
    for (int j = 0; j < 9; ++j) {  // enough to overflow this bucket's chain once more
      const std::uint64_t left = counter(map, "overflow_prealloc_left");
      const std::uint64_t in_use = counter(map, "overflow_in_use");
      const std::uint64_t allocs = mem.allocations();
      const std::uint64_t k = next_key_in_window(map.hash_seed(), b, target, 1, cursor);
      map.insert_or_assign(k, 2);
      ref[k] = 2;
      ASSERT_EQ(map.resize_counters().grows_started, grows) << "test setup: no grow expected";
      if (counter(map, "overflow_in_use") == in_use) continue;
      ASSERT_EQ(counter(map, "overflow_in_use"), in_use + 1);
      if (left > 0) {
        ++from_prealloc;
        EXPECT_EQ(mem.allocations(), allocs) << "a preallocated overflow bucket was available";
        EXPECT_EQ(counter(map, "overflow_prealloc_left"), left - 1);
      } else {
        ++allocated;
        EXPECT_EQ(mem.allocations(), allocs + 1);
      }
    }
  }
  EXPECT_GT(from_prealloc, 0u);
  EXPECT_EQ(counter(map, "overflow_prealloc_left"), 0u);
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// Allocation failure at every kind of allocation (the new array, overflow
// buckets reserved by an evacuation, the insert's own overflow bucket): the
// failing write throws std::bad_alloc and the map keeps every entry; the retry
// then does what the failed write did not.
struct FailureCounts {
  int failures = 0;
  int while_growing = 0;    // a grow was in progress before or after the failed write
  int at_grow_start = 0;    // the new array's allocation failed: the retry started the grow
};

template <class Hash>
FailureCounts run_failure_injection(const Hash& hash, int ops, std::uint64_t key_space, int check_every) {
  FailureCounts out;
  MemoryCounter mem;
  {
    GoIncrementalMap<std::uint64_t, std::uint64_t, Hash> map(hash, mem);
    Ref ref;
    std::mt19937_64 rng(11);
    for (int i = 0; i < ops; ++i) {
      const std::uint64_t k = rng() % key_space;
      const bool is_erase = rng() % 5 == 0;
      if (!mem.failure_armed()) mem.fail_allocation_at(1 + rng() % 3);  // stays armed until it fires
      const bool growing_before = map.growing();
      try {
        if (is_erase) {
          const bool erased = map.erase(k);  // (the reference only after the map succeeded)
          EXPECT_EQ(erased, ref.erase(k) == 1);
        } else {
          const bool inserted = map.insert_or_assign(k, i);
          EXPECT_EQ(inserted, ref.insert_or_assign(k, i).second);
        }
      } catch (const std::bad_alloc&) {
        ++out.failures;
        if (growing_before || map.growing()) ++out.while_growing;
        EXPECT_EQ(compare_contents(map, ref), std::nullopt) << "after a failed write at op " << i;
        const std::uint64_t grows = map.resize_counters().grows_started;
        mem.fail_allocation_at(0);
        if (is_erase) {
          EXPECT_EQ(map.erase(k), ref.erase(k) == 1);
        } else {
          EXPECT_EQ(map.insert_or_assign(k, i), ref.insert_or_assign(k, i).second);
        }
        if (map.resize_counters().grows_started != grows && !growing_before) ++out.at_grow_start;
      }
      if (i % check_every == 0) {
        EXPECT_EQ(compare_contents(map, ref), std::nullopt) << "op " << i;
      }
    }
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
  std::printf("failure injection: %d failures, %d while growing, %d at a grow start\n", out.failures,
              out.while_growing, out.at_grow_start);
  return out;
}

TEST(GoIncremental, AllocationFailureDuringMigrationKeepsEveryEntry) {
  // Long chains (6 bucket bits): evacuations allocate, so failures hit migrations.
  const FailureCounts six_bit = run_failure_injection(SixBitHash{9}, 20000, 6000, 97);
  EXPECT_GE(six_bit.while_growing, 50) << "failures should hit migrations";
  EXPECT_GT(six_bit.at_grow_start, 0) << "failures should hit the new array's allocation";
  // A good hash allocates little mid-migration (preallocated overflow buckets);
  // its failures hit grow starts and the inserts' own overflow buckets.
  const FailureCounts seeded = run_failure_injection(SeededHash<std::uint64_t>{9}, 40000, 20000, 997);
  EXPECT_GT(seeded.at_grow_start, 0) << "failures should hit the new array's allocation";
}

// hash0: derived from the run seed and the construction order, distinct per map,
// re-derived when the map empties (also mid-growth) and on clear().
TEST(GoIncremental, PerMapHashSeed) {
  MemoryCounter mem;
  const SeededHash<std::uint64_t> run{42};
  Map a(run, mem), b(run, mem);
  EXPECT_NE(a.hash_seed(), run.seed);
  EXPECT_NE(a.hash_seed(), b.hash_seed());
  EXPECT_EQ(Map::derive_seed(42, 7, 0), Map::derive_seed(42, 7, 0));
  EXPECT_NE(Map::derive_seed(42, 7, 0), Map::derive_seed(43, 7, 0));

  Ref ref;
  std::uint64_t next = 0;
  grow_to(a, ref, next, 8);
  insert_until_growing(a, ref, next);
  const std::uint64_t seed = a.hash_seed();
  std::vector<std::uint64_t> keys;
  for (const auto& kv : ref) keys.push_back(kv.first);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    ASSERT_TRUE(a.erase(keys[i]));
    ref.erase(keys[i]);
    if (i + 1 < keys.size()) {
      ASSERT_EQ(a.hash_seed(), seed);
    }
  }
  EXPECT_NE(a.hash_seed(), seed) << "emptying the map re-seeds (Go)";
  EXPECT_EQ(counter(a, "hash_reseeds"), 1u);
  insert_until_growing(a, ref, next);  // reusing the map, possibly mid-growth still
  EXPECT_EQ(compare_contents(a, ref), std::nullopt);
  const std::uint64_t b_before = counter(a, "log2_buckets");
  a.clear();
  ref.clear();
  EXPECT_EQ(counter(a, "hash_reseeds"), 2u);
  EXPECT_EQ(counter(a, "log2_buckets"), b_before) << "clear keeps B, as Go's mapclear";
  EXPECT_FALSE(a.growing());
  for (std::uint64_t i = 0; i < 5000; ++i) a.insert_or_assign(i, i), ref[i] = i;
  EXPECT_EQ(compare_contents(a, ref), std::nullopt);
}

// Bigger buckets (16-byte keys, 64-byte values): arrays are mmapped sooner and a
// bucket spans more of a page, so chunked release and unmapped-prefix reads get
// exercised with a different geometry.
TEST(GoIncremental, StringKeysMidGrowth) {
  using SMap = GoIncrementalMap<FixedString<16>, Blob<64>>;
  MemoryCounter mem;
  {
    SMap map(SeededHash<FixedString<16>>{3}, mem);
    std::unordered_map<FixedString<16>, Blob<64>, SeededHash<FixedString<16>>> ref;
    std::mt19937_64 rng(5);
    std::uint64_t mid = 0;
    for (int i = 0; i < 120000; ++i) {
      const auto k = FixedString<16>::from_u64(rng() % 40000);
      if (rng() % 3 == 0) {
        ASSERT_EQ(map.erase(k), ref.erase(k) == 1);
      } else {
        const auto v = Blob<64>::from_u64(i);
        ASSERT_EQ(map.insert_or_assign(k, v), ref.insert_or_assign(k, v).second);
      }
      const auto* got = map.find(k);
      auto it = ref.find(k);
      ASSERT_EQ(got == nullptr, it == ref.end());
      if (map.growing() && i % 101 == 0) {
        ++mid;
        ASSERT_EQ(compare_contents(map, ref), std::nullopt) << "op " << i;
      }
    }
    EXPECT_GT(mid, 5u);
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

}  // namespace
}  // namespace rehashlab
