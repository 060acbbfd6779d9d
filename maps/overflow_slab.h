// overflow_slab: a Go-style incrementally growing table whose growth never copies
// the payload.
//
// Why. In Go's classic map (go_incremental) a key and value live inline in their
// bucket, so they are copied when a doubling evacuates the bucket and again when a
// same-size grow compacts a churned chain. With 256-byte values that write
// amplification is the dominant cost of growth. Here the buckets hold only an
// index; the payload is written once and stays put.
//
// Layout.
//  * Payload slab (maps/slab.h, ChunkedSlab<Entry>): every {key, value} is written
//    once into a cell of a large chunk (about 1 MiB; the first chunks are smaller
//    so small maps stay small), addressed by a 32-bit id. Never a malloc per entry.
//    Erased cells go on their chunk's free list and are reused, lowest chunk first.
//  * Index buckets (IndexBucket, 44 bytes of content padded to one 64-byte cache
//    line): 8 slots, each a 1-byte fingerprint and the 32-bit slab id of its
//    entry, plus a 32-bit overflow link. Unpadded, 10 of every 16 buckets would
//    straddle two lines; a hit already pays a second, dependent miss in the slab,
//    so the index probe is kept to exactly one line. The fingerprint
//    is Go's tophash (the hash's top byte, values below kMinTopHash shifted up, the
//    small values reserved as the same markers: empty-rest, empty-one, evacuated
//    X/Y/empty; maps/bucket_layout.h owns those constants and the growth rules).
//  * Index arrays: 2^B head buckets in one ZeroedArray (fresh zero pages: a
//    zero-filled bucket is a valid empty bucket, so allocating an array is O(1),
//    not an O(n) fill).
//  * Overflow buckets come from a second ChunkedSlab<IndexBucket> shared by the old
//    and new arrays; a link is 1 + the bucket's id there, 0 meaning none. Unlike
//    Go there is no 2^(B-4) preallocation inside the array: the bucket slab's
//    chunks are the preallocation, and buckets freed by evacuation are reused.
//
// Lookup: hash, pick the chain (below), match the bucket's 8 fingerprints in one
// word operation (Go loops over the bytes; this is our design, not Go's, and the
// word match is what keeps misses cheap); only on a fingerprint match read the
// key from the slab. A miss therefore touches index buckets only; a kEmptyRest
// slot ends the probe early as in Go.
//
// Growth (Go's hashGrow/growWork/evacuate, runtime/map.go up to Go 1.23):
//  * Triggered only when inserting a new key while not growing: if count+1 > 8 and
//    count+1 > 6.5 * 2^B the index array doubles; else if the current array's
//    overflow buckets number at least 2^B (Go's 2^min(B,15) on its
//    sampled counter; see buckets::too_many_overflow_buckets) a same-size grow rebuilds its
//    chains compactly. Starting a grow allocates the new array, keeps the old one,
//    sets nevacuate = 0, and moves nothing.
//  * Every insert and erase while growing first evacuates the old bucket its key
//    maps to (if not yet done), then old bucket nevacuate: at most 2 old buckets
//    (with their chains) per write. Finds do no migration.
//  * Evacuating old bucket i copies each live slot's {fingerprint, id} to new
//    bucket i (X) or i + 2^oldB (Y) by the hash bit the doubling adds (X only at
//    the same size). The key is READ from the slab to rehash it; the payload is
//    never written. The old chain's overflow buckets go back to the bucket slab and
//    the head bucket's slots are marked evacuated-X/Y/empty.
//  * nevacuate then advances past evacuated buckets, at most 1024 per step (Go's
//    bound). When it reaches 2^oldB the old array is released. As it advances, the
//    pages of the old array below nevacuate are returned to the OS, at most 128 KiB
//    per write (AllocMode::kFresh; kSystem / kNaive: calloc / memset on
//    allocation, one free at the end).
// Where a key is during growth: in old bucket h & oldmask if that bucket is not
// evacuated, else in new bucket h & mask. Reads look there; writes first evacuate
// that old bucket, so they always act on the new array.
//
// Invariants (check_invariants):
//  * size() == live slots reachable (new array + unevacuated old buckets) ==
//    live payload cells, and every reachable id is a distinct live payload cell;
//  * a live slot's fingerprint is tophash(hash(key)) and its key hashes to its
//    chain in its array; kEmptyRest is followed only by kEmptyRest in a chain;
//  * new-array chains hold no evacuation markers; an old bucket below nevacuate is
//    evacuated (never read: its page may be unmapped); an evacuated old bucket has
//    no overflow; an unevacuated old bucket's destination chains (X, and Y when
//    doubling) are still empty, because a write evacuates before writing there;
//  * each array's overflow_in_use equals the overflow buckets linked into its
//    chains, and their sum equals the bucket slab's live cells;
//  * the slabs' own invariants (slab.h): bounded reserve, consistent free lists.
//
// Slab space after heavy erasure: an erased entry's cell is destroyed at once and
// reused by later inserts (lowest chunk first); a chunk whose last entry is erased
// is unmapped, except one spare. So reserved payload chunks <= chunks holding a
// live entry + 1, and steady-state churn adds no chunks. A chunk that keeps even one
// live entry stays (entries never move). Index arrays never shrink (as in Go);
// same-size grows reclaim overflow buckets. clear() and the destructor return all
// memory: slabs, arrays, bookkeeping.
//
// Deliberate differences from Go: payload out of line (the point); overflow
// buckets from a shared slab instead of per-array preallocation + malloc; overflow
// count exact; no per-map hash seed change (the run's seeded hash is used as is);
// no concurrent-write detection, no GC; an erase whose migration step cannot
// allocate skips that step (the next write retries it) instead of failing.
//
// Counters. ResizeCounters: grows_started, migrations_completed, old_arrays_freed,
// entries_moved (index slots relocated by evacuation), payload_bytes_moved (0: no
// code path of growth copies a key or value), index_bytes_moved (5 per relocated
// slot: 1 fingerprint byte + 4 id bytes). Map-specific, via for_each_counter:
//   doubling_grows / same_size_grows   grows started of each kind
//   buckets_evacuated                   old buckets evacuated (<= 2 per write)
//   log2_buckets                        B of the current (new) array
//   overflow_in_use                     overflow buckets linked into chains (both arrays)
//   slab_bytes_reserved / slab_bytes_in_use   payload chunk memory held / live cells
//   slab_chunks_reserved                payload chunks currently mapped
//   overflow_bytes_reserved             bucket-slab chunk memory held
//   index_array_bytes                   head-bucket arrays (old + new) still mapped
#pragma once

