// go_incremental: the growth mechanism of Go's classic runtime map
// (runtime/map.go, hmap/bmap, as it was up to Go 1.23), on the bucket layout that
// full_rehash shares (maps/bucket_layout.h: 8-slot buckets with tophash bytes,
// keys then values then an overflow link, load factor 6.5, 2^(B-4) preallocated
// overflow buckets handed out first).
//
// Growth trigger (Go's mapassign -> hashGrow). Checked only when inserting a key
// that is not present, and only when no grow is in progress:
//  * count + 1 > 8 and count + 1 > 6.5 * 2^B        -> doubling grow (B + 1);
//  * else overflow buckets in use >= 2^B (Go's 2^min(B, 15) on its sampled
//    counter; see buckets::too_many_overflow_buckets) -> same-size grow (B), which
//    rebuilds the chains compactly; it is what reclaims space churned by
//    insert/erase, since erase never unlinks an overflow bucket.
// Starting a grow (hash_grow) allocates the new array, keeps the current one as the
// old array (Go's oldbuckets), sets nevacuate = 0 and moves nothing. Then, as in Go's
// mapassign ("goto again"), the triggering insert proceeds as a write during growth.
//
// Step size (Go's growWork). Every insert_or_assign and every erase of a non-empty
// map, while growing, first evacuates the old bucket its key maps to (if that is
// not done yet) and then old bucket `nevacuate`: at most 2 old chains per write,
// each with its whole overflow chain. Finds do no migration work.
//
// Evacuation (Go's evacuate; the mover is buckets::relocate_chain<kMove>). Old bucket
// i sends each entry to new bucket i (X) or i + 2^oldB (Y) by the hash bit the
// doubling adds; a same-size grow uses X only. Every slot of the old chain gets a
// marker (kEvacuatedX / kEvacuatedY / kEvacuatedEmpty), so the head's first tophash
// byte tells readers the bucket is done (Go's evacuated(b)). Right after, the old
// chain's overflow buckets are unlinked and the individually allocated ones freed
// (BucketArray::free_overflow_chain on the OLD array): Go leaves them to the GC;
// here it keeps the final release of the old array O(1) per operation.
// When the evacuated bucket is bucket `nevacuate`, nevacuate advances past it and
// then past already-evacuated buckets, scanning at most kEvacuationScanBound = 1024
// buckets (Go's advanceEvacuationMark bound, kept as is). When nevacuate reaches
// 2^oldB the migration is complete: nothing reads the old array any more.
//
// Where reads and writes go mid-migration:
//  * find: the key's old bucket j = hash & (2^oldB - 1) if j >= nevacuate and the
//    bucket is not marked evacuated (Go's mapaccess), else the new array. An index
//    below nevacuate counts as evacuated WITHOUT reading the bucket, because its
//    page may already be unmapped (below). The same rule holds for evacuate(),
//    for_each(), clear() and the destructor.
//  * insert/erase: after growWork the key's old bucket is evacuated, so they act
//    on the new array only.
//  * for_each: unevacuated old chains (index >= nevacuate, not marked), then the
//    new array.
//
// Invariants (check_invariants):
//  * a grow in progress has an old array of 2^(B-1) buckets (doubling) or 2^B
//    (same-size) and 0 <= nevacuate <= 2^oldB; grows_started equals
//    migrations_completed plus one while growing;
//  * every old bucket below nevacuate is evacuated: if its page is still mapped,
//    every head slot holds an evacuation marker and it links no overflow bucket;
//    released pages only ever cover buckets below nevacuate;
//  * an evacuated old chain holds no live entry; an unevacuated one keeps the
//    classic chain invariants for the old mask (buckets::check_chain), and its
//    destination buckets in the new array (X, and Y when doubling) hold no live
//    entry. So a key is in exactly one place: its unevacuated old chain, or the
//    new chain of hash & (2^B - 1);
//  * new-array chains keep buckets::check_chain (right chain, tophash matches,
//    kEmptyRest only trailing, no markers);
//  * size() equals the live slots of both arrays; each array's overflow_in_use
//    equals the overflow buckets linked into its (readable) chains; a retired
//    old array links none;
//  * the last write evacuated at most 2 old buckets.
//
// Residual spikes (the point: spreading the moves is not enough).
//  * New array: with AllocMode::kFresh (default) it comes from fresh anonymous
//    pages (mmap), so no O(n) zero-fill runs on the write that starts the grow; pages
//    fault in one at a time as evacuation and inserts first touch them.
//  * Old array: as nevacuate advances, writes return the pages wholly below
//    bucket nevacuate to the OS (ZeroedArray::release_prefix), batched: a write
//    releases once at least kReleaseBatchBytes = 64 KiB are releasable, and at most
//    kReleaseBytesPerWrite = 128 KiB (32 pages) per write. After the migration
//    completes the old array is "retired": later writes keep returning its rest
//    (the preallocated overflow tail, partial pages) in the same bounded chunks,
//    and the final reset happens once at most 128 KiB remain (counted as
//    old_arrays_freed). Arrays under 128 KiB are freed at once. Each grow
//    evacuates at most 2 buckets per write, so writes during a migration number at
//    least 2^oldB / 2, which is far more than the chunks needed; if a new grow
//    nevertheless starts while an array is still retiring, that rest is freed at
//    once (counter forced_old_array_frees).
//  * AllocMode::kSystem / kNaive (constructor switch, as FullRehashMap): calloc
//    (kSystem) or operator new + memset (kNaive) of the whole new array when the
//    grow starts, and the whole old array freed (a walk over its buckets plus one
//    free) on the write that completes the migration.
//
// hash0. The map hashes with a copy of the run's SeededHash whose seed is
//   derive_seed(run_seed, instance, epoch) = mix64(run_seed ^ mix64(instance * phi + epoch))
// where `instance` is this map's number in the process's construction order
// (1, 2, ...) and `epoch` counts re-seeds. Go re-seeds hash0 when a delete empties
// the map and in mapclear (golang/go#25237); this map does the same by bumping
// `epoch` (safe: an empty map, even mid-grow, has no entry whose place depends on the
// old seed). Everything is a function of the run seed and the order of construction,
// so runs are reproducible (restart_go_incremental_instance_numbering() restarts the
// numbering, for the fuzzer). A hasher without a `seed` member is used as given.
//
// Deliberate differences from Go:
//  * no garbage collector: evacuated overflow buckets are freed at evacuation, the
//    old array in bounded chunks (above); all memory goes through the harness's
//    MemoryCounter;
//  * no concurrent-write detection (hashWriting flag) and no iterator flags: one
//    thread, and for_each does not interleave with writes;
//  * the overflow count is exact (Go samples it once B >= 16), so the same-size
//    threshold is written as the 2^B that Go's sampled test amounts to;
//  * no key/elem indirection for large keys or values (Go stores pointers above
//    128 bytes); no NaN-key special case (keys here equal themselves);
//  * mapclear keeps B as in Go, but zeroes the array in place (make_empty);
//  * on std::bad_alloc the map keeps every entry (map_api.h): the mover reserves all
//    destination slots before moving, so a failed evacuation leaves its old bucket
//    unevacuated (Go would throw a fatal error instead).
//
// Map-specific counters (for_each_counter):
//  doubling_grows          grows that doubled the array
//  same_size_grows         grows that rebuilt the chains at the same size
//  buckets_evacuated       old buckets evacuated, all grows together
//  log2_buckets            B of the current (new) array
//  growing                 1 while a migration is in progress
//  old_log2_buckets        B of the old array while growing, else 0
//  nevacuate               evacuation mark while growing, else 0
//  overflow_in_use         overflow buckets linked into the current array (Go's noverflow)
//  overflow_preallocated   overflow buckets allocated with the current array (2^(B-4))
//  overflow_prealloc_left  of those, not yet handed out
//  old_overflow_in_use     overflow buckets still linked into unevacuated old chains
//  old_array_bytes_held    bytes of the old array (buckets + preallocated overflow)
//                          not yet returned, while growing or retiring
//  forced_old_array_frees  retiring arrays freed at once because a new grow started
//  hash_reseeds            times hash0 was re-derived (map emptied by erase, clear)
// ResizeCounters: entries_moved / payload_bytes_moved count each evacuated entry and
// its key+value bytes; index_bytes_moved one tophash byte per moved entry (as
// full_rehash); migrations_completed counts a grow when nevacuate reaches 2^oldB
// (or clear() abandons it); old_arrays_freed when its last byte went back.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>

