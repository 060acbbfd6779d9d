// One typed conformance suite over every map in the registry (AllMaps), for
// u64 -> u64, for non-trivial types (std::string keys and values), for the
// experiments' fixed-size types, and under a hostile hash that sends every key to
// the same bucket.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>
#include <unordered_map>
#include <vector>

#include "maps/registry.h"
#include "maps/test_util.h"

namespace rehashlab {
namespace {

using testing::compare_contents;

template <class M>
class MapConformance : public ::testing::Test {
 protected:
  using K = typename M::key_type;
  using V = typename M::mapped_type;
  MemoryCounter mem;
};

using U64Maps = testing::GtestTypes<AllMaps, std::uint64_t, std::uint64_t>::type;
TYPED_TEST_SUITE(MapConformance, U64Maps);

TYPED_TEST(MapConformance, EmptyMap) {
  TypeParam map(SeededHash<std::uint64_t>{1}, this->mem);
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find(42), nullptr);
  EXPECT_FALSE(map.erase(42));
  std::size_t visited = 0;
  map.for_each([&](auto&, auto&) { ++visited; });
  EXPECT_EQ(visited, 0u);
  EXPECT_FALSE(map.resize_counters().migrating);
  map.check_invariants();
}

TYPED_TEST(MapConformance, SingleKey) {
  TypeParam map(SeededHash<std::uint64_t>{1}, this->mem);
  EXPECT_TRUE(map.insert_or_assign(7, 70));
  EXPECT_EQ(map.size(), 1u);
  ASSERT_NE(map.find(7), nullptr);
  EXPECT_EQ(*map.find(7), 70u);
  EXPECT_EQ(map.find(8), nullptr);
  EXPECT_TRUE(map.erase(7));
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find(7), nullptr);
  map.check_invariants();
}

TYPED_TEST(MapConformance, ExtremeKeys) {
  TypeParam map(SeededHash<std::uint64_t>{1}, this->mem);
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  EXPECT_TRUE(map.insert_or_assign(0, 1));
  EXPECT_TRUE(map.insert_or_assign(kMax, 2));
  EXPECT_EQ(*map.find(0), 1u);
  EXPECT_EQ(*map.find(kMax), 2u);
  EXPECT_EQ(map.size(), 2u);
  EXPECT_TRUE(map.erase(0));
  EXPECT_EQ(map.find(0), nullptr);
  EXPECT_EQ(*map.find(kMax), 2u);
  map.check_invariants();
}

TYPED_TEST(MapConformance, OverwriteKeepsSize) {
  TypeParam map(SeededHash<std::uint64_t>{1}, this->mem);
  EXPECT_TRUE(map.insert_or_assign(5, 1));
  EXPECT_FALSE(map.insert_or_assign(5, 2));
  EXPECT_EQ(map.size(), 1u);
  EXPECT_EQ(*map.find(5), 2u);
}

TYPED_TEST(MapConformance, EraseAbsentKey) {
  TypeParam map(SeededHash<std::uint64_t>{1}, this->mem);
  for (std::uint64_t k = 0; k < 100; ++k) map.insert_or_assign(k, k);
  EXPECT_FALSE(map.erase(1000));
  EXPECT_TRUE(map.erase(50));
  EXPECT_FALSE(map.erase(50));
  EXPECT_EQ(map.size(), 99u);
}

TYPED_TEST(MapConformance, ClearThenReuse) {
  TypeParam map(SeededHash<std::uint64_t>{1}, this->mem);
  for (std::uint64_t k = 0; k < 5000; ++k) map.insert_or_assign(k, k + 1);
  map.clear();
  EXPECT_EQ(map.size(), 0u);
  EXPECT_EQ(map.find(10), nullptr);
  std::size_t visited = 0;
  map.for_each([&](auto&, auto&) { ++visited; });
  EXPECT_EQ(visited, 0u);
  for (std::uint64_t k = 0; k < 5000; k += 2) EXPECT_TRUE(map.insert_or_assign(k, k * 3));
  EXPECT_EQ(map.size(), 2500u);
  EXPECT_EQ(*map.find(4000), 12000u);
  EXPECT_EQ(map.find(4001), nullptr);
  map.check_invariants();
}

TYPED_TEST(MapConformance, GrowthAcrossManyDoublings) {
  constexpr std::uint64_t kN = 200000;
  std::unordered_map<std::uint64_t, std::uint64_t> ref;
  {
    TypeParam map(SeededHash<std::uint64_t>{99}, this->mem);
    for (std::uint64_t i = 0; i < kN; ++i) {
      const std::uint64_t k = mix64(i);  // spread keys
      ASSERT_TRUE(map.insert_or_assign(k, i)) << i;
      ref[k] = i;
    }
    EXPECT_EQ(map.size(), kN);
    for (std::uint64_t i = 0; i < kN; ++i) {
      const std::uint64_t* v = map.find(mix64(i));
      ASSERT_NE(v, nullptr) << i;
      ASSERT_EQ(*v, i);
    }
    EXPECT_GE(map.resize_counters().grows_started, 10u) << "200k entries need >= 10 doublings";
    EXPECT_GT(this->mem.live_bytes(), kN * 16) << "memory is accounted through the counter";
    EXPECT_GE(this->mem.peak_bytes(), this->mem.live_bytes());
    EXPECT_EQ(compare_contents(map, ref), std::nullopt);
  }
  EXPECT_EQ(this->mem.live_bytes(), 0u) << "destroying the map returns every counted byte";
}

