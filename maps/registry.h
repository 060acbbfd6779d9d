// The single list of map variants. The CLI (`list`, `--map=`), the typed test
// suites, the differential test and the benchmarks all take their maps from here,
// so adding a map is one line in AllMaps (see README "Adding a map").
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "maps/adapters.h"
#include "maps/full_rehash.h"
#include "maps/go_incremental.h"
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
using AllMaps = MapList<FullRehashMap, GoIncrementalMap, RedisDualMap, OverflowSlabMap, PacedFlatMap,
                        StdUnorderedMap, BoostFlatMap, BoostFcaMap, TslRobinMap, AbslFlatMap>;

// "a, b, c" for error messages.
inline std::string map_names_joined() {
  std::string out;
  for (auto name : AllMaps::names()) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace rehashlab