#include "maps/bucket_layout.h"
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
namespace go_incremental_detail {
}  // namespace go_incremental_detail

template <class K, class V, class Hash = SeededHash<K>>
class GoIncrementalMap {
  using Array = buckets::BucketArray<K, V>;
  using BucketT = buckets::Bucket<K, V>;
  static constexpr bool kReseedable = requires(Hash& h) { h.seed = std::uint64_t{}; };

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = "go_incremental";
  static constexpr bool kInHouse = true;

  // Go's growWork: old buckets evacuated per write, at most.
  static constexpr std::size_t kMaxEvacuationsPerWrite = 2;
  // Go's advanceEvacuationMark: buckets scanned past nevacuate, at most.
  static constexpr std::size_t kEvacuationScanBound = 1024;
  // Old-array bytes returned to the OS per write, at most (kFreshPages) ...
  static constexpr std::size_t kReleaseBytesPerWrite = std::size_t{128} << 10;
  // ... and at least, once that much is releasable: one munmap per 16 pages
  // rather than per page keeps the syscalls (and TLB shootdowns) few.
  static constexpr std::size_t kReleaseBatchBytes = std::size_t{64} << 10;

  GoIncrementalMap(const Hash& hash, MemoryCounter& mem, AllocMode fill = AllocMode::kFresh)
      : hash_(hash),
        run_seed_(seed_of(hash)),
        instance_(go_incremental_detail::next_instance_number()),
        mem_(&mem),
        fill_(fill) {
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
    last_write_evacuated_ = 0;
    if (!array_) array_ = Array(*mem_, 0, fill_);  // Go allocates the first bucket lazily too
    const std::uint64_t h = hash_(key);
    const std::uint8_t top = buckets::tophash_of(h);
    for (;;) {
      const std::size_t index = h & array_.mask();
      write_prologue(index);
      BucketT* head = array_.bucket(index);
      const auto probe = buckets::probe_chain<true>(head, top, key);
      if (probe.found) {
        probe.found.value() = value;
        return false;
      }
      const std::uint8_t b = array_.log2_buckets();
      if (!growing() && (buckets::over_load_factor(count_ + 1, b) ||
                         buckets::too_many_overflow_buckets(array_.overflow_in_use(), b))) {
        hash_grow();
        continue;  // Go: "goto again" -- growing invalidates the chain; growWork now runs
      }
      auto writer = probe.first_free
                        ? buckets::ChainWriter<K, V>(array_, probe.first_free.bucket, probe.first_free.index)
                        : buckets::ChainWriter<K, V>(array_, probe.tail, buckets::kSlots);
      writer.emplace(top, key, value);
      ++count_;
      return true;
    }
  }

