// full_rehash: the stop-the-world baseline. Go's bucket layout and growth
// triggers (maps/bucket_layout.h; Go 1.19 mapassign's overLoadFactor and
// tooManyOverflowBuckets), but a grow moves every entry before the triggering
// insert returns, as std::unordered_map, Abseil and Boost do. Compared with
// go_incremental it isolates the growth strategy.
//
// Growth: copy every entry into the new array (2^(B+1) buckets, or 2^B for a
// same-size rebuild), then destroy the old entries and free the old array. Copy
// then commit makes a grow all or nothing: if an allocation fails half-way the new
// array is discarded and the map is as before.
//
// Invariants (check_invariants): never migrating; one array; every chain keeps
// buckets::check_chain; size() equals the live slots; overflow_in_use equals the
// linked overflow buckets.
//
// Deliberate differences from Go: no incremental evacuation (the point); no
// shrinking (Go never shrinks either); exact overflow count; memory through the
// MemoryCounter, the new array from AllocMode (fresh pages by default).
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
    probe.found.bucket->destroy_slot(probe.found.index);
    buckets::erase_slot(buckets::OverflowLink{}, head, probe.found.bucket, probe.found.index);
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

  template <class F>
  void for_each_counter(F&& f) const {
    f("doubling_grows", doubling_grows_);                            // grows that doubled the array
    f("same_size_grows", counters_.grows_started - doubling_grows_);  // rebuilt at the same size
    f("log2_buckets", array_ ? array_.log2_buckets() : 0);           // B
    f("overflow_in_use", array_.overflow_in_use());                  // Go's noverflow, exact
    f("overflow_preallocated", array_.overflow_preallocated());      // allocated with the array
  }

  void maintenance(std::chrono::nanoseconds) {}  // no idle-time work

  void check_invariants() const {
    require_invariant(!counters_.migrating, "full_rehash is never mid-migration");
    require_invariant(counters_.grows_started == counters_.migrations_completed, "a grow did not complete");
    if (!array_) {
      require_invariant(count_ == 0, "entries without an array");
      return;
    }
    require_invariant(buckets::check_array(buckets::OverflowLink{}, array_, buckets::key_hash(hash_)).live == count_,
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
