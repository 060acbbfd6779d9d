// Mechanism tests for redis_dual (maps/redis_dual.h, Redis 7.0.15): rehash steps
// per command (SET 3, GET 1, DEL 1) and per dict call, the bounds of one step,
// dictRehashMilliseconds' stop rule, the ht[0]-below-rehashidx invariant, freeing
// of the old table, shrinking, the resize policies (no cron under a fork child),
// allocation failure, and differential runs with checkpoints in the middle of
// expands and shrinks.
#include "maps/redis_dual.h"

#include <gtest/gtest.h>

#include <bit>
#include <chrono>
#include <cstdint>
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

using Map = RedisDualMap<std::uint64_t, std::uint64_t>;
using Ref = std::unordered_map<std::uint64_t, std::uint64_t>;
using testing::compare_contents;
constexpr std::size_t kPtr = sizeof(void*);

using testing::counter;

// Inserts distinct keys until a rehash starts (the map must not be rehashing).
void insert_until_rehashing(Map& map, Ref& ref, std::uint64_t& next_key) {
  ASSERT_FALSE(map.rehashing());
  while (!map.rehashing()) {
    const std::uint64_t k = mix64(next_key++);
    map.insert_or_assign(k, k + 1);
    ref[k] = k + 1;
  }
}

void finish_rehash(Map& map) {
  while (map.rehashing()) map.rehash(1000);
}

// Bytes the map must hold per the counting allocator: nodes + both arrays, less
// the ht[0] pages returned since this rehash began (the counter is cumulative).
std::uint64_t expected_live_bytes(const Map& map, std::uint64_t released_before) {
  return map.size() * Map::node_bytes() + (map.bucket_count(0) + map.bucket_count(1)) * kPtr -
         (counter(map, "old_bytes_released_early") - released_before);
}

TEST(RedisDual, NodeIsADictEntry) { EXPECT_EQ(Map::node_bytes(), 24u); }

// A map of 2^k buckets holding exactly one key in every bucket, not rehashing:
// every rehash step from here on moves exactly one bucket and visits no empty one.
void fill_one_key_per_bucket(Map& map, Ref& ref, unsigned k, std::uint64_t seed, std::uint64_t& cursor) {
  const std::size_t buckets = std::size_t{1} << k;
  std::vector<bool> taken(buckets, false);
  for (std::size_t filled = 0; filled < buckets; ++cursor) {
    const std::size_t b = SeededHash<std::uint64_t>{seed}(cursor) & (buckets - 1);
    if (taken[b]) continue;
    taken[b] = true;
    ++filled;
    map.insert_or_assign(cursor, cursor);
    ref[cursor] = cursor;
  }
  finish_rehash(map);
  ASSERT_EQ(map.bucket_count(0), buckets);
  ASSERT_EQ(map.size(), buckets);
}