#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "maps/bucket_layout.h"
#include "maps/map_api.h"
#include "maps/memory.h"
#include "maps/slab.h"

namespace rehashlab {
namespace slab_index {

using buckets::kEmptyOne;
using buckets::kEmptyRest;
using buckets::kEvacuatedEmpty;
using buckets::kEvacuatedX;
using buckets::kEvacuatedY;
using buckets::kMinTopHash;
using buckets::kSlots;
using buckets::is_empty;
using buckets::is_live;

struct alignas(ZeroedArray::kCacheLine) IndexBucket {
  std::uint8_t fp[kSlots];      // fingerprint (tophash) of a live slot, or a marker
  std::uint32_t entry[kSlots];  // payload slab id of the slot's entry (live slots)
  std::uint32_t overflow;       // 1 + bucket-slab id of the next bucket; 0 ends the chain
  // Go's evacuated(b): an evacuated head bucket's first slot holds a marker.
  bool evacuated() const { return fp[0] > kEmptyOne && fp[0] < kMinTopHash; }
};
static_assert(sizeof(IndexBucket) == ZeroedArray::kCacheLine && std::is_trivially_copyable_v<IndexBucket>);

using BucketSlab = ChunkedSlab<IndexBucket>;

inline IndexBucket* next(const BucketSlab& slab, const IndexBucket* b) {
  return b->overflow != 0 ? slab.at(b->overflow - 1) : nullptr;
}

// 2^B head buckets (fresh zero pages) and the count of overflow buckets linked
// into its chains (Go's noverflow, exact).
class IndexArray {
 public:
  IndexArray() = default;
  IndexArray(MemoryCounter& mem, std::uint8_t log2_buckets, AllocMode fill)
      : log2_buckets_(log2_buckets), storage_(mem, (std::size_t{1} << log2_buckets) * sizeof(IndexBucket), fill) {}
  IndexArray(IndexArray&& o) noexcept { *this = std::move(o); }
  IndexArray& operator=(IndexArray&& o) noexcept {
    log2_buckets_ = o.log2_buckets_;
    overflow_in_use = std::exchange(o.overflow_in_use, 0);
    storage_ = std::move(o.storage_);
    return *this;
  }

