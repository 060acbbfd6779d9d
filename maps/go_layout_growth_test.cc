// Growth triggers shared by the maps on Go's rules (full_rehash, go_incremental,
// overflow_slab): pure insertion must only ever double, at every size, and churn
// must trigger same-size grows. Regression: an exact overflow count compared with
// Go's 2^min(B,15) (meant for Go's sampled counter) made every insert at B >= 18
// rebuild the table. And the per-write bound of Go's schedule (maps/go_growth.h)
// where it is reached: an insert that finishes one grow and starts the next.
#include <gtest/gtest.h>

#include <deque>

#include "maps/go_incremental.h"
#include "maps/full_rehash.h"
#include "maps/lockstep.h"
#include "maps/overflow_slab.h"
#include "maps/test_util.h"

namespace rehashlab {
namespace {

using testing::counter;

template <class M>
class GoRulesGrowth : public ::testing::Test {};
using GoRuleMaps = ::testing::Types<FullRehashMap<std::uint64_t, std::uint64_t>,
                                    GoIncrementalMap<std::uint64_t, std::uint64_t>,
                                    OverflowSlabMap<std::uint64_t, std::uint64_t>>;
TYPED_TEST_SUITE(GoRulesGrowth, GoRuleMaps);

TEST(TooManyOverflowBuckets, ThresholdIsTwoToTheB) {
  EXPECT_FALSE(buckets::too_many_overflow_buckets((1u << 20) - 1, 20));
  EXPECT_TRUE(buckets::too_many_overflow_buckets(1u << 20, 20));
  EXPECT_TRUE(buckets::too_many_overflow_buckets(1, 0));
}

TYPED_TEST(GoRulesGrowth, InsertOnlyNeverSameSizeGrows) {
  MemoryCounter mem;
  TypeParam map(SeededHash<std::uint64_t>{7}, mem);
  constexpr std::uint64_t kN = 3000000;  // B reaches 19: past the old failure at B = 18
  for (std::uint64_t i = 0; i < kN; ++i) map.insert_or_assign(mix64(i), i);
  EXPECT_EQ(counter(map, "same_size_grows"), 0u);
  EXPECT_EQ(counter(map, "doubling_grows"), map.resize_counters().grows_started);
  EXPECT_GE(counter(map, "doubling_grows"), 19u);
}

TYPED_TEST(GoRulesGrowth, ChurnTriggersSameSizeGrows) {
  MemoryCounter mem;
  TypeParam map(SeededHash<std::uint64_t>{7}, mem);
  for (std::uint64_t i = 0; i < 20000; ++i) map.insert_or_assign(i, i);
  for (std::uint64_t i = 20000; i < 2000000; ++i) {  // constant size, keys always new
    map.insert_or_assign(i, i);
    map.erase(i - 20000);
  }
  EXPECT_GE(counter(map, "same_size_grows"), 1u);
  EXPECT_EQ(map.size(), 20000u);
  map.check_invariants();
}

template <class M>
class GoSchedule : public ::testing::Test {};
using GoScheduleMaps = ::testing::Types<GoIncrementalMap<std::uint64_t, std::uint64_t>,
                                        OverflowSlabMap<std::uint64_t, std::uint64_t>>;
TYPED_TEST_SUITE(GoSchedule, GoScheduleMaps);

// The churn scenario of issue 14 (seen in real Go 1.19): 6,200 keys (B = 10, load
// 6.05 of 6.5), FIFO churn (insert a new key, erase the oldest) until a same-size
// grow is under way, then only inserts. The count passes 6.5 * 2^10 while the
// same-size grow still runs (it needs >= 512 writes, the crossing 457 inserts), and
// the grow check is skipped while growing; so the insert whose growWork finishes
// the same-size grow starts the doubling at once (hashGrow; goto again) and
// evacuates for both grows: more than 2 old buckets in one write, at most 4.
TYPED_TEST(GoSchedule, InsertFinishesASameSizeGrowAndStartsADoubling) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed) {
    SCOPED_TRACE(seed);
    testing::Lockstep<TypeParam> ls(SeededHash<std::uint64_t>{seed});
    TypeParam& map = ls.map();
    std::deque<std::uint64_t> fifo;
    std::uint64_t next = 0;
    auto insert_new = [&] {
      fifo.push_back(mix64(next++));
      ls.insert(fifo.back(), next);
    };
    while (fifo.size() < 6200) insert_new();
    ASSERT_EQ(counter(map, "log2_buckets"), 10u);
    while (!(map.growing() && counter(map, "same_size_grows") > 0)) {
      insert_new();
      ls.erase(fifo.front());
      fifo.pop_front();
      ASSERT_LT(next, 1000000u) << "churn never started a same-size grow";
    }
    for (;;) {
      const bool same_size_before = map.growing() && counter(map, "old_log2_buckets") == 10;
      const std::uint64_t grows = map.resize_counters().grows_started;
      const std::uint64_t evacuated = counter(map, "buckets_evacuated");
      insert_new();
      if (map.resize_counters().grows_started == grows) continue;
      EXPECT_TRUE(same_size_before) << "the same-size grow ended before the doubling started";
      EXPECT_EQ(counter(map, "old_log2_buckets"), 10u);
      EXPECT_EQ(counter(map, "log2_buckets"), 11u) << "a doubling";
      EXPECT_EQ(map.resize_counters().migrations_completed, grows) << "the same-size grow completed in this insert";
      const std::uint64_t moved = counter(map, "buckets_evacuated") - evacuated;
      EXPECT_GT(moved, 2u) << "the old bound (2 per write) holds here: scenario not reached";
      EXPECT_LE(moved, 4u);
      EXPECT_GE(counter(map, "max_write_evacuations"), moved);
      break;
    }
    ls.check_contents();  // check_invariants() accepts this write (it threw before the bound was fixed)
  }
}

}  // namespace
}  // namespace rehashlab
