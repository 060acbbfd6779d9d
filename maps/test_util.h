// gtest helpers shared by the map tests: the registry as gtest type lists, a
// map's counter by name, and the comparison with a reference (maps/lockstep.h).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

#include "maps/lockstep.h"
#include "maps/registry.h"

namespace rehashlab::testing {

template <class List, class K, class V, class Hash = SeededHash<K>>
struct GtestTypes;
template <template <class, class, class> class... Ms, class K, class V, class Hash>
struct GtestTypes<MapList<Ms...>, K, V, Hash> {
  using type = ::testing::Types<Ms<K, V, Hash>...>;
};

// The value of the map's counter `name` (for_each_counter); a test failure and
// 2^64-1 when the map has no such counter.
template <class M>
std::uint64_t counter(const M& map, std::string_view name) {
  std::uint64_t out = ~std::uint64_t{0};
  map.for_each_counter([&](std::string_view n, std::uint64_t v) {
    if (n == name) out = v;
  });
  EXPECT_NE(out, ~std::uint64_t{0}) << "no counter " << name;
  return out;
}

// True for maps that migrate incrementally (an old array outlives the grow).
// full_rehash and go_swiss finish every growth step inside the operation.
template <class M>
constexpr bool kMigratesIncrementally =
    M::kInHouse && M::kName != std::string_view("full_rehash") && M::kName != std::string_view("go_swiss");

// Inserts keys 0..n-1 (erasing key k/2 after every third insert) and checks the map
// against std::unordered_map op by op, then every find of 0..n+9 and the whole
// contents: the workload the hostile-hash tests run under each bad hash.
template <class M>
void expect_churn_matches_reference(M& map, std::uint64_t n) {
  std::unordered_map<std::uint64_t, std::uint64_t> ref;
  for (std::uint64_t k = 0; k < n; ++k) {
    ASSERT_EQ(map.insert_or_assign(k, k + 1), ref.insert_or_assign(k, k + 1).second);
    if (k % 3 == 0) {
      ASSERT_EQ(map.erase(k / 2), ref.erase(k / 2) == 1);
    }
  }
  for (std::uint64_t k = 0; k < n + 10; ++k) {
    const std::uint64_t* v = map.find(k);
    const auto it = ref.find(k);
    ASSERT_EQ(v == nullptr, it == ref.end()) << k;
    if (v != nullptr) {
      ASSERT_EQ(*v, it->second);
    }
  }
  ASSERT_EQ(compare_contents(map, ref), std::nullopt);
}

// Inserts `count` string entries with allocating values, erasing one key after
// every third insert, into `map` and `ref` alike, checking every result: the
// string workload of the maps' own splits-and-clear tests (ASan sees leaks).
template <class M>
void insert_string_churn(M& map, std::unordered_map<std::string, std::string>& ref, int count) {
  for (int i = 0; i < count; ++i) {
    const std::string k = "key-" + std::to_string(i * 7919 % 10007);
    const std::string v = "value-long-enough-to-allocate-" + std::to_string(i);
    ASSERT_EQ(map.insert_or_assign(k, v), ref.insert_or_assign(k, v).second);
    if (i % 3 == 0) {
      const std::string e = "key-" + std::to_string(i * 31 % 10007);
      ASSERT_EQ(map.erase(e), ref.erase(e) == 1);
    }
  }
  ASSERT_EQ(compare_contents(map, ref), std::nullopt);
}

}  // namespace rehashlab::testing
