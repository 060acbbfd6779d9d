// full_rehash: the stop-the-world baseline.
//
// Same table as go_incremental (maps/bucket_layout.h: Go's 8-slot buckets with
// tophash bytes, overflow chains, load factor 6.5, 2^(B-4) preallocated overflow
// buckets) and the same growth triggers (Go's hashGrow conditions), but a grow
// moves every entry before the triggering insert returns, as std::unordered_map,
// Abseil and Boost do. Comparing it with go_incremental therefore isolates the
// growth strategy: the one insert that crosses 6.5 * 2^B pays for copying the
// whole table.
//
// Growth (both checked only when inserting a new key, as Go's mapassign):
//  * count + 1 > 8 and count + 1 > 6.5 * 2^B       -> double: B + 1
//  * overflow buckets in use >= 2^B (Go's 2^min(B,15) on its sampled counter, see
//    buckets::too_many_overflow_buckets) -> same-size rebuild (compacts
//    the chains that insert/erase churn leaves behind; otherwise they only grow)
// A grow allocates the new array, copies every entry into it (an entry goes to
// bucket hash & (2^B' - 1)), and only then destroys the old entries and frees the
// old array. Copy-then-commit makes a grow all-or-nothing: if an allocation fails
// half-way, the new array is discarded and the map is exactly as before.
//
// Invariants (check_invariants):
//  * never migrating: exactly one bucket array exists between operations;
//  * every live entry is in the chain of bucket hash & (2^B - 1) with its tophash;
//  * chains hold kEmptyRest only at their end; no evacuation markers;
//  * size() equals the number of live slots; overflow_in_use equals the number
//    of overflow buckets linked into chains.
// Deliberate differences from Go: no shrinking (Go never shrinks either); the
// overflow count is exact (so the same-size threshold is 2^B, which is what Go's
// sampled count amounts to); memory comes from the harness's counting allocator;
// the new array is fresh zero pages by default (AllocMode: calloc or memset).
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "maps/bucket_layout.h"
#include "maps/map_api.h"

namespace rehashlab {

template <class K, class V, class Hash = SeededHash<K>>
class FullRehashMap {
  using Array = buckets::BucketArray<K, V>;
  using BucketT = buckets::Bucket<K, V>;

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = "full_rehash";
  static constexpr bool kInHouse = true;

  FullRehashMap(const Hash& hash, MemoryCounter& mem, AllocMode fill = AllocMode::kFresh)
      : hash_(hash), mem_(&mem), fill_(fill) {}
  FullRehashMap(const FullRehashMap&) = delete;
  FullRehashMap& operator=(const FullRehashMap&) = delete;
  ~FullRehashMap() { array_.destroy_entries(); }

  bool insert_or_assign(const K& key, const V& value) {
    const std::uint64_t h = hash_(key);
    const std::uint8_t top = buckets::tophash_of(h);
    if (!array_) array_ = Array(*mem_, 0, fill_);
    for (;;) {
      const auto probe = buckets::probe_chain<true>(array_.bucket(h & array_.mask()), top, key);
      if (probe.found) {
        probe.found.value() = value;
        return false;
      }
      if (buckets::over_load_factor(count_ + 1, array_.log2_buckets())) {
        grow(array_.log2_buckets() + 1);
        continue;  // Go: "goto again" -- the key's chain moved
      }
      if (buckets::too_many_overflow_buckets(array_.overflow_in_use(), array_.log2_buckets())) {
        grow(array_.log2_buckets());
        continue;
      }
      auto writer = probe.first_free ? buckets::ChainWriter<K, V>(array_, probe.first_free.bucket,
                                                                  probe.first_free.index)
                                     : buckets::ChainWriter<K, V>(array_, probe.tail, buckets::kSlots);
      writer.emplace(top, key, value);
      ++count_;
      return true;
    }
  }

  const V* find(const K& key) {
    if (!array_) return nullptr;
    const std::uint64_t h = hash_(key);
    const auto probe = buckets::probe_chain<false>(array_.bucket(h & array_.mask()), buckets::tophash_of(h), key);
    return probe.found ? &probe.found.value() : nullptr;
  }

  bool erase(const K& key) {
    if (!array_) return false;
    const std::uint64_t h = hash_(key);
    BucketT* head = array_.bucket(h & array_.mask());
    const auto probe = buckets::probe_chain<false>(head, buckets::tophash_of(h), key);
    if (!probe.found) return false;
    buckets::erase_slot(head, probe.found);
    --count_;
    return true;
  }

  std::size_t size() const { return count_; }

  void clear() {
    array_.destroy_entries();
    array_ = Array();
    count_ = 0;
  }

  template <class F>
  void for_each(F&& f) const {
    if (!array_) return;
    for (std::size_t i = 0; i < array_.bucket_count(); ++i) buckets::for_each_in_chain(array_.bucket(i), f);
  }

  ResizeCounters resize_counters() const { return counters_; }

  // Map-specific counters:
  //  doubling_grows    grows that doubled the array
  //  same_size_grows   grows that rebuilt the chains at the same size
  //  log2_buckets      current B
  //  overflow_in_use   overflow buckets linked into chains (Go's noverflow, exact)
  //  overflow_preallocated  overflow buckets allocated with the current array
  template <class F>
  void for_each_counter(F&& f) const {
    f("doubling_grows", doubling_grows_);
    f("same_size_grows", counters_.grows_started - doubling_grows_);
    f("log2_buckets", array_ ? array_.log2_buckets() : 0);
    f("overflow_in_use", array_.overflow_in_use());
    f("overflow_preallocated", array_.overflow_preallocated());
  }

  void maintenance(std::chrono::nanoseconds) {}  // no idle-time work

  void check_invariants() const {
    require_invariant(!counters_.migrating, "full_rehash is never mid-migration");
    require_invariant(counters_.grows_started == counters_.migrations_completed, "a grow did not complete");
    if (!array_) {
      require_invariant(count_ == 0, "entries without an array");
      return;
    }
    require_invariant(buckets::check_array(array_, hash_).live == count_,
                      "size() differs from the number of live slots");
  }

  // For tests of the allocation mode.
  AllocMode alloc_mode() const { return fill_; }

 private:
  // Copies every entry into a new array of 2^log2_buckets buckets, then frees the
  // old one. Throws std::bad_alloc with the map unchanged.
  void grow(std::uint8_t log2_buckets) {
    Array fresh(*mem_, log2_buckets, fill_);  // may throw: nothing counted yet
    ++counters_.grows_started;
    if (log2_buckets > array_.log2_buckets()) ++doubling_grows_;
    try {
      for (std::size_t i = 0; i < array_.bucket_count(); ++i) {
        buckets::relocate_chain<buckets::Relocate::kCopy>(array_.bucket(i), i, array_.log2_buckets(), fresh,
                                                           hash_);
      }
    } catch (...) {
      fresh.destroy_entries();
      --counters_.grows_started;
      if (log2_buckets > array_.log2_buckets()) --doubling_grows_;
      throw;
    }
    array_.destroy_entries();
    array_ = std::move(fresh);
    counters_.entries_moved += count_;
    counters_.payload_bytes_moved += count_ * (sizeof(K) + sizeof(V));
    counters_.index_bytes_moved += count_;  // one tophash byte per entry
    ++counters_.migrations_completed;
    ++counters_.old_arrays_freed;
  }

  Hash hash_;
  MemoryCounter* mem_;
  AllocMode fill_;
  Array array_;             // the only bucket array; empty until the first insert
  std::size_t count_ = 0;   // live entries
  std::uint64_t doubling_grows_ = 0;
  ResizeCounters counters_;
};

}  // namespace rehashlab