  explicit operator bool() const { return static_cast<bool>(storage_); }
  std::uint8_t log2_buckets() const { return log2_buckets_; }
  std::size_t bucket_count() const { return std::size_t{1} << log2_buckets_; }
  std::size_t mask() const { return bucket_count() - 1; }
  IndexBucket* bucket(std::size_t i) const { return static_cast<IndexBucket*>(storage_.data()) + i; }
  std::size_t mapped_bytes() const { return storage_ ? storage_.size_bytes() - storage_.released_bytes() : 0; }
  // Unmaps whole pages below bucket i (at most max_bytes per call).
  void release_below(std::size_t i, std::size_t max_bytes) { storage_.release_prefix(i * sizeof(IndexBucket), max_bytes); }

  std::size_t overflow_in_use = 0;

 private:
  std::uint8_t log2_buckets_ = 0;
  ZeroedArray storage_;
};

struct SlotRef {
  IndexBucket* bucket = nullptr;
  unsigned index = 0;
  explicit operator bool() const { return bucket != nullptr; }
  std::uint32_t id() const { return bucket->entry[index]; }
};

struct IndexProbe {
  SlotRef found;       // the key's slot, if present
  SlotRef first_free;  // first empty slot seen (only with kTrackFree)
  IndexBucket* tail = nullptr;  // last bucket visited
};

// Slots of `b` whose byte equals `byte`: bit 8i+7 is set iff b->fp[i] == byte
// (exact: no false positives, unlike the cheaper haszero trick). One 8-byte
// load and a few ALU operations instead of a loop of 8 compare-and-branch steps.
inline std::uint64_t slots_equal(const IndexBucket* b, std::uint8_t byte) {
  constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
  std::uint64_t word;
  std::memcpy(&word, b->fp, sizeof(word));
  const std::uint64_t x = word ^ (0x0101010101010101ull * byte);  // zero byte where equal
  return ~(((x & kLow7) + kLow7) | x | kLow7);
}
inline unsigned first_slot(std::uint64_t slots) { return static_cast<unsigned>(std::countr_zero(slots)) / 8; }

// THE probe loop. Matches all 8 fingerprints of a bucket at once (slots_equal);
// calls key_matches(id) (the only slab access) per fingerprint match, in slot
// order. A bucket holding a kEmptyRest slot ends the chain: no live slot follows
// one (Go's emptyRest; check_chain enforces it), so no match hides behind it.
// With kTrackFree, remembers the chain's first empty slot.
template <bool kTrackFree, class KeyMatches>
REHASHLAB_ALWAYS_INLINE IndexProbe probe_chain(const BucketSlab& slab, IndexBucket* head, std::uint8_t fp,
                                               KeyMatches&& key_matches) {
  static_assert(kEmptyRest == 0 && kEmptyOne == 1, "slots_equal(b, kEmptyOne) | rest finds empties");
  IndexProbe p;
  for (IndexBucket* b = head; b != nullptr; b = next(slab, b)) {
    p.tail = b;
    for (std::uint64_t m = slots_equal(b, fp); m != 0; m &= m - 1) {
      const unsigned i = first_slot(m);
      if (key_matches(b->entry[i])) {
        p.found = {b, i};
        return p;
      }
    }
    const std::uint64_t rest = slots_equal(b, kEmptyRest);
    if constexpr (kTrackFree) {
      const std::uint64_t empty = rest | slots_equal(b, kEmptyOne);
      if (empty != 0 && !p.first_free) p.first_free = {b, first_slot(empty)};
    }
    if (rest != 0) return p;
  }
  return p;
}

// Appends slots to a chain whose slots from the cursor on are empty, linking
// overflow buckets from the bucket slab as needed (insert and evacuation).
class ChainWriter {
 public:
  ChainWriter(BucketSlab& slab, IndexArray& array, IndexBucket* bucket, unsigned index)
      : slab_(&slab), array_(&array), bucket_(bucket), index_(index) {}

