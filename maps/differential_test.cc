// Every map in the registry against std::unordered_map on seeded random
// operation sequences (maps/differential.h over maps/lockstep.h). REHASHLAB_DIFF_OPS sets the number
// of operations per map (default 1M; e.g. 20000000 for a heavy manual run).
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "maps/differential.h"
#include "maps/test_util.h"

namespace rehashlab {
namespace {

std::uint64_t ops_per_map() {
  const char* env = std::getenv("REHASHLAB_DIFF_OPS");
  return env != nullptr ? std::strtoull(env, nullptr, 10) : 1000000;
}

template <class M>
class Differential : public ::testing::Test {};
using U64Maps = testing::GtestTypes<AllMaps, std::uint64_t, std::uint64_t>::type;
TYPED_TEST_SUITE(Differential, U64Maps);

TYPED_TEST(Differential, MatchesStdUnorderedMap) {
  for (std::uint64_t seed : {1u, 2u}) {
    testing::Lockstep<TypeParam> ls(SeededHash<std::uint64_t>{seed * 0x9e3779b97f4a7c15ULL});
    const auto result = testing::run_differential(ls, ops_per_map() / 2, seed);
    ASSERT_EQ(result.failure, std::nullopt) << TypeParam::kName << " seed " << seed;
    EXPECT_GE(result.grows, 5u);
    EXPECT_GE(result.checkpoints, 2u);
    if constexpr (testing::kMigratesIncrementally<TypeParam>) {
      EXPECT_GE(result.migrating_checkpoints, 3u)
          << TypeParam::kName << " migrates incrementally: the sequence must be checked mid-migration";
    }
  }
}

// A test that cannot fail does not count: mutants of a correct map must be caught.
template <class Inner, int kBug>
class Mutant : public Inner {
 public:
  using Inner::Inner;
  bool insert_or_assign(const std::uint64_t& k, const std::uint64_t& v) {
    if (kBug == 0 && ++calls_ % 50000 == 0) return true;  // silently drops an insert
    if (kBug == 1 && ++calls_ % 50000 == 0) return Inner::insert_or_assign(k, v + 1);  // corrupts a value
    return Inner::insert_or_assign(k, v);
  }

 private:
  std::uint64_t calls_ = 0;
};

TEST(DifferentialSelfTest, CatchesDroppedInsert) {
  testing::Lockstep<Mutant<FullRehashMap<std::uint64_t, std::uint64_t>, 0>> ls(SeededHash<std::uint64_t>{1});
  const auto result = testing::run_differential(ls, 300000, 1);
  ASSERT_NE(result.failure, std::nullopt);
}

TEST(DifferentialSelfTest, CatchesCorruptedValue) {
  testing::Lockstep<Mutant<StdUnorderedMap<std::uint64_t, std::uint64_t>, 1>> ls(SeededHash<std::uint64_t>{1});
  const auto result = testing::run_differential(ls, 300000, 1);
  ASSERT_NE(result.failure, std::nullopt);
}

}  // namespace
}  // namespace rehashlab