TYPED_TEST(MapConformance, KeysSharingLowBits) {
  // Multiples of 2^24: identical low 24 bits. The seeded hash must spread them.
  TypeParam map(SeededHash<std::uint64_t>{3}, this->mem);
  for (std::uint64_t i = 0; i < 50000; ++i) map.insert_or_assign(i << 24, i);
  for (std::uint64_t i = 0; i < 50000; ++i) ASSERT_EQ(*map.find(i << 24), i);
  map.check_invariants();
}

// Non-trivial key and value types: construction, moves and destruction must be
// right (ASan/LSan builds catch leaks and double frees here).
template <class M>
class StringMapConformance : public ::testing::Test {};
using StringMaps = testing::GtestTypes<AllMaps, std::string, std::string>::type;
TYPED_TEST_SUITE(StringMapConformance, StringMaps);

TYPED_TEST(StringMapConformance, InsertFindEraseGrow) {
  MemoryCounter mem;
  std::unordered_map<std::string, std::string> ref;
  {
    TypeParam map(SeededHash<std::string>{5}, mem);
    for (int i = 0; i < 20000; ++i) {
      std::string k = "key-with-a-long-shared-prefix-" + std::to_string(i * 7919 % 30011);
      std::string v(static_cast<std::size_t>(i % 40), 'v');
      EXPECT_EQ(map.insert_or_assign(k, v), ref.insert_or_assign(k, v).second);
      if (i % 3 == 0) {
        std::string e = "key-with-a-long-shared-prefix-" + std::to_string(i * 31 % 30011);
        EXPECT_EQ(map.erase(e), ref.erase(e) == 1);
      }
    }
    EXPECT_EQ(testing::compare_contents(map, ref), std::nullopt);
    map.clear();
    EXPECT_EQ(map.size(), 0u);
    EXPECT_TRUE(map.insert_or_assign("again", "yes"));
    EXPECT_EQ(*map.find("again"), "yes");
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

// The experiments' fixed-size key and value types.
template <class M>
class BlobMapConformance : public ::testing::Test {};
using BlobMaps = testing::GtestTypes<AllMaps, FixedString<16>, Blob<64>>::type;
TYPED_TEST_SUITE(BlobMapConformance, BlobMaps);

TYPED_TEST(BlobMapConformance, InsertFindErase) {
  MemoryCounter mem;
  TypeParam map(SeededHash<FixedString<16>>{11}, mem);
  std::unordered_map<std::uint64_t, std::uint64_t> ref;
  for (std::uint64_t i = 0; i < 30000; ++i) {
    const std::uint64_t k = i * 2654435761u % 40009;
    EXPECT_EQ(map.insert_or_assign(FixedString<16>::from_u64(k), Blob<64>::from_u64(i)), ref.insert_or_assign(k, i).second);
    if (i % 4 == 1) {
      EXPECT_EQ(map.erase(FixedString<16>::from_u64(i % 40009)), ref.erase(i % 40009) == 1);
    }
  }
  EXPECT_EQ(map.size(), ref.size());
  for (const auto& [k, v] : ref) {
    const Blob<64>* got = map.find(FixedString<16>::from_u64(k));
    ASSERT_NE(got, nullptr);
    EXPECT_EQ(*got, Blob<64>::from_u64(v));
  }
  map.check_invariants();
}

// Every key collides: maps must stay correct (chains, probing, migration) even
// when the hash is useless. Small n: this is quadratic by design.
template <class M>
class HostileHashConformance : public ::testing::Test {};
using ZeroHashMaps = testing::GtestTypes<AllMaps, std::uint64_t, std::uint64_t,
                                         ZeroHash<std::uint64_t>>::type;
TYPED_TEST_SUITE(HostileHashConformance, ZeroHashMaps);

TYPED_TEST(HostileHashConformance, AllKeysCollide) {
  MemoryCounter mem;
  std::unordered_map<std::uint64_t, std::uint64_t> ref;
  {
    TypeParam map(ZeroHash<std::uint64_t>{}, mem);
    for (std::uint64_t i = 0; i < 600; ++i) {
      EXPECT_EQ(map.insert_or_assign(i * 3, i), ref.insert_or_assign(i * 3, i).second);
      if (i % 5 == 0) {
        EXPECT_EQ(map.erase(i), ref.erase(i) == 1);
      }
      if (i % 7 == 0) {
        const std::uint64_t* v = map.find(i);
        auto it = ref.find(i);
        ASSERT_EQ(v == nullptr, it == ref.end());
        if (v != nullptr) {
          EXPECT_EQ(*v, it->second);
        }
      }
    }
    EXPECT_EQ(testing::compare_contents(map, ref), std::nullopt);
  }
  EXPECT_EQ(mem.live_bytes(), 0u);
}

}  // namespace
}  // namespace rehashlab