  // Throws std::bad_alloc (overflow bucket) with nothing written.
  void put(std::uint8_t fp, std::uint32_t id) {
    if (index_ == kSlots) {
      bucket_ = bucket_->overflow != 0 ? next(*slab_, bucket_) : link_overflow(bucket_);
      index_ = 0;
    }
    bucket_->fp[index_] = fp;
    bucket_->entry[index_] = id;
    ++index_;
  }

 private:
  IndexBucket* link_overflow(IndexBucket* tail) {
    const std::uint32_t id = slab_->allocate();
    IndexBucket* b = slab_->at(id);
    std::memset(static_cast<void*>(b), 0, sizeof(IndexBucket));
    tail->overflow = id + 1;
    ++array_->overflow_in_use;
    return b;
  }

  BucketSlab* slab_;
  IndexArray* array_;
  IndexBucket* bucket_;
  unsigned index_;
};

// Unlinks the overflow buckets after `head` and returns them to the slab.
inline void free_overflow(BucketSlab& slab, IndexArray& array, IndexBucket* head) noexcept {
  for (std::uint32_t link = std::exchange(head->overflow, 0); link != 0;) {
    const std::uint32_t next_link = slab.at(link - 1)->overflow;
    slab.free(link - 1);
    --array.overflow_in_use;
    link = next_link;
  }
}

// THE mover (Go's evacuate): sends every live slot of old chain `head` (bucket
// `index` of an array of 2^old_log2) to `dst`, X or Y by the hash bit the doubling
// adds (X only at the same size), then marks the old head evacuated and frees the
// old overflow buckets. Only {fingerprint, id} move; hash_of(id) reads the key.
// Destination chains are empty (a new bucket is written only after its old bucket
// was evacuated). Throws std::bad_alloc with the old chain intact and X/Y empty
// again. Returns the number of slots relocated.
template <class HashOf>
std::size_t relocate_chain(BucketSlab& slab, IndexArray& src, std::size_t index, IndexArray& dst,
                           HashOf&& hash_of) {
  IndexBucket* head = src.bucket(index);
  const bool doubling = dst.log2_buckets() > src.log2_buckets();
  const std::uint64_t newbit = std::uint64_t{1} << src.log2_buckets();
  IndexBucket* x = dst.bucket(index);
  IndexBucket* y = doubling ? dst.bucket(index + newbit) : nullptr;
  ChainWriter write_x(slab, dst, x, 0), write_y(slab, dst, doubling ? y : x, 0);
  std::uint8_t head_marks[kSlots];
  std::size_t moved = 0;
  try {
    for (IndexBucket* b = head; b != nullptr; b = next(slab, b)) {
      for (unsigned i = 0; i < kSlots; ++i) {
        const std::uint8_t t = b->fp[i];
        std::uint8_t mark = kEvacuatedEmpty;
        if (is_live(t)) {
          const bool to_y = doubling && (hash_of(b->entry[i]) & newbit);
          (to_y ? write_y : write_x).put(t, b->entry[i]);
          mark = to_y ? kEvacuatedY : kEvacuatedX;
          ++moved;
        }
        if (b == head) head_marks[i] = mark;
      }
    }
  } catch (...) {
    for (IndexBucket* d : {x, y}) {
      if (d == nullptr) continue;
      free_overflow(slab, dst, d);
      std::memset(static_cast<void*>(d), 0, sizeof(IndexBucket));
    }
    throw;
  }
  free_overflow(slab, src, head);
  std::memcpy(head->fp, head_marks, kSlots);
  return moved;
}

// Go's mapdelete tombstone logic on an index chain: marks the slot kEmptyOne and,
// when nothing live follows, turns the trailing kEmptyOne run into kEmptyRest.
inline void erase_slot(const BucketSlab& slab, IndexBucket* head, SlotRef slot) {
  IndexBucket* b = slot.bucket;
  unsigned i = slot.index;
  b->fp[i] = kEmptyOne;
  const bool last_live = (i == kSlots - 1) ? (b->overflow == 0 || next(slab, b)->fp[0] == kEmptyRest)
                                           : b->fp[i + 1] == kEmptyRest;
  if (!last_live) return;
  for (;;) {
    b->fp[i] = kEmptyRest;
    if (i == 0) {
      if (b == head) return;
      const IndexBucket* c = b;
      for (b = head; next(slab, b) != c; b = next(slab, b)) {
      }
      i = kSlots - 1;
    } else {
      --i;
    }
    if (b->fp[i] != kEmptyOne) return;
  }
}

// Calls f(id) for every live slot of the chain at `head`.
template <class F>
void for_each_in_chain(const BucketSlab& slab, const IndexBucket* head, F&& f) {
  for (const IndexBucket* b = head; b != nullptr; b = next(slab, b)) {
    for (unsigned i = 0; i < kSlots; ++i) {
      if (is_live(b->fp[i])) f(b->entry[i]);
    }
  }
}

// Per-chain invariants of a current (not evacuated) chain; returns overflow count.
// hash_of(id) hashes the entry's key; f(id) is called for each live slot.
template <class HashOf, class F>
std::size_t check_chain(const BucketSlab& slab, const IndexBucket* head, std::size_t bucket_index,
                        std::size_t mask, HashOf&& hash_of, F&& f) {
  std::size_t overflow = 0;
  bool rest = false;
  for (const IndexBucket* b = head; b != nullptr; b = next(slab, b)) {
    if (b != head) ++overflow;
    for (unsigned i = 0; i < kSlots; ++i) {
      const std::uint8_t t = b->fp[i];
      require_invariant(t <= kEmptyOne || t >= kMinTopHash, "evacuation marker in a current bucket");
      if (rest) require_invariant(t == kEmptyRest, "slot after kEmptyRest is not kEmptyRest");
      if (t == kEmptyRest) rest = true;
      if (!is_live(t)) continue;
      f(b->entry[i]);
      const std::uint64_t h = hash_of(b->entry[i]);
      require_invariant((h & mask) == bucket_index, "entry in the wrong chain");
      require_invariant(buckets::tophash_of(h) == t, "fingerprint does not match key");
    }
  }
  return overflow;
}

}  // namespace slab_index

template <class K, class V, class Hash = SeededHash<K>>
class OverflowSlabMap {
  struct Entry {
    K key;
    V value;
    Entry(const K& k, const V& v) : key(k), value(v) {}
  };
  using IndexBucket = slab_index::IndexBucket;
  using IndexArray = slab_index::IndexArray;

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = "overflow_slab";
  static constexpr bool kInHouse = true;
  // Go's advanceEvacuationMark scans at most this many evacuated buckets per step.
  static constexpr std::size_t kAdvanceBound = 1024;
  // Old-array pages returned per write; more than one step can pass over
  // ((kAdvanceBound + 2) * 64 bytes), so the release keeps up with nevacuate.
  static constexpr std::size_t kReleaseBudget = 128 * 1024;