  const V* find(const K& key) {
    if (count_ == 0) return nullptr;
    const std::uint64_t h = hash_(key);
    BucketT* head = array_.bucket(h & array_.mask());
    if (growing()) {
      const std::size_t old_index = h & old_.mask();
      if (old_index >= nevacuate_ && !old_.bucket(old_index)->evacuated()) head = old_.bucket(old_index);
    }
    const auto probe = buckets::probe_chain<false>(head, buckets::tophash_of(h), key);
    return probe.found ? &probe.found.value() : nullptr;
  }

  bool erase(const K& key) {
    last_write_evacuated_ = 0;
    if (count_ == 0) return false;  // Go's mapdelete returns before growWork here
    const std::uint64_t h = hash_(key);
    const std::size_t index = h & array_.mask();
    write_prologue(index);
    BucketT* head = array_.bucket(index);
    const auto probe = buckets::probe_chain<false>(head, buckets::tophash_of(h), key);
    if (!probe.found) return false;
    buckets::erase_slot(head, probe.found);
    if (--count_ == 0) reseed();  // Go: fresh hash0 whenever the map becomes empty
    return true;
  }

  std::size_t size() const { return count_; }

  // Go's mapclear: drops every entry and the old array, keeps B, re-seeds.
  void clear() {
    destroy_entries();
    if (growing()) ++counters_.migrations_completed;  // abandoned: nothing reads it any more
    if (old_) free_old_array();
    array_.make_empty();
    count_ = 0;
    nevacuate_ = 0;
    same_size_grow_ = false;
    reseed();
  }

