// gtest helpers shared by the map tests: the registry as gtest type lists, a
// map's counter by name, and the comparison with a reference (maps/lockstep.h).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <string_view>

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

}  // namespace rehashlab::testing