  OverflowSlabMap(const Hash& hash, MemoryCounter& mem, AllocMode fill = AllocMode::kFresh)
      : hash_(hash), mem_(&mem), fill_(fill), payload_(mem), overflow_(mem) {}
  OverflowSlabMap(const OverflowSlabMap&) = delete;
  OverflowSlabMap& operator=(const OverflowSlabMap&) = delete;
  ~OverflowSlabMap() { destroy_entries(); }

  bool insert_or_assign(const K& key, const V& value) {
    const std::uint64_t h = hash_(key);
    const std::uint8_t fp = buckets::tophash_of(h);
    if (!new_) new_ = IndexArray(*mem_, 0, fill_);
    for (;;) {
      if (growing()) grow_work(h & new_.mask());
      IndexBucket* head = new_.bucket(h & new_.mask());
      const auto probe = slab_index::probe_chain<true>(overflow_, head, fp, key_is(key));
      if (probe.found) {
        payload_.at(probe.found.id())->value = value;
        return false;
      }
      if (!growing() && (buckets::over_load_factor(count_ + 1, new_.log2_buckets()) ||
                         buckets::too_many_overflow_buckets(new_.overflow_in_use, new_.log2_buckets()))) {
        start_grow();
        continue;  // Go: "goto again" -- the key's chain is in the new array now
      }
      const std::uint32_t id = payload_.emplace(key, value);
      try {
        auto writer = probe.first_free
                          ? slab_index::ChainWriter(overflow_, new_, probe.first_free.bucket, probe.first_free.index)
                          : slab_index::ChainWriter(overflow_, new_, probe.tail, buckets::kSlots);
        writer.put(fp, id);
      } catch (...) {
        payload_.destroy(id);
        throw;
      }
      ++count_;
      return true;
    }
  }