// Rehash steps per operation, against Redis 7.0.15's command code (the header
// cites it): a SET runs 3 dict operations on the keyspace (lookupKeyWrite, dbAdd or
// dbOverwrite, removeExpire's dictFind), each one _dictRehashStep, so it moves 3
// buckets; a GET and a DEL move 1. The SET that starts the rehash moves 1 (only
// removeExpire's find follows the expand). As the dict-level option, every call
// moves 1. Measured on a table with one key per bucket (each step moves exactly
// one bucket), from outside: rehashidx before and after each operation.
TEST(RedisDual, RehashStepsPerCommandAndPerDictCall) {
  for (StepModel model : {StepModel::kServerCommand, StepModel::kDictCall}) {
    const bool server = model == StepModel::kServerCommand;
    SCOPED_TRACE(server ? "server command" : "dict call");
    MemoryCounter mem;
    Map map(SeededHash<std::uint64_t>{31}, mem, AllocMode::kFresh, model);
    Ref ref;
    std::uint64_t cursor = 1;
    fill_one_key_per_bucket(map, ref, 10, 31, cursor);
    const std::uint64_t fresh_key = ~std::uint64_t{0};
    const std::uint64_t steps_before = counter(map, "rehash_steps");
    const std::uint64_t empty_before = map.empty_buckets_visited();
    ASSERT_TRUE(map.insert_or_assign(fresh_key, 0));  // used 1024 >= size 1024: expand
    ASSERT_TRUE(map.rehashing());
    EXPECT_EQ(map.rehashidx(), server ? 1 : 0) << "the SET that starts the rehash moves 1 bucket";
    const std::uint64_t some_old_key = ref.begin()->first;
    auto moved_by = [&](auto&& op) {
      const std::ptrdiff_t before = map.rehashidx();
      op();
      EXPECT_EQ(map.empty_buckets_visited(), empty_before);
      return map.rehashidx() - before;
    };
    const std::ptrdiff_t set_steps = server ? 3 : 1;
    for (int i = 0; i < 20; ++i) {
      EXPECT_EQ(moved_by([&] { EXPECT_TRUE(map.insert_or_assign(cursor++ | (1ULL << 62), 1)); }), set_steps)
          << "SET of a new key";
      EXPECT_EQ(moved_by([&] { EXPECT_FALSE(map.insert_or_assign(some_old_key, i)); }), set_steps)
          << "SET of an existing key";
      EXPECT_EQ(moved_by([&] { EXPECT_NE(map.find(some_old_key), nullptr); }), 1) << "GET hit";
      EXPECT_EQ(moved_by([&] { EXPECT_EQ(map.find(fresh_key - 1), nullptr); }), 1) << "GET miss";
      EXPECT_EQ(moved_by([&] { EXPECT_FALSE(map.erase(fresh_key - 1)); }), 1) << "DEL miss";
    }
    // DEL of a key already in ht[1] (ht[0] stays one key per bucket).
    EXPECT_EQ(moved_by([&] { EXPECT_TRUE(map.erase(fresh_key)); }), 1) << "DEL hit";
    EXPECT_EQ(counter(map, "rehash_steps") - steps_before, static_cast<std::uint64_t>(map.rehashidx()))
        << "one bucket per step";
    finish_rehash(map);
    map.check_invariants();
  }
}

TEST(RedisDual, GrowthFollowsLoadFactorOne) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{1}, mem, AllocMode::kFresh, StepModel::kDictCall);
  map.insert_or_assign(1, 1);
  EXPECT_EQ(map.bucket_count(0), 4u) << "DICT_HT_INITIAL_SIZE";
  EXPECT_EQ(map.resize_counters().grows_started, 0u) << "the first table is not a resize";
  for (std::uint64_t k = 2; k <= 4; ++k) map.insert_or_assign(k, k);
  EXPECT_FALSE(map.rehashing()) << "used == size triggers on the next insert, not this one";
  map.insert_or_assign(5, 5);  // used 4 >= size 4 -> expand to bit_ceil(5) = 8
  EXPECT_TRUE(map.rehashing());
  EXPECT_EQ(map.bucket_count(1), 8u);
  EXPECT_EQ(map.table_used(1), 1u) << "the new key goes to ht[1]";
  EXPECT_FALSE(map.insert_or_assign(5, 6)) << "overwrites do not allocate";
  map.check_invariants();
}

