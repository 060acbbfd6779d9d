// go_incremental: Go's classic runtime map (Go 1.19, runtime/map.go: hmap, bmap,
// mapassign, mapaccess, mapdelete, mapclear), on the bucket layout it shares with
// full_rehash (maps/bucket_layout.h) and the growth schedule it shares with
// overflow_slab (maps/go_growth.h: hashGrow, growWork, advanceEvacuationMark, the
// per-write bound: an insert evacuates at most 4 old buckets, an erase 2).
//
// Evacuation (Go's evacuate; the mover is buckets::relocate_chain<kMove>): old
// bucket i sends each entry to new bucket i (X) or i + 2^oldB (Y) by the hash bit
// the doubling adds (X only at the same size), marks every slot of the old chain
// evacuated, and frees the chain's individually allocated overflow buckets (Go
// leaves them to its GC). Finds read the key's old chain until it is evacuated;
// writes evacuate it first and then act on the new array only.
//
// hash0. The map hashes with a copy of the run's SeededHash whose seed is
// derive_seed(run seed, instance, epoch): `instance` numbers maps in construction
// order, `epoch` counts re-seeds. Go re-seeds when a delete empties the map and in
// mapclear (golang/go#25237); so does this map (safe: an empty map has no entry
// whose place depends on the seed). restart_go_incremental_instance_numbering()
// restarts the numbering (the fuzzer, per input). A hasher without a `seed` member
// is used as given.
//
// Invariants (check_invariants): go_growth's (schedule, old array, per-write
// bound); the current array's chains keep buckets::check_chain; size() equals the
// live slots of both arrays; each array's overflow count equals its linked
// overflow buckets.
//
// Memory: AllocMode::kFresh (default, rehashlab's intervention, neither Go's nor
// anything Go can do) maps the new array as fresh zero pages and returns the old
// one in chunks of at most 128 KiB per write, batched by 64 KiB, retiring it after
// completion. kSystem (calloc, one free when the grow completes) is the closest a
// C++ map comes to Go's allocation; Go's own cost, clearing the GC's heap bitmap
// for the new array, has no C++ counterpart. kNaive memsets the new array.
//
// Deliberate differences from Go: no GC (above); no concurrent-write detection or
// iterator flags (one thread, for_each does not interleave with writes); exact
// overflow count (go_growth.h); no key/elem indirection for keys or values over 128
// bytes; no NaN keys; mapclear zeroes the array in place; on std::bad_alloc the
// mover reserves every destination slot first, so a failed evacuation leaves its
// old bucket unevacuated and the map keeps every entry (Go throws a fatal error).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "maps/bucket_layout.h"
#include "maps/go_growth.h"
#include "maps/map_api.h"

namespace rehashlab {

namespace go_incremental_detail {
// The per-instance part of hash0: maps are numbered in construction order.
inline std::atomic<std::uint64_t>& instances_constructed() {
  static std::atomic<std::uint64_t> constructed{0};
  return constructed;
}
inline std::uint64_t next_instance_number() {
  return instances_constructed().fetch_add(1, std::memory_order_relaxed) + 1;
}
}  // namespace go_incremental_detail

// Restarts the numbering, so that the maps built after it get the same hash0 as in
// a fresh process (the fuzzer calls it per input: a crash then reproduces alone).
inline void restart_go_incremental_instance_numbering() {
  go_incremental_detail::instances_constructed().store(0, std::memory_order_relaxed);
}

template <class K, class V, class Hash = SeededHash<K>>
class GoIncrementalMap {
  using Array = buckets::BucketArray<K, V>;
  using BucketT = buckets::Bucket<K, V>;
  static constexpr bool kReseedable = requires(Hash& h) { h.seed = std::uint64_t{}; };
  static constexpr go_growth::Release kRelease{.batch_bytes = std::size_t{64} << 10,
                                               .per_write_bytes = std::size_t{128} << 10,
                                               .retire = true};

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = "go_incremental";
  static constexpr bool kInHouse = true;
  static constexpr std::size_t kReleaseBytesPerWrite = kRelease.per_write_bytes;

  GoIncrementalMap(const Hash& hash, MemoryCounter& mem, AllocMode mode = AllocMode::kFresh)
      : hash_(hash), run_seed_(seed_of(hash)), instance_(go_incremental_detail::next_instance_number()),
        growth_(mem, mode) {
    if constexpr (kReseedable) hash_.seed = derive_seed(run_seed_, instance_, 0);
  }
  GoIncrementalMap(const GoIncrementalMap&) = delete;
  GoIncrementalMap& operator=(const GoIncrementalMap&) = delete;
  ~GoIncrementalMap() { destroy_entries(); }

  // hash0 of instance `instance` after `epoch` re-seeds.
  static constexpr std::uint64_t derive_seed(std::uint64_t run_seed, std::uint64_t instance, std::uint64_t epoch) {
    return mix64(run_seed ^ mix64(instance * 0x9e3779b97f4a7c15ULL + epoch));
  }

  bool insert_or_assign(const K& key, const V& value) {
    growth_.begin_write();
    growth_.ensure_array();
    const std::uint64_t h = hash_(key);
    const std::uint8_t top = buckets::tophash_of(h);
    Layout layout{this};
    for (;;) {
      Array& array = growth_.current();
      growth_.grow_work(layout, h & array.mask());
      BucketT* head = array.bucket(h & array.mask());
      const auto probe = buckets::probe_chain<true>(head, top, key);
      if (probe.found) {
        probe.found.value() = value;
        return false;
      }
      if (growth_.grow_if_needed(layout, count_)) continue;  // Go: "goto again"
      auto writer = probe.first_free
                        ? buckets::ChainWriter<K, V>(array, probe.first_free.bucket, probe.first_free.index)
                        : buckets::ChainWriter<K, V>(array, probe.tail, buckets::kSlots);
      writer.emplace(top, key, value);
      ++count_;
      return true;
    }
  }