  const V* find(const K& key) {
    if (count_ == 0) return nullptr;
    const std::uint64_t h = hash_(key);
    const auto probe = slab_index::probe_chain<false>(overflow_, chain_of(h), buckets::tophash_of(h), key_is(key));
    return probe.found ? &payload_.at(probe.found.id())->value : nullptr;
  }

  bool erase(const K& key) {
    if (count_ == 0) return false;
    const std::uint64_t h = hash_(key);
    if (growing()) {
      try {
        grow_work(h & new_.mask());
      } catch (const std::bad_alloc&) {
        // The migration step could not allocate; skip it (the next write retries)
        // and erase the key where it is now.
      }
    }
    IndexBucket* head = chain_of(h);
    const auto probe = slab_index::probe_chain<false>(overflow_, head, buckets::tophash_of(h), key_is(key));
    if (!probe.found) return false;
    const std::uint32_t id = probe.found.id();
    slab_index::erase_slot(overflow_, head, probe.found);
    payload_.destroy(id);
    --count_;
    return true;
  }

  std::size_t size() const { return count_; }

  void clear() {
    destroy_entries();
    if (growing()) {  // the old array goes away with everything else
      ++counters_.migrations_completed;
      ++counters_.old_arrays_freed;
    }
    old_ = IndexArray();
    new_ = IndexArray();
    payload_.release_all();
    overflow_.release_all();
    count_ = 0;
    nevacuate_ = 0;
    counters_.migrating = false;
  }

  template <class F>
  void for_each(F&& f) const {
    for_each_id([&](std::uint32_t id) {
      const Entry& e = *payload_.at(id);
      f(e.key, e.value);
    });
  }

  ResizeCounters resize_counters() const { return counters_; }

  template <class F>
  void for_each_counter(F&& f) const {
    f("doubling_grows", doubling_grows_);
    f("same_size_grows", counters_.grows_started - doubling_grows_);
    f("buckets_evacuated", buckets_evacuated_);
    f("log2_buckets", new_ ? new_.log2_buckets() : 0);
    f("overflow_in_use", overflow_.live());
    f("slab_bytes_reserved", payload_.reserved_bytes());
    f("slab_bytes_in_use", payload_.in_use_bytes());
    f("slab_chunks_reserved", payload_.chunks_reserved());
    f("overflow_bytes_reserved", overflow_.reserved_bytes());
    f("index_array_bytes", old_.mapped_bytes() + new_.mapped_bytes());
  }