  template <class F>
  void for_each(F&& f) const {
    if (growing()) {
      for (std::size_t i = nevacuate_; i < old_.bucket_count(); ++i) {
        const BucketT* head = old_.bucket(i);
        if (!head->evacuated()) buckets::for_each_in_chain(head, f);
      }
    }
    if (!array_) return;
    for (std::size_t i = 0; i < array_.bucket_count(); ++i) buckets::for_each_in_chain(array_.bucket(i), f);
  }

  ResizeCounters resize_counters() const {
    ResizeCounters c = counters_;
    c.migrating = growing();
    return c;
  }

  template <class F>
  void for_each_counter(F&& f) const {
    f("doubling_grows", doubling_grows_);
    f("same_size_grows", counters_.grows_started - doubling_grows_);
    f("buckets_evacuated", buckets_evacuated_);
    f("log2_buckets", array_ ? array_.log2_buckets() : 0);
    f("growing", growing() ? 1 : 0);
    f("old_log2_buckets", growing() ? old_.log2_buckets() : 0);
    f("nevacuate", growing() ? nevacuate_ : 0);
    f("overflow_in_use", array_.overflow_in_use());
    f("overflow_preallocated", array_.overflow_preallocated());
    f("overflow_prealloc_left", array_.overflow_prealloc_left());
    f("old_overflow_in_use", old_.overflow_in_use());
    f("old_array_bytes_held", old_array_bytes_held());
    f("forced_old_array_frees", forced_old_array_frees_);
    f("hash_reseeds", epoch_);
  }

  void maintenance(std::chrono::nanoseconds) {}  // Go does all growth work on writes

  void check_invariants() const {
    require_invariant(last_write_evacuated_ <= kMaxEvacuationsPerWrite, "a write evacuated more than 2 old buckets");
    require_invariant(counters_.grows_started == counters_.migrations_completed + (growing() ? 1 : 0),
                      "grows started != migrations completed (+1 while growing)");
    if (!array_) {
      require_invariant(count_ == 0 && !old_, "entries or an old array without a current array");
      return;
    }
    std::size_t live = buckets::check_array(array_, hash_).live;
    if (old_) live += check_old_array();
    require_invariant(live == count_, "size() differs from the number of live slots");
  }

  // --- Test-only observability -------------------------------------------------
  bool growing() const { return old_ && nevacuate_ < old_.bucket_count(); }
  std::size_t nevacuate() const { return nevacuate_; }
  // Old buckets evacuated by the most recent insert_or_assign/erase.
  std::size_t last_write_evacuated() const { return last_write_evacuated_; }
  std::uint64_t hash_seed() const {
    if constexpr (kReseedable) return hash_.seed;
    return 0;
  }
  std::size_t old_array_bytes_held() const {
    return old_ ? old_.bytes() - old_.released_bytes() : 0;
  }
  AllocMode alloc_mode() const { return fill_; }

 private:
  static std::uint64_t seed_of(const Hash& hash) {
    if constexpr (kReseedable) return hash.seed;
    return 0;
  }