  const V* find(const K& key) {
    if (count_ == 0) return nullptr;
    const std::uint64_t h = hash_(key);
    const auto probe = buckets::probe_chain<false>(growth_.chain_of(h), buckets::tophash_of(h), key);
    return probe.found ? &probe.found.value() : nullptr;
  }

  bool erase(const K& key) {
    growth_.begin_write();
    if (count_ == 0) return false;  // Go's mapdelete returns before growWork here
    const std::uint64_t h = hash_(key);
    Layout layout{this};
    const std::size_t index = h & growth_.current().mask();
    growth_.grow_work(layout, index);
    BucketT* head = growth_.current().bucket(index);
    const auto probe = buckets::probe_chain<false>(head, buckets::tophash_of(h), key);
    if (!probe.found) return false;
    probe.found.bucket->destroy_slot(probe.found.index);
    buckets::erase_slot(buckets::OverflowLink{}, head, probe.found.bucket, probe.found.index);
    if (--count_ == 0) reseed();  // Go: fresh hash0 whenever the map becomes empty
    return true;
  }

  std::size_t size() const { return count_; }

  // Go's mapclear: drops every entry and the old array, keeps B, re-seeds.
  void clear() {
    destroy_entries();
    growth_.drop_old();
    growth_.current().make_empty();
    count_ = 0;
    reseed();
  }

  template <class F>
  void for_each(F&& f) const {
    growth_.for_each_chain([&](const BucketT* head) { buckets::for_each_in_chain(head, f); });
  }

  ResizeCounters resize_counters() const { return growth_.resize_counters(); }

  // go_growth's counters, then the layout's (Go's noverflow and preallocation) and hash0's.
  template <class F>
  void for_each_counter(F&& f) const {
    growth_.for_each_counter(f);
    const Array& array = growth_.current();
    f("overflow_in_use", array.overflow_in_use());              // overflow buckets linked into the current array
    f("overflow_preallocated", array.overflow_preallocated());  // allocated with it: 2^(B-4)
    f("overflow_prealloc_left", array.overflow_prealloc_left());
    f("hash_reseeds", epoch_);
  }

  void maintenance(std::chrono::nanoseconds) {}  // Go does all growth work on writes

  void check_invariants() const {
    const Array& array = growth_.current();
    if (!array) {
      require_invariant(count_ == 0 && !growth_.old(), "entries or an old array without a current array");
      return;
    }
    const auto hash_of = buckets::key_hash(hash_);
    std::size_t live = growth_.check_invariants(
        buckets::OverflowLink{}, [&](const BucketT* head, std::size_t i, std::size_t mask) {
          return buckets::check_chain(buckets::OverflowLink{}, head, i, mask, hash_of, buckets::NoVisit{});
        });
    live += buckets::check_array(buckets::OverflowLink{}, array, hash_of).live;
    require_invariant(live == count_, "size() differs from the number of live slots");
  }

  // For tests.
  bool growing() const { return growth_.growing(); }
  std::size_t nevacuate() const { return growth_.nevacuate(); }
  std::uint64_t hash_seed() const {
    if constexpr (kReseedable) return hash_.seed;
    return 0;
  }
  std::size_t old_array_bytes_held() const { return growth_.old_bytes_held(); }
  AllocMode alloc_mode() const { return growth_.alloc_mode(); }

 private:
  // The layout half of Go's evacuate, for go_growth.
  struct Layout {
    GoIncrementalMap* map;
    static constexpr std::size_t kPayloadBytesPerEntry = sizeof(K) + sizeof(V);
    static constexpr std::size_t kIndexBytesPerEntry = 1;  // the tophash byte
    std::size_t relocate(Array& old, std::size_t i, Array& dst) const {
      BucketT* head = old.bucket(i);
      const std::size_t moved =
          buckets::relocate_chain<buckets::Relocate::kMove>(head, i, old.log2_buckets(), dst, map->hash_);
      old.free_overflow_chain(head);
      return moved;
    }
    void debug_check() const { REHASHLAB_DEBUG_CHECK(*map); }
  };

  static std::uint64_t seed_of(const Hash& hash) {
    if constexpr (kReseedable) return hash.seed;
    return 0;
  }

  void reseed() {
    ++epoch_;
    if constexpr (kReseedable) hash_.seed = derive_seed(run_seed_, instance_, epoch_);
  }

  void destroy_entries() {
    growth_.for_each_chain([](BucketT* head) {
      buckets::for_each_live(buckets::OverflowLink{}, head, [](BucketT* b, std::size_t i) { b->destroy_slot(i); });
    });
  }

  Hash hash_;               // the run's hasher, re-seeded with this map's hash0
  std::uint64_t run_seed_;  // the run's seed, for derive_seed
  std::uint64_t instance_;  // construction number, for derive_seed
  std::uint64_t epoch_ = 0;  // re-seeds so far
  go_growth::Schedule<Array, kRelease> growth_;
  std::size_t count_ = 0;   // live entries
};

}  // namespace rehashlab
