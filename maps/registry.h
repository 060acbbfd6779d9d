// The single list of map variants. The CLI (`list`, `--map=`), the typed test
// suites, the differential test and the benchmarks all take their maps from here,
// so adding a map is one line in AllMaps (see README "Adding a map").
#pragma once

#include <array>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "maps/adapters.h"
#include "maps/full_rehash.h"
#include "maps/go_incremental.h"
#include "maps/go_swiss.h"
#include "maps/linear_hashing.h"
#include "maps/map_api.h"
#include "maps/overflow_slab.h"
#include "maps/paced_flat.h"
#include "maps/redis_dual.h"

namespace rehashlab {

template <template <class, class, class> class... Maps>
struct MapList {
  template <class K, class V, class Hash = SeededHash<K>>
  using Instantiated = std::tuple<Maps<K, V, Hash>...>;

  static std::vector<std::string_view> names() {
    return {Maps<std::uint64_t, std::uint64_t, SeededHash<std::uint64_t>>::kName...};
  }

  // Calls f(std::type_identity<M>{}) for the map named `name`, instantiated at
  // <K, V, Hash>. Returns false when no map has that name.
  template <class K, class V, class Hash, class F>
  static bool with_map(std::string_view name, F&& f) {
    bool found = false;
    (
        [&] {
          using M = Maps<K, V, Hash>;
          static_assert(ResizableMap<M>, "every registered map satisfies ResizableMap");
          if (!found && name == M::kName) {
            found = true;
            f(std::type_identity<M>{});
          }
        }(),
        ...);
    return found;
  }

  // Calls f(std::type_identity<M>{}) for every map, in list order.
  template <class K, class V, class Hash, class F>
  static void for_each_map(F&& f) {
    (f(std::type_identity<Maps<K, V, Hash>>{}), ...);
  }
};

// In-house variants first, then the production adapters.
using AllMaps = MapList<FullRehashMap, GoIncrementalMap, RedisDualMap, OverflowSlabMap, GoSwissMap, LinearHashingMap,
                        PacedFlatMap,
                        StdUnorderedMap, BoostFlatMap, BoostFcaMap, TslRobinMap, AbslFlatMap>;

// std::tuple<M...> of every map of a MapList with kInHouse, at <K, V, Hash>.
template <class List, class K, class V, class Hash>
struct InHouseMapsOf;
template <template <class, class, class> class... Maps, class K, class V, class Hash>
struct InHouseMapsOf<MapList<Maps...>, K, V, Hash> {
  using type = decltype(std::tuple_cat(
      std::declval<std::conditional_t<Maps<K, V, Hash>::kInHouse, std::tuple<Maps<K, V, Hash>>, std::tuple<>>>()...));
};
template <class K, class V, class Hash = SeededHash<K>>
using InHouseMaps = typename InHouseMapsOf<AllMaps, K, V, Hash>::type;

// Calls f(std::type_identity<M>{}) for every in-house map at <K, V, Hash>.
template <class K, class V, class Hash, class F>
void for_each_in_house_map(F&& f) {
  AllMaps::for_each_map<K, V, Hash>([&]<class M>(std::type_identity<M> id) {
    if constexpr (M::kInHouse) f(id);
  });
}

}  // namespace rehashlab