// Each dict call (find/insert/erase under kDictCall) runs one step: it moves at
// most one non-empty bucket and visits at most 10 empty ones; some reach each bound.
TEST(RedisDual, OneStepPerDictCallIsBounded) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{7}, mem, AllocMode::kFresh, StepModel::kDictCall);
  Ref ref;
  std::uint64_t next = 0;
  for (int i = 0; i < 60000; ++i) map.insert_or_assign(mix64(next), next), ref[mix64(next)] = next, ++next;
  finish_rehash(map);
  // An expand first: a dense ht[0], so most steps move a bucket.
  insert_until_rehashing(map, ref, next);
  std::mt19937_64 rng(3);
  std::uint64_t ops = 0, moved_one = 0, hit_empty_cap = 0;
  auto run_ops_while_rehashing = [&](unsigned erase_pct) {
    while (map.rehashing()) {
      const std::uint64_t moved0 = map.buckets_moved(), empty0 = map.empty_buckets_visited();
      const unsigned roll = rng() % 100;
      const std::uint64_t k = mix64(rng() % (next + 10));
      if (roll < erase_pct) {
        ASSERT_EQ(map.erase(k), ref.erase(k) == 1);
      } else if (roll < erase_pct + 30) {
        map.insert_or_assign(k, 1);
        ref[k] = 1;
      } else {
        const std::uint64_t* v = map.find(k);
        ASSERT_EQ(v != nullptr, ref.count(k) == 1);
      }
      const std::uint64_t moved = map.buckets_moved() - moved0, empty = map.empty_buckets_visited() - empty0;
      ASSERT_LE(moved, 1u) << "op " << ops;
      ASSERT_LE(empty, 10u) << "op " << ops;
      moved_one += moved;
      hit_empty_cap += (empty == 10);
      if (++ops % 4001 == 0) {
        ASSERT_EQ(compare_contents(map, ref), std::nullopt);
      }
    }
  };
  run_ops_while_rehashing(10);
  EXPECT_GT(moved_one, 1000u);
  // A shrink sweeps a table < 10% full: steps often stop at 10 empty buckets.
  for (auto it = ref.begin(); it != ref.end() && ref.size() * 100 > map.bucket_count(0) * 3;) {
    ASSERT_TRUE(map.erase(it->first));
    it = ref.erase(it);
  }
  map.maintenance(std::chrono::nanoseconds(0));  // shrink check only: budget 0 does no rehash
  ASSERT_TRUE(map.rehashing()) << "used " << map.size() << " buckets " << map.bucket_count(0);
  ASSERT_LT(map.bucket_count(1), map.bucket_count(0));
  run_ops_while_rehashing(0);
  EXPECT_GT(hit_empty_cap, 100u);
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

TEST(RedisDual, OldTableReleasedInChunksAndFreedAtCompletion) {
  for (AllocMode fill : {AllocMode::kFresh, AllocMode::kSystem, AllocMode::kNaive}) {
    SCOPED_TRACE(alloc_mode_name(fill));
    MemoryCounter mem;
    Map map(SeededHash<std::uint64_t>{11}, mem, fill);
    Ref ref;
    std::uint64_t next = 0;
    while (map.bucket_count(0) < (std::size_t{1} << 16) || map.rehashing()) {
      const std::uint64_t k = mix64(next++);
      map.insert_or_assign(k, k);
      ref[k] = k;
    }
    insert_until_rehashing(map, ref, next);  // 2^16 -> 2^17 buckets: 512 KiB + 1 MiB arrays
    const std::uint64_t freed0 = map.resize_counters().old_arrays_freed;
    const std::uint64_t released0 = counter(map, "old_bytes_released_early");
    std::uint64_t max_released = 0, next_check = map.buckets_moved() + 20000;
    while (map.rehashing()) {
      ASSERT_EQ(mem.live_bytes(), expected_live_bytes(map, released0));
      max_released = counter(map, "old_bytes_released_early") - released0;
      map.find(mix64(next));  // one step per operation
      if (map.buckets_moved() >= next_check) {
        ASSERT_EQ(compare_contents(map, ref), std::nullopt);
        next_check += 20000;
      }
    }
    if (fill != AllocMode::kFresh) {
      EXPECT_EQ(max_released, 0u) << "system/naive: the old table is freed whole at the end";
    } else {
      EXPECT_GT(max_released, (std::size_t{1} << 16) * kPtr / 2) << "fresh pages: most of ht[0] went early";
    }
    EXPECT_EQ(map.resize_counters().old_arrays_freed, freed0 + 1);
    EXPECT_EQ(map.bucket_count(1), 0u);
    EXPECT_EQ(mem.live_bytes(), map.size() * Map::node_bytes() + map.bucket_count(0) * kPtr)
        << "after completion only nodes and the one table remain";
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  }
}

