// Every name `rehashlab list` prints: the C++ maps of maps/registry.h (in-house
// variants and production adapters) and the peers (real systems the harness
// drives: harness/peers.h). The CLI validates names here and nowhere else.
#pragma once

#include <string>
#include <vector>

namespace rehashlab {

enum class MapKind { kInHouse, kAdapter, kPeer };

struct MapEntry {
  std::string name;
  MapKind kind;
  bool has_alloc_switch;  // takes --alloc (the in-house maps)
  std::string description;
};

// Registry order (in-house maps, adapters), then the peers.
const std::vector<MapEntry>& map_catalog();
// The entry named `name`, or nullptr.
const MapEntry* find_map(const std::string& name);
// The entry named `name`; UsageError listing every valid name otherwise.
const MapEntry& require_map(const std::string& name);
// "a, b, c" of every name.
std::string map_names_joined();
// Names of the maps that take --alloc, joined.
std::string alloc_map_names_joined();
const char* kind_name(MapKind k);

}  // namespace rehashlab