  void maintenance(std::chrono::nanoseconds) {}  // Go has no idle-time work

  void check_invariants() const {
    require_invariant(counters_.migrating == growing(), "migrating flag differs from old-array presence");
    require_invariant(counters_.payload_bytes_moved == 0, "growth copied payload");
    if (!new_) {
      require_invariant(count_ == 0 && !old_ && payload_.live() == 0 && overflow_.live() == 0,
                        "entries or buckets without an index array");
      payload_.check_invariants();
      overflow_.check_invariants();
      return;
    }
    const std::vector<bool> live_ids = payload_.live_cells();
    std::vector<bool> seen(live_ids.size(), false);
    std::size_t reachable = 0;
    auto visit = [&](std::uint32_t id) {
      require_invariant(id < live_ids.size() && live_ids[id], "slot points at a free payload cell");
      require_invariant(!seen[id], "two slots point at one payload cell");
      seen[id] = true;
      ++reachable;
    };
    auto hash_of = [&](std::uint32_t id) { return hash_(payload_.at(id)->key); };
    std::size_t new_overflow = 0;
    for (std::size_t i = 0; i < new_.bucket_count(); ++i) {
      new_overflow += slab_index::check_chain(overflow_, new_.bucket(i), i, new_.mask(), hash_of, visit);
    }
    require_invariant(new_overflow == new_.overflow_in_use, "new array overflow_in_use differs from its chains");
    std::size_t old_overflow = 0;
    if (growing()) {
      const bool doubling = new_.log2_buckets() > old_.log2_buckets();
      require_invariant(nevacuate_ < old_.bucket_count(), "growing with nevacuate past the old array");
      for (std::size_t i = nevacuate_; i < old_.bucket_count(); ++i) {
        const IndexBucket* b = old_.bucket(i);
        if (b->evacuated()) {
          require_invariant(b->overflow == 0, "evacuated old bucket keeps overflow buckets");
          continue;
        }
        old_overflow += slab_index::check_chain(overflow_, b, i, old_.mask(), hash_of, visit);
        for (std::size_t d : {i, i + old_.bucket_count()}) {
          if (d == i + old_.bucket_count() && !doubling) continue;
          const IndexBucket* dst = new_.bucket(d);
          require_invariant(dst->overflow == 0 && dst->fp[0] == buckets::kEmptyRest,
                            "new bucket written before its old bucket was evacuated");
        }
      }
      require_invariant(old_overflow == old_.overflow_in_use, "old array overflow_in_use differs from its chains");
    } else {
      require_invariant(old_.overflow_in_use == 0 && nevacuate_ == 0, "stale old-array state");
    }
    require_invariant(reachable == count_, "size() differs from reachable live slots");
    require_invariant(payload_.live() == count_, "live payload cells differ from size()");
    require_invariant(overflow_.live() == new_overflow + old_overflow, "bucket slab holds unlinked buckets");
    payload_.check_invariants();
    overflow_.check_invariants();
  }

  // For tests.
  bool growing() const { return static_cast<bool>(old_); }
  std::size_t nevacuate() const { return nevacuate_; }
  std::uint64_t buckets_evacuated() const { return buckets_evacuated_; }
  std::size_t slab_bytes_reserved() const { return payload_.reserved_bytes(); }
  std::size_t slab_chunks_reserved() const { return payload_.chunks_reserved(); }
  std::size_t overflow_in_use() const { return overflow_.live(); }
  static constexpr std::size_t payload_chunk_bytes(std::size_t c) { return ChunkedSlab<Entry>::chunk_bytes(c); }

 private:
  auto key_is(const K& key) const {
    return [this, &key](std::uint32_t id) { return payload_.at(id)->key == key; };
  }