  void reseed() {
    ++epoch_;
    if constexpr (kReseedable) hash_.seed = derive_seed(run_seed_, instance_, epoch_);
  }

  // What every write does first: Go's growWork while growing, then one bounded
  // step of returning the old array's memory.
  void write_prologue(std::size_t new_index) {
    if (!old_) return;
    if (growing()) {
      evacuate(new_index & old_.mask());
      if (growing()) evacuate(nevacuate_);
    }
    release_old_step();
  }

  // Go's hashGrow.
  void hash_grow() {
    const std::uint8_t b = array_.log2_buckets();
    const bool doubling = buckets::over_load_factor(count_ + 1, b);
    if (old_) {  // still retiring: its rest goes at once (see the essay)
      free_old_array();
      ++forced_old_array_frees_;
    }
    Array fresh(*mem_, static_cast<std::uint8_t>(b + (doubling ? 1 : 0)), fill_);  // may throw: nothing changed
    old_ = std::move(array_);
    array_ = std::move(fresh);
    nevacuate_ = 0;
    same_size_grow_ = !doubling;
    ++counters_.grows_started;
    if (doubling) ++doubling_grows_;
    REHASHLAB_DEBUG_CHECK(*this);  // debug builds: at each grow start and completion, not per op
  }

  // Go's evacuate. Buckets below nevacuate are done and possibly unmapped: not read.
  void evacuate(std::size_t old_index) {
    if (old_index >= nevacuate_) {
      BucketT* head = old_.bucket(old_index);
      if (!head->evacuated()) {
        const std::size_t moved = buckets::relocate_chain<buckets::Relocate::kMove>(
            head, old_index, old_.log2_buckets(), array_, hash_);  // throws before moving anything
        old_.free_overflow_chain(head);
        ++last_write_evacuated_;
        ++buckets_evacuated_;
        counters_.entries_moved += moved;
        counters_.payload_bytes_moved += moved * (sizeof(K) + sizeof(V));
        counters_.index_bytes_moved += moved;
      }
    }
    if (old_index == nevacuate_) advance_evacuation_mark();
  }

  // Go's advanceEvacuationMark, with its bound.
  void advance_evacuation_mark() {
    const std::size_t old_count = old_.bucket_count();
    ++nevacuate_;
    const std::size_t stop = std::min(nevacuate_ + kEvacuationScanBound, old_count);
    while (nevacuate_ != stop && old_.bucket(nevacuate_)->evacuated()) ++nevacuate_;
    if (nevacuate_ == old_count) {  // the single completion check
      ++counters_.migrations_completed;
      same_size_grow_ = false;
      if (fill_ != AllocMode::kFresh) free_old_array();  // system/naive: all at once, now
      REHASHLAB_DEBUG_CHECK(*this);
    }
  }

  // Returns at most kReleaseBytesPerWrite of the old array: while growing, pages
  // wholly below bucket nevacuate; once retired, the rest, freeing it when little is left.
  void release_old_step() {
    if (!old_ || fill_ != AllocMode::kFresh) return;
    ZeroedArray& storage = old_.storage();
    if (growing()) {
      const std::size_t releasable = nevacuate_ * sizeof(BucketT);
      if (releasable >= storage.released_bytes() + kReleaseBatchBytes) {
        storage.release_prefix(releasable, kReleaseBytesPerWrite);
      }
    } else if (storage.size_bytes() - storage.released_bytes() <= kReleaseBytesPerWrite) {
      free_old_array();
    } else {
      storage.release_prefix(storage.size_bytes(), kReleaseBytesPerWrite);
    }
  }

  void free_old_array() {
    old_ = Array();
    ++counters_.old_arrays_freed;
  }

  // Destroys the live entries of both arrays (not reading old buckets below nevacuate).
  void destroy_entries() {
    array_.destroy_entries();
    if (!growing()) return;
    for (std::size_t i = nevacuate_; i < old_.bucket_count(); ++i) {
      for (BucketT* b = old_.bucket(i); b != nullptr; b = b->overflow) {
        for (std::size_t s = 0; s < buckets::kSlots; ++s) {
          if (buckets::is_live(b->tophash[s])) b->destroy_slot(s);
        }
      }
    }
  }

