// Thin adapters that put production hash maps behind the ResizableMap interface.
//
// Honest, not tuned: each adapter uses the container as its users would, with its
// default load factor and growth policy; the only things passed in are the run's
// seeded hash (so differences come from the table, not the hash) and a
// CountingAllocator (so memory is measured exactly). None of them migrates
// incrementally: every resize happens inside one insert.
//
// Resize counters are derived from bucket_count(), read after each insert: when it
// changed, one grow started and completed inside that insert, and for the
// open-addressing tables (boost_flat, absl_flat, tsl_robin) every entry present
// before the insert was moved, so payload_bytes_moved grows by size * (key + value).
// The node-based tables (std_unordered, boost_fca) relink nodes instead: entries are
// counted as moved, payload bytes are not, index bytes count one pointer per entry.
// Limitation: absl's in-place cleanup of tombstones (drop_deletes_without_resize)
// moves entries without changing the capacity and is not seen here, so absl_flat's
// counts are a lower bound under erase-heavy workloads.
#pragma once

#include <absl/container/flat_hash_map.h>
#include <tsl/robin_map.h>

#include <boost/unordered/unordered_flat_map.hpp>
#include <boost/unordered_map.hpp>
#include <cstdint>
#include <functional>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "maps/map_api.h"

namespace rehashlab {

// Wraps a std-like map type `Container` (with insert_or_assign, find, erase,
// bucket_count) that allocates `std::pair<const K, V>` through CountingAllocator.
// `Traits` gives the name and whether rehashing moves payload (open addressing).
template <class K, class V, class Hash, class Container, class Traits>
class ProductionMapAdapter {
 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = Traits::kName;
  static constexpr bool kInHouse = false;

  ProductionMapAdapter(const Hash& hash, MemoryCounter& mem) : map_(Traits::template make<Container>(hash, mem)) {}

  bool insert_or_assign(const K& key, const V& value) {
    const std::size_t before_size = map_.size();
    const std::size_t before_buckets = map_.bucket_count();
    const bool inserted = map_.insert_or_assign(key, value).second;
    if (map_.bucket_count() != before_buckets) note_rehash(before_size);
    return inserted;
  }

  const V* find(const K& key) {
    auto it = map_.find(key);
    return it == map_.end() ? nullptr : &it->second;
  }

  bool erase(const K& key) { return map_.erase(key) != 0; }
  std::size_t size() const { return map_.size(); }
  void clear() { map_.clear(); }

  template <class F>
  void for_each(F&& f) const {
    for (const auto& [k, v] : map_) f(k, v);
  }

  ResizeCounters resize_counters() const { return counters_; }

  //  bucket_count   the container's bucket_count() (slots for open addressing)
  template <class F>
  void for_each_counter(F&& f) const {
    f("bucket_count", map_.bucket_count());
  }

  void maintenance(std::chrono::nanoseconds) {}

  // Production maps own their invariants; here we check only what the adapter
  // can see: iteration visits size() entries, each findable with its value.
  void check_invariants() const {
    std::size_t n = 0;
    for (const auto& [k, v] : map_) {
      auto it = map_.find(k);
      require_invariant(it != map_.end() && &it->second == &v, "iterated entry not found by key");
      ++n;
    }
    require_invariant(n == map_.size(), "iteration count differs from size()");
  }

 private:
  void note_rehash(std::size_t entries) {
    ++counters_.grows_started;
    ++counters_.migrations_completed;
    ++counters_.old_arrays_freed;
    counters_.entries_moved += entries;
    if constexpr (Traits::kOpenAddressing) {
      counters_.payload_bytes_moved += entries * (sizeof(K) + sizeof(V));
    } else {
      counters_.index_bytes_moved += entries * sizeof(void*);
    }
  }

  Container map_;
  ResizeCounters counters_;
};

namespace adapters {

template <class K, class V>
using Alloc = CountingAllocator<std::pair<const K, V>>;

// Containers whose constructor is (bucket_count, hash, equal, allocator).
struct StdLikeConstruct {
  template <class C, class Hash>
  static C make(const Hash& hash, MemoryCounter& mem) {
    return C(0, hash, typename C::key_equal(), typename C::allocator_type(mem));
  }
};

struct StdUnorderedTraits : StdLikeConstruct {
  static constexpr std::string_view kName = "std_unordered";
  static constexpr bool kOpenAddressing = false;
};
struct BoostFlatTraits : StdLikeConstruct {
  static constexpr std::string_view kName = "boost_flat";
  static constexpr bool kOpenAddressing = true;
};
struct BoostFcaTraits : StdLikeConstruct {
  static constexpr std::string_view kName = "boost_fca";
  static constexpr bool kOpenAddressing = false;
};
struct AbslFlatTraits : StdLikeConstruct {
  static constexpr std::string_view kName = "absl_flat";
  static constexpr bool kOpenAddressing = true;
};
struct TslRobinTraits {
  static constexpr std::string_view kName = "tsl_robin";
  static constexpr bool kOpenAddressing = true;
  template <class C, class Hash>
  static C make(const Hash& hash, MemoryCounter& mem) {
    return C(typename C::size_type(0), hash, typename C::key_equal(), typename C::allocator_type(mem));
  }
};

}  // namespace adapters

template <class K, class V, class Hash = SeededHash<K>>
using StdUnorderedMap =
    ProductionMapAdapter<K, V, Hash, std::unordered_map<K, V, Hash, std::equal_to<K>, adapters::Alloc<K, V>>,
                         adapters::StdUnorderedTraits>;

template <class K, class V, class Hash = SeededHash<K>>
using BoostFlatMap =
    ProductionMapAdapter<K, V, Hash,
                         boost::unordered_flat_map<K, V, Hash, std::equal_to<K>, adapters::Alloc<K, V>>,
                         adapters::BoostFlatTraits>;

template <class K, class V, class Hash = SeededHash<K>>
using BoostFcaMap =
    ProductionMapAdapter<K, V, Hash, boost::unordered_map<K, V, Hash, std::equal_to<K>, adapters::Alloc<K, V>>,
                         adapters::BoostFcaTraits>;

template <class K, class V, class Hash = SeededHash<K>>
using AbslFlatMap =
    ProductionMapAdapter<K, V, Hash, absl::flat_hash_map<K, V, Hash, std::equal_to<K>, adapters::Alloc<K, V>>,
                         adapters::AbslFlatTraits>;

template <class K, class V, class Hash = SeededHash<K>>
using TslRobinMap = ProductionMapAdapter<
    K, V, Hash, tsl::robin_map<K, V, Hash, std::equal_to<K>, CountingAllocator<std::pair<K, V>>>,
    adapters::TslRobinTraits>;

}  // namespace rehashlab