TEST(RedisDual, GrowThenDelete99PercentShrinks) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{5}, mem);
  constexpr std::uint64_t kN = 100000;
  for (std::uint64_t i = 0; i < kN; ++i) map.insert_or_assign(mix64(i), i);
  finish_rehash(map);
  const std::size_t big = map.bucket_count(0);
  EXPECT_EQ(big, std::size_t{1} << 17);
  for (std::uint64_t i = 0; i < kN; ++i) {
    if (i % 100 != 0) {
      ASSERT_TRUE(map.erase(mix64(i)));
    }
  }
  EXPECT_EQ(map.size(), kN / 100);
  finish_rehash(map);
  EXPECT_EQ(map.bucket_count(0), big) << "erase alone never shrinks (Redis 7.0.15: the cron does)";
  const std::uint64_t before = mem.live_bytes();
  const std::uint64_t shrinks0 = counter(map, "shrinks_started");
  for (int i = 0; i < 1000 && (map.bucket_count(0) == big || map.rehashing()); ++i) {
    map.maintenance(std::chrono::microseconds(100));
  }
  EXPECT_FALSE(map.rehashing());
  EXPECT_EQ(counter(map, "shrinks_started"), shrinks0 + 1);
  EXPECT_EQ(map.bucket_count(0), std::bit_ceil(kN / 100)) << "smallest power of two >= used";
  EXPECT_LT(mem.live_bytes(), before);
  EXPECT_EQ(before - mem.live_bytes(), (big - map.bucket_count(0)) * kPtr) << "the old array is all returned";
  for (std::uint64_t i = 0; i < kN; i += 100) ASSERT_EQ(*map.find(mix64(i)), i);
  map.check_invariants();
  // Not shrunk again: 1000 entries in 1024 buckets is well above 10% fill.
  map.maintenance(std::chrono::microseconds(100));
  EXPECT_FALSE(map.rehashing());
}

TEST(RedisDual, ShrinkRuleAtTheBoundary) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{2}, mem);
  for (std::uint64_t k = 0; k < 1024; ++k) map.insert_or_assign(k, k);
  finish_rehash(map);
  ASSERT_EQ(map.bucket_count(0), 1024u);
  // used*100/size < 10 <=> used <= 102 for size 1024.
  for (std::uint64_t k = 103; k < 1024; ++k) map.erase(k);
  map.maintenance(std::chrono::nanoseconds(0));
  EXPECT_FALSE(map.rehashing()) << "103 * 100 / 1024 = 10: no shrink";
  map.erase(102);
  map.maintenance(std::chrono::nanoseconds(0));
  ASSERT_TRUE(map.rehashing()) << "102 * 100 / 1024 = 9: shrink";
  EXPECT_EQ(map.bucket_count(1), 128u);
}

TEST(RedisDual, AvoidPolicyGrowsOnlyPastTheForceRatio) {
  for (unsigned ratio : {4u, 5u}) {
    SCOPED_TRACE(ratio);
    MemoryCounter mem;
    Map map(SeededHash<std::uint64_t>{3}, mem, AllocMode::kFresh, StepModel::kServerCommand, ratio);
    map.set_resize_policy(ResizePolicy::kAvoid);
    Ref ref;
    std::uint64_t expands = 0;
    for (std::uint64_t i = 0; i < 20000; ++i) {
      const std::size_t used = map.size(), size = map.bucket_count(0);
      const bool was_rehashing = map.rehashing();
      map.insert_or_assign(mix64(i), i);
      ref[mix64(i)] = i;
      if (!was_rehashing && map.rehashing()) {
        ++expands;
        EXPECT_GT(used / size, ratio) << "grew under avoid below the force ratio";
        EXPECT_LE(used / size, ratio + 1) << "did not grow as soon as the ratio was passed";
        EXPECT_GE(map.bucket_count(1) / size, ratio) << "rehash under avoid must be able to proceed";
      }
      if (!was_rehashing && !map.rehashing() && size != 0) {
        EXPECT_LE(used / size, ratio) << "past the force ratio but no grow";
      }
    }
    EXPECT_GE(expands, 3u);
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
    // Shrinking is not allowed under avoid.
    for (std::uint64_t i = 0; i < 19990; ++i) map.erase(mix64(i));
    finish_rehash(map);
    const std::size_t buckets = map.bucket_count(0);
    map.maintenance(std::chrono::microseconds(100));
    EXPECT_EQ(map.bucket_count(0), buckets);
    EXPECT_FALSE(map.rehashing());
  }
}

