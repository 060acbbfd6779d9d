// Shared test helpers: the registry as gtest type lists, a hostile hash, and the
// differential checker (a map against std::unordered_map).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <unordered_map>

#include "maps/map_api.h"
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

// Contents of a map via for_each; fails (returns a message) if a key is visited twice.
template <class M>
std::optional<std::string> collect(const M& map, std::unordered_map<typename M::key_type, typename M::mapped_type,
                                                                    SeededHash<typename M::key_type>>& out) {
  std::optional<std::string> err;
  map.for_each([&](const auto& k, const auto& v) {
    if (!out.emplace(k, v).second && !err) err = "for_each visited a key twice";
  });
  return err;
}

// Compares the full contents of `map` with `ref`; returns a description of the
// first difference, or nullopt when equal. Also runs check_invariants().
template <class M, class Ref>
std::optional<std::string> compare_contents(const M& map, const Ref& ref) {
  try {
    map.check_invariants();
  } catch (const InvariantViolation& e) {
    return std::string("invariant violated: ") + e.what();
  }
  if (map.size() != ref.size()) {
    return "size() " + std::to_string(map.size()) + " != reference " + std::to_string(ref.size());
  }
  std::unordered_map<typename M::key_type, typename M::mapped_type, SeededHash<typename M::key_type>> seen;
  if (auto err = collect(map, seen)) return err;
  if (seen.size() != ref.size()) {
    return "for_each visited " + std::to_string(seen.size()) + " entries, reference has " +
           std::to_string(ref.size());
  }
  for (const auto& [k, v] : ref) {
    auto it = seen.find(k);
    if (it == seen.end()) return "for_each missed a key";
    if (!(it->second == v)) return "for_each returned a wrong value";
  }
  return std::nullopt;
}

}  // namespace rehashlab::testing
