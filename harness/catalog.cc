#include "harness/catalog.h"

#include <map>
#include <type_traits>

#include "harness/cli.h"
#include "harness/peers.h"
#include "maps/registry.h"

namespace rehashlab {
namespace {

// One line per map for `list --long`; the design and its sources are in the map's header.
const std::map<std::string, std::string>& descriptions() {
  static const std::map<std::string, std::string> d = {
      {"full_rehash", "stop-the-world baseline on Go's bucket layout: a grow copies every entry inside one insert"},
      {"go_incremental", "Go's classic runtime map (Go 1.19 runtime/map.go): oldbuckets + nevacuate, growWork on writes"},
      {"redis_dual", "Redis 7.0 dict: two tables, rehashidx, rehash steps per command, active rehash, shrinking"},
      {"overflow_slab", "Go's incremental growth over an index of {fingerprint, slab id}: payload never moved"},
      {"go_swiss", "Go 1.24+ Swiss-table map: directory of tables, a full table splits, no global migration"},
      {"linear_hashing", "Litwin's linear hashing with Larson's segment directory: one bucket split per step"},
      {"paced_flat", "rehashlab's flat open-addressing table with paced incremental migration"},
      {"std_unordered", "std::unordered_map (libstdc++), adapter"},
      {"boost_flat", "boost::unordered_flat_map (Boost 1.81), adapter"},
      {"boost_fca", "boost::unordered_map (closed addressing, Boost 1.81), adapter"},
      {"tsl_robin", "tsl::robin_map, adapter"},
      {"absl_flat", "absl::flat_hash_map, adapter"},
  };
  return d;
}

std::vector<MapEntry> build_catalog() {
  std::vector<MapEntry> out;
  AllMaps::for_each_map<std::uint64_t, std::uint64_t, SeededHash<std::uint64_t>>([&]<class M>(std::type_identity<M>) {
    const std::string name(M::kName);
    const auto it = descriptions().find(name);
    out.push_back({name, M::kInHouse ? MapKind::kInHouse : MapKind::kAdapter,
                   std::is_constructible_v<M, const typename M::hasher&, MemoryCounter&, AllocMode>,
                   it == descriptions().end() ? "" : it->second});
  });
  for (const PeerInfo& p : peer_list()) out.push_back({p.name, MapKind::kPeer, false, p.description});
  return out;
}

std::string joined_names(bool only_alloc) {
  std::string out;
  for (const MapEntry& e : map_catalog()) {
    if (only_alloc && !e.has_alloc_switch) continue;
    out += (out.empty() ? "" : ", ") + e.name;
  }
  return out;
}

}  // namespace

const std::vector<MapEntry>& map_catalog() {
  static const std::vector<MapEntry> catalog = build_catalog();
  return catalog;
}

const MapEntry* find_map(const std::string& name) {
  for (const MapEntry& e : map_catalog()) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const MapEntry& require_map(const std::string& name) {
  if (const MapEntry* e = find_map(name)) return *e;
  throw cli::UsageError("unknown map '" + name + "' (valid maps: " + map_names_joined() + ")");
}

std::string map_names_joined() { return joined_names(false); }
std::string alloc_map_names_joined() { return joined_names(true); }

const char* kind_name(MapKind k) {
  switch (k) {
    case MapKind::kInHouse: return "in-house";
    case MapKind::kAdapter: return "adapter";
    case MapKind::kPeer: return "peer";
  }
  return "?";
}

}  // namespace rehashlab