TEST(RedisDual, AvoidPausesADoublingAndEnableResumesIt) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{4}, mem);
  Ref ref;
  std::uint64_t next = 0;
  for (int i = 0; i < 5000; ++i) map.insert_or_assign(mix64(next), next), ref[mix64(next)] = next, ++next;
  finish_rehash(map);
  insert_until_rehashing(map, ref, next);
  ASSERT_EQ(map.bucket_count(1), 2 * map.bucket_count(0));
  map.set_resize_policy(ResizePolicy::kAvoid);  // 2x < force ratio 5: rehash pauses
  const std::uint64_t moved = map.buckets_moved();
  for (int i = 0; i < 1000; ++i) map.find(mix64(i));
  EXPECT_EQ(map.rehash_milliseconds(1), 0u);
  EXPECT_EQ(map.buckets_moved(), moved);
  EXPECT_TRUE(map.rehashing());
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  map.set_resize_policy(ResizePolicy::kEnable);
  finish_rehash(map);
  EXPECT_FALSE(map.rehashing());
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

TEST(RedisDual, ForbidPolicyNeverResizesOrRehashes) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{8}, mem);
  Ref ref;
  std::uint64_t next = 0;
  for (int i = 0; i < 100; ++i) map.insert_or_assign(mix64(next), next), ref[mix64(next)] = next, ++next;
  finish_rehash(map);
  insert_until_rehashing(map, ref, next);
  map.set_resize_policy(ResizePolicy::kForbid);
  const std::uint64_t moved = map.buckets_moved(), grows = map.resize_counters().grows_started;
  const std::size_t size0 = map.bucket_count(0), size1 = map.bucket_count(1);
  for (int i = 0; i < 20000; ++i) map.insert_or_assign(mix64(next), next), ref[mix64(next)] = next, ++next;
  for (int i = 0; i < 100; ++i) map.maintenance(std::chrono::microseconds(100));
  EXPECT_EQ(map.buckets_moved(), moved);
  EXPECT_EQ(map.resize_counters().grows_started, grows);
  EXPECT_EQ(map.bucket_count(0), size0);
  EXPECT_EQ(map.bucket_count(1), size1);
  EXPECT_EQ(compare_contents(map, ref), std::nullopt) << "chains grow long, nothing is lost";
  // Allowed again: the pending rehash finishes, then growth resumes.
  map.set_resize_policy(ResizePolicy::kEnable);
  finish_rehash(map);
  map.insert_or_assign(mix64(next), 0), ref[mix64(next)] = 0, ++next;
  EXPECT_TRUE(map.rehashing());
  finish_rehash(map);
  EXPECT_GE(map.bucket_count(0), map.size());
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// An insert whose expand cannot allocate the new array throws and loses nothing;
// so does one whose node allocation fails after the expand started.
TEST(RedisDual, AllocationFailureDuringExpandLosesNothing) {
  // 2^13 buckets = 64 KiB: the array comes from mmap (charge()); smaller from allocate().
  for (std::uint64_t n : {std::uint64_t{64}, std::uint64_t{1} << 13}) {
    SCOPED_TRACE(n);
    MemoryCounter mem;
    Map map(SeededHash<std::uint64_t>{9}, mem);
    Ref ref;
    std::uint64_t next = 0;
    while (map.size() < n) map.insert_or_assign(mix64(next), next), ref[mix64(next)] = next, ++next;
    finish_rehash(map);
    ASSERT_EQ(map.size(), map.bucket_count(0)) << "the next new key expands";
    const std::uint64_t live = mem.live_bytes();

    mem.fail_allocation_at(1);  // the new bucket array
    EXPECT_THROW(map.insert_or_assign(mix64(next), 1), std::bad_alloc);
    EXPECT_FALSE(map.rehashing());
    EXPECT_EQ(mem.live_bytes(), live);
    EXPECT_EQ(counter(map, "resize_alloc_failures"), 1u);
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
    EXPECT_FALSE(map.insert_or_assign(mix64(0), 0)) << "an overwrite needs no allocation";
    ref[mix64(0)] = 0;

    mem.fail_allocation_at(2);  // the array succeeds, the node fails
    EXPECT_THROW(map.insert_or_assign(mix64(next), 1), std::bad_alloc);
    EXPECT_TRUE(map.rehashing());
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
    EXPECT_EQ(map.find(mix64(next)), nullptr);

    mem.fail_allocation_at(1);  // mid-rehash: the node fails, the step already done stays
    EXPECT_THROW(map.insert_or_assign(mix64(next), 1), std::bad_alloc);
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);

    EXPECT_TRUE(map.insert_or_assign(mix64(next), 1));
    ref[mix64(next)] = 1;
    finish_rehash(map);
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);

    // dictTryExpand reports the failure instead of throwing.
    mem.fail_allocation_at(1);
    EXPECT_FALSE(map.try_expand(map.size() * 4));
    EXPECT_FALSE(map.rehashing());
    EXPECT_TRUE(map.try_expand(map.size() * 4));
    EXPECT_TRUE(map.rehashing());
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  }
}

