// Growth triggers shared by the maps on Go's rules (full_rehash, go_incremental,
// overflow_slab): pure insertion must only ever double, at every size, and churn
// must trigger same-size grows. Regression: an exact overflow count compared with
// Go's 2^min(B,15) (meant for Go's sampled counter) made every insert at B >= 18
// rebuild the table.
#include <gtest/gtest.h>

#include "maps/go_incremental.h"
#include "maps/full_rehash.h"
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

}  // namespace
}  // namespace rehashlab