  // The old-array half of check_invariants(); returns its live entries.
  std::size_t check_old_array() const {
    const std::size_t old_count = old_.bucket_count();
    const bool grow = growing();
    require_invariant(nevacuate_ <= old_count, "nevacuate beyond the old array");
    if (grow) {
      require_invariant(old_.log2_buckets() + (same_size_grow_ ? 0 : 1) == array_.log2_buckets(),
                        "old array is neither half the size (doubling) nor the same size (same-size grow)");
    } else {
      require_invariant(!same_size_grow_, "same-size flag set with no grow in progress");
      require_invariant(fill_ == AllocMode::kFresh, "only fresh mode keeps a retired array");
    }
    const std::size_t released = old_.released_bytes();
    if (grow) require_invariant(released <= nevacuate_ * sizeof(BucketT), "released pages reach beyond nevacuate");
    std::size_t live = 0, overflow = 0;
    // Buckets that start below the released prefix are (partly) unmapped: they lie
    // below nevacuate (checked above), i.e. evacuated by construction, and unreadable.
    for (std::size_t i = (released + sizeof(BucketT) - 1) / sizeof(BucketT); i < old_count; ++i) {
      const BucketT* head = old_.bucket(i);
      if (i < nevacuate_ || head->evacuated()) {
        require_invariant(head->evacuated(), "old bucket below nevacuate is not marked evacuated");
        require_invariant(head->overflow == nullptr, "evacuated old chain still links overflow buckets");
        for (std::size_t s = 0; s < buckets::kSlots; ++s) {
          const std::uint8_t t = head->tophash[s];
          require_invariant(t >= buckets::kEvacuatedX && t <= buckets::kEvacuatedEmpty,
                            "evacuated old bucket has a slot without an evacuation marker");
          if (grow && same_size_grow_) require_invariant(t != buckets::kEvacuatedY, "same-size grow used Y");
        }
        continue;
      }
      const auto c = buckets::check_chain(head, i, old_.mask(), hash_);
      live += c.live;
      overflow += c.overflow;
      require_invariant(!chain_has_live(array_.bucket(i)), "new bucket X filled before its old bucket was evacuated");
      if (!same_size_grow_) {
        require_invariant(!chain_has_live(array_.bucket(i + old_count)),
                          "new bucket Y filled before its old bucket was evacuated");
      }
    }
    require_invariant(overflow == old_.overflow_in_use(), "old overflow_in_use differs from linked buckets");
    return live;
  }

  static bool chain_has_live(const BucketT* head) {
    for (const BucketT* b = head; b != nullptr; b = b->overflow) {
      for (std::size_t s = 0; s < buckets::kSlots; ++s) {
        if (buckets::is_live(b->tophash[s])) return true;
      }
    }
    return false;
  }

  Hash hash_;                    // the run's hasher, re-seeded with this map's hash0
  std::uint64_t run_seed_;       // the run's seed, for derive_seed
  std::uint64_t instance_;       // construction number, for derive_seed
  std::uint64_t epoch_ = 0;      // re-seeds so far
  MemoryCounter* mem_;
  AllocMode fill_;
  Array array_;                  // Go's buckets (2^B); empty until the first insert
  Array old_;                    // Go's oldbuckets while growing; then retiring until freed
  std::size_t nevacuate_ = 0;    // old buckets below this are evacuated
  bool same_size_grow_ = false;  // Go's sameSizeGrow flag, while growing
  std::size_t count_ = 0;        // live entries
  std::size_t last_write_evacuated_ = 0;
  std::uint64_t buckets_evacuated_ = 0;
  std::uint64_t doubling_grows_ = 0;
  std::uint64_t forced_old_array_frees_ = 0;
  ResizeCounters counters_;
};

}  // namespace rehashlab