TEST(RedisDual, ShrinkAllocationFailureIsSkipped) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{12}, mem);
  for (std::uint64_t k = 0; k < 4096; ++k) map.insert_or_assign(k, k);
  finish_rehash(map);
  for (std::uint64_t k = 10; k < 4096; ++k) map.erase(k);
  mem.fail_allocation_at(1);
  map.maintenance(std::chrono::microseconds(10));
  EXPECT_FALSE(map.rehashing());
  EXPECT_EQ(counter(map, "resize_alloc_failures"), 1u);
  map.maintenance(std::chrono::seconds(1));
  EXPECT_FALSE(map.rehashing());
  EXPECT_EQ(map.bucket_count(0), 16u);
  for (std::uint64_t k = 0; k < 10; ++k) EXPECT_EQ(*map.find(k), k);
}

// 50,000 inserts from empty: expands start when used reaches 4, 8, ..., 32768
// (used >= size), and every node in ht[0] then is relinked once, so the nodes
// moved are 4 + 8 + ... + 32768 = 2^16 - 4: a hand-computed count. Relinking
// copies no key or value, and writes at least two pointers per node.
TEST(RedisDual, RehashingRelinksAndCopiesNoPayload) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{13}, mem);
  for (std::uint64_t i = 0; i < 50000; ++i) map.insert_or_assign(mix64(i), i);
  finish_rehash(map);
  const ResizeCounters rc = map.resize_counters();
  EXPECT_EQ(rc.grows_started, 14u) << "4 -> 8 -> ... -> 65536 buckets";
  EXPECT_EQ(counter(map, "expands_started"), 14u);
  EXPECT_EQ(map.bucket_count(0), std::size_t{1} << 16);
  EXPECT_EQ(rc.entries_moved, (std::uint64_t{1} << 16) - 4);
  EXPECT_EQ(rc.payload_bytes_moved, 0u);
  EXPECT_GE(rc.index_bytes_moved, 2 * rc.entries_moved * kPtr);
  EXPECT_EQ(rc.migrations_completed, 14u);
  EXPECT_EQ(rc.old_arrays_freed, 14u);
}

// dictRehashMilliseconds(d, ms) on a clock that reads 1 ms later at every call:
// batches of 100 until now - start > ms, i.e. ms + 1 batches (a slice of more
// than ms milliseconds), and at least one. Each batch moves at most 100 buckets
// and visits at most 1000 empty ones.
TEST(RedisDual, ActiveRehashStopsOnceTheMillisecondClockPassesMs) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{14}, mem);
  Ref ref;
  std::uint64_t next = 0;
  for (int i = 0; i < 70000; ++i) map.insert_or_assign(mix64(next), next), ref[mix64(next)] = next, ++next;
  finish_rehash(map);
  insert_until_rehashing(map, ref, next);
  for (int ms : {0, 1, 3}) {
    long long clock = 5000;
    const std::uint64_t moved = map.buckets_moved(), empty = map.empty_buckets_visited();
    EXPECT_EQ(map.rehash_milliseconds(ms, [&] { return clock++; }), 100u * (ms + 1)) << "ms " << ms;
    EXPECT_LE(map.buckets_moved() - moved, 100u * (ms + 1));
    EXPECT_GT(map.buckets_moved() - moved, 100u * ms);
    EXPECT_LE(map.empty_buckets_visited() - empty, 1000u * (ms + 1));
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  }
  // A clock that never advances: it runs to completion.
  EXPECT_GT(map.rehash_milliseconds(1, [] { return 0LL; }), 0u);
  EXPECT_FALSE(map.rehashing());
  EXPECT_GE(counter(map, "active_rehash_buckets"), 700u);
  EXPECT_EQ(compare_contents(map, ref), std::nullopt);
}