  // The chain holding a key with hash h right now (see the header).
  IndexBucket* chain_of(std::uint64_t h) const {
    if (growing()) {
      const std::size_t i = h & old_.mask();
      if (!old_evacuated(i)) return old_.bucket(i);
    }
    return new_.bucket(h & new_.mask());
  }
  // Buckets below nevacuate are never read: their pages may be unmapped.
  bool old_evacuated(std::size_t i) const { return i < nevacuate_ || old_.bucket(i)->evacuated(); }

  void start_grow() {
    const bool doubling = buckets::over_load_factor(count_ + 1, new_.log2_buckets());
    IndexArray fresh(*mem_, static_cast<std::uint8_t>(new_.log2_buckets() + (doubling ? 1 : 0)), fill_);  // throws
    old_ = std::move(new_);
    new_ = std::move(fresh);
    nevacuate_ = 0;
    ++counters_.grows_started;
    if (doubling) ++doubling_grows_;
    counters_.migrating = true;
    REHASHLAB_DEBUG_CHECK(*this);  // debug builds: at each grow start and end, not per op
  }

  // Go's growWork: the key's old bucket, then nevacuate; then returns old pages.
  void grow_work(std::size_t new_bucket) {
    evacuate(new_bucket & old_.mask());
    if (growing()) evacuate(nevacuate_);
    if (growing()) old_.release_below(nevacuate_, kReleaseBudget);
  }

  void evacuate(std::size_t i) {
    if (!old_evacuated(i)) {
      const std::size_t moved = slab_index::relocate_chain(
          overflow_, old_, i, new_, [this](std::uint32_t id) { return hash_(payload_.at(id)->key); });
      ++buckets_evacuated_;
      counters_.entries_moved += moved;
      counters_.index_bytes_moved += moved * (1 + sizeof(std::uint32_t));
    }
    if (i == nevacuate_) advance_evacuation_mark();
  }

  void advance_evacuation_mark() {
    ++nevacuate_;
    const std::size_t stop = nevacuate_ + kAdvanceBound;
    while (nevacuate_ != stop && nevacuate_ != old_.bucket_count() && old_.bucket(nevacuate_)->evacuated()) {
      ++nevacuate_;
    }
    if (nevacuate_ == old_.bucket_count()) {
      old_ = IndexArray();  // unmaps what is left of it
      nevacuate_ = 0;
      ++counters_.migrations_completed;
      ++counters_.old_arrays_freed;
      counters_.migrating = false;
      REHASHLAB_DEBUG_CHECK(*this);
    }
  }

  template <class F>
  void for_each_id(F&& f) const {
    if (growing()) {
      for (std::size_t i = nevacuate_; i < old_.bucket_count(); ++i) {
        if (!old_.bucket(i)->evacuated()) slab_index::for_each_in_chain(overflow_, old_.bucket(i), f);
      }
    }
    if (new_) {
      for (std::size_t i = 0; i < new_.bucket_count(); ++i) slab_index::for_each_in_chain(overflow_, new_.bucket(i), f);
    }
  }

  void destroy_entries() noexcept {
    if constexpr (!std::is_trivially_destructible_v<Entry>) {
      for_each_id([this](std::uint32_t id) { std::destroy_at(payload_.at(id)); });
    }
  }

  Hash hash_;
  MemoryCounter* mem_;
  AllocMode fill_;
  ChunkedSlab<Entry> payload_;   // keys and values, written once
  slab_index::BucketSlab overflow_;  // overflow index buckets of both arrays
  IndexArray new_;               // current array; empty until the first insert
  IndexArray old_;               // array being evacuated; empty when not growing
  std::size_t nevacuate_ = 0;    // old buckets below this are evacuated
  std::size_t count_ = 0;
  std::uint64_t doubling_grows_ = 0;
  std::uint64_t buckets_evacuated_ = 0;
  ResizeCounters counters_;
};

}  // namespace rehashlab