// databasesCron does nothing while a fork child exists (kAvoid): no shrink and
// no active rehash, even for a rehash past the force ratio that operations and
// dictRehash may still advance.
TEST(RedisDual, NoCronWorkWhileAForkChildExists) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{15}, mem);
  std::uint64_t k = 0;
  while (map.size() < 1024) map.insert_or_assign(mix64(k++), k);
  finish_rehash(map);
  map.set_resize_policy(ResizePolicy::kAvoid);
  while (!map.rehashing()) map.insert_or_assign(mix64(k++), k);  // used / size > 5: a forced expand
  ASSERT_GE(map.bucket_count(1) / map.bucket_count(0), 5u);
  const std::uint64_t moved = map.buckets_moved();
  for (int i = 0; i < 5; ++i) map.maintenance(std::chrono::milliseconds(1));
  EXPECT_EQ(map.buckets_moved(), moved) << "active rehash under a fork child";
  EXPECT_EQ(counter(map, "active_rehash_buckets"), 0u);
  EXPECT_TRUE(map.rehash(1)) << "dictRehash itself may proceed past the force ratio";
  EXPECT_GT(map.buckets_moved(), moved);
  map.set_resize_policy(ResizePolicy::kEnable);
  while (map.rehashing()) map.maintenance(std::chrono::milliseconds(1));
  EXPECT_GT(counter(map, "active_rehash_buckets"), 0u);
  map.check_invariants();
}

TEST(RedisDual, EmptyingTheOldTableCompletesOnTheNextStep) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{15}, mem);
  for (std::uint64_t k = 0; k < 4; ++k) map.insert_or_assign(k, k);
  map.insert_or_assign(4, 4);
  ASSERT_TRUE(map.rehashing());
  map.set_resize_policy(ResizePolicy::kForbid);  // erases take no step
  for (std::uint64_t k = 0; k <= 4; ++k) map.erase(k);
  EXPECT_EQ(map.size(), 0u);
  EXPECT_TRUE(map.rehashing()) << "Redis completes only in a rehash step";
  map.check_invariants();
  map.set_resize_policy(ResizePolicy::kEnable);
  EXPECT_TRUE(map.insert_or_assign(9, 9));  // its step completes the rehash
  EXPECT_FALSE(map.rehashing());
  EXPECT_EQ(*map.find(9), 9u);
  map.check_invariants();
}

TEST(RedisDual, ClearMidRehash) {
  MemoryCounter mem;
  {
    Map map(SeededHash<std::uint64_t>{16}, mem);
    Ref ref;
    std::uint64_t next = 0;
    for (int i = 0; i < 20000; ++i) map.insert_or_assign(mix64(next), next), ++next;
    finish_rehash(map);
    insert_until_rehashing(map, ref, next);
    map.clear();
    EXPECT_EQ(mem.live_bytes(), 0u);
    map.check_invariants();
    map.insert_or_assign(1, 2);
    EXPECT_EQ(*map.find(1), 2u);
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

// Differential runs with checkpoints while expands and shrinks are in progress.
// Active rehash is given tiny budgets so both kinds stay in flight for many ops.
template <class M>
void differential_through_expand_and_shrink(M& map, std::uint64_t seed) {
  Ref ref;
  std::mt19937_64 rng(seed);
  std::uint64_t mid_expand_checks = 0, mid_shrink_checks = 0, op = 0;
  auto checkpoint = [&] {
    if (map.rehashing()) (map.bucket_count(1) > map.bucket_count(0) ? mid_expand_checks : mid_shrink_checks)++;
    ASSERT_EQ(compare_contents(map, ref), std::nullopt) << "op " << op;
  };
  auto step = [&](unsigned insert_pct, unsigned erase_pct, std::uint64_t key_space) {
    const unsigned roll = rng() % 100;
    std::uint64_t k = mix64(rng() % key_space);
    if (roll < insert_pct) {
      const std::uint64_t v = rng();
      ASSERT_EQ(map.insert_or_assign(k, v), ref.insert_or_assign(k, v).second) << "op " << op;
    } else if (roll < insert_pct + erase_pct) {
      if (!ref.empty() && rng() % 4 != 0) k = ref.begin()->first;
      ASSERT_EQ(map.erase(k), ref.erase(k) == 1) << "op " << op;
    } else {
      const std::uint64_t* v = map.find(k);
      auto it = ref.find(k);
      ASSERT_EQ(v != nullptr, it != ref.end()) << "op " << op;
      if (v) {
        ASSERT_EQ(*v, it->second) << "op " << op;
      }
    }
    ASSERT_EQ(map.size(), ref.size());
    if (op % 1000 == 999) {  // the cron's shrink check, and one batch of active rehash
      map.maintenance(std::chrono::nanoseconds(0));
      map.rehash(Map::kActiveBatch);
    }
    if (map.rehashing() ? op % 331 == 0 : op % 10007 == 0) checkpoint();
    ++op;
  };
  for (int i = 0; i < 60000; ++i) step(75, 5, 100000);   // growth: many expands
  for (int i = 0; i < 20000; ++i) step(40, 40, 100000);   // churn
  for (int i = 0; i < 60000 && ref.size() > 300; ++i) step(2, 90, 100000);  // drain: shrinks
  for (int i = 0; i < 30000; ++i) step(10, 10, 100000);   // shrinks complete under maintenance
  checkpoint();
  EXPECT_GT(mid_expand_checks, 20u);
  EXPECT_GT(mid_shrink_checks, 2u);
  EXPECT_GT(counter(map, "shrinks_started"), 0u);
}

TEST(RedisDualDifferential, FreshPages) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{21}, mem);
  differential_through_expand_and_shrink(map, 1);
}

TEST(RedisDualDifferential, SystemAllocDictCallsForceRatio4) {
  MemoryCounter mem;
  Map map(SeededHash<std::uint64_t>{22}, mem, AllocMode::kSystem, StepModel::kDictCall, 4);
  differential_through_expand_and_shrink(map, 2);
}

TEST(RedisDualDifferential, SharedDriver) {
  for (StepModel model : {StepModel::kServerCommand, StepModel::kDictCall}) {
    testing::Lockstep<Map> ls(SeededHash<std::uint64_t>{23}, AllocMode::kFresh, model);
    const auto result = testing::run_differential(ls, 300000, 77);
    EXPECT_EQ(result.failure, std::nullopt);
    EXPECT_GT(result.migrating_checkpoints, 10u);
    ls.destroy_and_check_memory();
  }
}

TEST(RedisDual, StringKeysAndCollidingHashes) {
  MemoryCounter mem;
  {
    RedisDualMap<std::string, std::string> map(SeededHash<std::string>{1}, mem);
    for (int i = 0; i < 5000; ++i) map.insert_or_assign(std::to_string(i), std::string(40, 'a' + i % 26));
    for (int i = 0; i < 5000; i += 2) map.erase(std::to_string(i));
    for (int i = 1; i < 5000; i += 2) ASSERT_EQ(map.find(std::to_string(i))->size(), 40u);
    map.check_invariants();
  }
  {
    RedisDualMap<std::uint64_t, std::uint64_t, ZeroHash<std::uint64_t>> map({}, mem);
    for (std::uint64_t k = 0; k < 2000; ++k) map.insert_or_assign(k, k);
    for (std::uint64_t k = 0; k < 2000; ++k) ASSERT_EQ(*map.find(k), k);
    map.check_invariants();
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

}  // namespace
}  // namespace rehashlab
