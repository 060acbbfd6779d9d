// Go's classic bucket layout (Go 1.19, runtime/map.go: bmap), shared by
// full_rehash and go_incremental so that comparing them isolates the growth
// strategy, and its chain logic (tophash markers, tombstones, chain checks),
// shared with overflow_slab's index buckets.
//
// Layout. 2^B buckets of 8 slots: tophash[8] (the hash's top byte for a live
// entry, shifted up past the markers below), keys[8], values[8], an overflow link.
// The key with hash h lives in the chain at bucket h & (2^B - 1). An array of
// B >= 4 comes with 2^(B-4) overflow buckets at its end (Go's makeBucketArray),
// handed out before any is allocated. A zero bucket is a valid empty bucket, so
// arrays are ZeroedArrays (no O(n) fill in the default mode).
//
// Chain invariants (check_chain): a live slot's key hashes to its chain and its
// tophash matches; after a kEmptyRest slot every later slot of the chain is
// kEmptyRest; a chain of a current array holds no evacuation marker.
//
// Each loop once: probe_chain is the only lookup, ChainWriter the only append,
// relocate_chain the only mover; the tombstone logic (erase_slot) and the chain
// checks are written once over a chain accessor (next(b): the bucket after b, or
// null), which overflow_slab's slab-linked index buckets supply too.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "maps/map_api.h"
#include "maps/memory.h"

namespace rehashlab::buckets {

inline constexpr std::size_t kSlots = 8;  // Go's bucketCnt
// Go's loadFactorNum/loadFactorDen: grow when count > 6.5 * 2^B (and count > 8).
inline constexpr std::uint64_t kLoadFactorNum = 13;
inline constexpr std::uint64_t kLoadFactorDen = 2;

enum : std::uint8_t {
  kEmptyRest = 0,       // this slot is empty, and so is every later slot of the chain
  kEmptyOne = 1,        // this slot is empty
  kEvacuatedX = 2,      // live entry moved to the first half of the new array
  kEvacuatedY = 3,      // live entry moved to the second half of the new array
  kEvacuatedEmpty = 4,  // slot was empty when its bucket was evacuated
  kMinTopHash = 5,      // smallest tophash of a live entry
};

constexpr std::uint8_t tophash_of(std::uint64_t hash) {
  auto top = static_cast<std::uint8_t>(hash >> 56);
  return top < kMinTopHash ? static_cast<std::uint8_t>(top + kMinTopHash) : top;
}
constexpr bool is_empty(std::uint8_t top) { return top <= kEmptyOne; }
constexpr bool is_live(std::uint8_t top) { return top >= kMinTopHash; }
// evacuated reports whether a head bucket was evacuated (Go's evacuated(b)): the
// first slot of an evacuated bucket always holds a marker.
template <class B>
bool evacuated(const B* b) {
  return b->tophash[0] > kEmptyOne && b->tophash[0] < kMinTopHash;
}

// Go's overLoadFactor(count, B).
constexpr bool over_load_factor(std::uint64_t count, std::uint8_t log2_buckets) {
  return count > kSlots && count > kLoadFactorNum * ((std::uint64_t{1} << log2_buckets) / kLoadFactorDen);
}
// Go's tooManyOverflowBuckets is noverflow >= 2^min(B, 15) on a count that is
// sampled above B = 15 (incrnoverflow adds 1 with probability 2^-(B-15)), so it
// fires at about 2^B overflow buckets for every B: the rule for an exact count.
// (2^min(B, 15) with an exact count fires on every insert once B >= 18.)
constexpr bool too_many_overflow_buckets(std::uint64_t noverflow, std::uint8_t log2_buckets) {
  return noverflow >= (std::uint64_t{1} << log2_buckets);
}

template <class K, class V>
struct Bucket {
  std::uint8_t tophash[kSlots];
  alignas(K) unsigned char key_storage[kSlots * sizeof(K)];
  alignas(V) unsigned char value_storage[kSlots * sizeof(V)];
  Bucket* overflow;  // next bucket of the chain; null ends it

  K* key(std::size_t i) { return std::launder(reinterpret_cast<K*>(key_storage) + i); }
  V* value(std::size_t i) { return std::launder(reinterpret_cast<V*>(value_storage) + i); }
  const K* key(std::size_t i) const { return std::launder(reinterpret_cast<const K*>(key_storage) + i); }
  const V* value(std::size_t i) const {
    return std::launder(reinterpret_cast<const V*>(value_storage) + i);
  }
  void destroy_slot(std::size_t i) {
    std::destroy_at(key(i));
    std::destroy_at(value(i));
  }
};

template <class K, class V>
struct SlotRef {
  Bucket<K, V>* bucket = nullptr;
  std::size_t index = 0;
  explicit operator bool() const { return bucket != nullptr; }
  K& key() const { return *bucket->key(index); }
  V& value() const { return *bucket->value(index); }
};

// One array of 2^B buckets plus its preallocated overflow buckets, and the
// overflow buckets allocated later for it. Owns the memory, not the entries:
// the map destroys entries (destroy_entries) before the array goes away.
template <class K, class V>
class BucketArray {
 public:
  using BucketT = Bucket<K, V>;

  BucketArray() = default;
  // Throws std::bad_alloc (nothing allocated then).
  BucketArray(MemoryCounter& mem, std::uint8_t log2_buckets, AllocMode fill)
      : mem_(&mem),
        log2_buckets_(log2_buckets),
        prealloc_(log2_buckets >= 4 ? std::size_t{1} << (log2_buckets - 4) : 0),
        storage_(mem, ((std::size_t{1} << log2_buckets) + prealloc_) * sizeof(BucketT), fill) {}
  BucketArray(BucketArray&&) noexcept = default;
  BucketArray& operator=(BucketArray&& other) noexcept {
    if (this != &other) {
      release();
      mem_ = other.mem_;
      log2_buckets_ = other.log2_buckets_;
      prealloc_ = std::exchange(other.prealloc_, 0);
      next_prealloc_ = std::exchange(other.next_prealloc_, 0);
      overflow_in_use_ = std::exchange(other.overflow_in_use_, 0);
      storage_ = std::move(other.storage_);
    }
    return *this;
  }
  ~BucketArray() { release(); }

  explicit operator bool() const { return static_cast<bool>(storage_); }
  std::uint8_t log2_buckets() const { return log2_buckets_; }
  std::size_t bucket_count() const { return std::size_t{1} << log2_buckets_; }
  std::size_t mask() const { return bucket_count() - 1; }
  BucketT* bucket(std::size_t i) const { return buckets() + i; }
  ZeroedArray& storage() { return storage_; }
  const ZeroedArray& storage() const { return storage_; }

  std::size_t overflow_in_use() const { return overflow_in_use_; }      // Go's noverflow
  std::size_t overflow_preallocated() const { return prealloc_; }       // 2^(B-4)
  std::size_t overflow_prealloc_left() const { return prealloc_ - next_prealloc_; }
  bool is_preallocated(const BucketT* b) const {
    return b >= buckets() + bucket_count() && b < buckets() + bucket_count() + prealloc_;
  }

  // Go's newoverflow: links an empty overflow bucket after `tail` and returns it.
  // Preallocated buckets first; then one allocation. Throws std::bad_alloc with
  // the chain unchanged.
  BucketT* new_overflow(BucketT* tail) {
    BucketT* b;
    if (next_prealloc_ < prealloc_) {
      b = bucket(bucket_count() + next_prealloc_++);
    } else {
      b = static_cast<BucketT*>(mem_->allocate(sizeof(BucketT), alignof(BucketT)));
      std::memset(static_cast<void*>(b), 0, sizeof(BucketT));
    }
    ++overflow_in_use_;
    tail->overflow = b;
    return b;
  }

  // Frees the individually allocated overflow buckets after `head` and unlinks
  // them (bounded by the chain length). Entries must already be destroyed or moved.
  void free_overflow_chain(BucketT* head) {
    BucketT* b = head->overflow;
    head->overflow = nullptr;
    while (b != nullptr) {
      BucketT* next = b->overflow;
      if (!is_preallocated(b)) mem_->deallocate(b, sizeof(BucketT), alignof(BucketT));
      --overflow_in_use_;
      b = next;
    }
  }

  // Destroys every live entry in every chain. O(buckets + entries).
  void destroy_entries() {
    if (!storage_) return;
    for (std::size_t i = 0; i < bucket_count(); ++i) {
      for (BucketT* b = bucket(i); b != nullptr; b = b->overflow) {
        for (std::size_t s = 0; s < kSlots; ++s) {
          if (is_live(b->tophash[s])) b->destroy_slot(s);
        }
      }
    }
  }

  // Frees every overflow bucket and the array. Entries must be destroyed first.
  // Starts after the already-unmapped prefix (whose chains were freed at
  // evacuation), so releasing an array whose prefix went back in chunks is O(rest).
  // The first bucket visited may straddle the unmapped boundary; its overflow link
  // (8-aligned, at the bucket's end) lies past that page-aligned boundary.
  void release() noexcept {
    if (!storage_) return;
    for (std::size_t i = storage_.released_bytes() / sizeof(BucketT); i < bucket_count(); ++i) {
      free_overflow_chain(bucket(i));
    }
    storage_.reset();
  }

  // Makes every bucket empty again without reallocating (Go's mapclear keeps the
  // array): frees the overflow buckets, zeroes the storage, and hands the
  // preallocated overflow buckets out afresh. Entries must be destroyed first, and
  // no prefix may have been released. O(array size); cannot throw.
  void make_empty() noexcept {
    if (!storage_) return;
    for (std::size_t i = 0; i < bucket_count(); ++i) free_overflow_chain(bucket(i));
    std::memset(storage_.data(), 0, storage_.size_bytes());
    next_prealloc_ = 0;
  }

 private:
  BucketT* buckets() const { return static_cast<BucketT*>(storage_.data()); }

  MemoryCounter* mem_ = nullptr;
  std::uint8_t log2_buckets_ = 0;       // B
  std::size_t prealloc_ = 0;            // overflow buckets allocated with the array
  std::size_t next_prealloc_ = 0;       // preallocated overflow buckets handed out
  std::size_t overflow_in_use_ = 0;     // overflow buckets linked into chains
  ZeroedArray storage_;                 // [2^B buckets][prealloc_ overflow buckets]
};

// Result of one pass over a chain.
template <class K, class V>
struct Probe {
  SlotRef<K, V> found;       // the key's slot, if present
  SlotRef<K, V> first_free;  // first empty slot seen (only when kTrackFree)
  Bucket<K, V>* tail = nullptr;  // last bucket visited
};

// THE probe loop. Searches the chain at `head` for `key` (whose tophash is `top`).
// With kTrackFree it also remembers the first empty slot, for an insert.
template <bool kTrackFree, class K, class V>
REHASHLAB_ALWAYS_INLINE Probe<K, V> probe_chain(Bucket<K, V>* head, std::uint8_t top, const K& key) {
  Probe<K, V> p;
  for (Bucket<K, V>* b = head; b != nullptr; b = b->overflow) {
    p.tail = b;
    for (std::size_t i = 0; i < kSlots; ++i) {
      const std::uint8_t t = b->tophash[i];
      if (t != top) {
        if constexpr (kTrackFree) {
          if (is_empty(t) && !p.first_free) p.first_free = {b, i};
        }
        if (t == kEmptyRest) return p;  // nothing live after this slot
        continue;
      }
      if (*b->key(i) == key) {
        p.found = {b, i};
        return p;
      }
    }
  }
  return p;
}

// Appends entries to a chain whose slots from the cursor on are empty, linking
// overflow buckets as needed. Used for inserts into a free slot and by evacuation.
template <class K, class V>
class ChainWriter {
 public:
  ChainWriter(BucketArray<K, V>& array, Bucket<K, V>* bucket, std::size_t index = 0)
      : array_(&array), bucket_(bucket), index_(index) {}

  // Constructs the entry in the next free slot. Throws std::bad_alloc (from the
  // overflow allocation or a throwing constructor) with nothing written.
  template <class KArg, class VArg>
  SlotRef<K, V> emplace(std::uint8_t top, KArg&& key, VArg&& value) {
    if (index_ == kSlots) {
      Bucket<K, V>* next = bucket_->overflow != nullptr ? bucket_->overflow : array_->new_overflow(bucket_);
      bucket_ = next;
      index_ = 0;
    }
    Bucket<K, V>* b = bucket_;
    std::construct_at(b->key(index_), std::forward<KArg>(key));
    try {
      std::construct_at(b->value(index_), std::forward<VArg>(value));
    } catch (...) {
      std::destroy_at(b->key(index_));
      throw;
    }
    b->tophash[index_] = top;
    return {b, index_++};
  }

 private:
  BucketArray<K, V>* array_;
  Bucket<K, V>* bucket_;
  std::size_t index_;
};

// Links empty overflow buckets after the chain at `head` until it has at least
// `slots` slots in all. Throws std::bad_alloc; buckets linked so far stay (empty).
template <class K, class V>
void reserve_chain(BucketArray<K, V>& array, Bucket<K, V>* head, std::size_t slots) {
  Bucket<K, V>* b = head;
  for (std::size_t have = kSlots; have < slots; have += kSlots) {
    b = b->overflow != nullptr ? b->overflow : array.new_overflow(b);
  }
}

enum class Relocate : std::uint8_t {
  kCopy,  // copy entries; the old chain is left as it was (full_rehash: commit later)
  kMove,  // move entries, destroy the old ones, mark old slots evacuated (Go's evacuate)
};

// THE mover (Go's evacuate, minus the bookkeeping): sends every live entry of the
// old chain `head`, which was bucket `index` of an array of 2^old_log2 buckets, to
// `dst`. When dst is twice as large, an entry goes to bucket `index` (X) or
// `index + 2^old_log2` (Y) by the hash bit the doubling adds; at the same size,
// to X. Destination chains must be empty: a new bucket only ever receives entries
// from its own old bucket, and only once.
// kMove first reserves every destination slot, so it either throws std::bad_alloc
// before touching anything or moves the whole chain. kCopy may throw half-way; the
// caller then discards dst. Returns the number of entries relocated.
template <Relocate kMode, class K, class V, class Hash>
std::size_t relocate_chain(Bucket<K, V>* head, std::size_t index, std::uint8_t old_log2,
                           BucketArray<K, V>& dst, const Hash& hash) {
  const bool doubling = dst.log2_buckets() > old_log2;
  const std::uint64_t newbit = std::uint64_t{1} << old_log2;
  Bucket<K, V>* x = dst.bucket(index);
  Bucket<K, V>* y = doubling ? dst.bucket(index + newbit) : nullptr;
  if constexpr (kMode == Relocate::kMove) {
    std::size_t to_x = 0, to_y = 0;
    for (Bucket<K, V>* b = head; b != nullptr; b = b->overflow) {
      for (std::size_t i = 0; i < kSlots; ++i) {
        if (is_live(b->tophash[i])) ++((doubling && (hash(*b->key(i)) & newbit)) ? to_y : to_x);
      }
    }
    reserve_chain(dst, x, to_x);
    if (y != nullptr) reserve_chain(dst, y, to_y);
  }
  ChainWriter<K, V> write_x(dst, x), write_y(dst, doubling ? y : x);
  std::size_t moved = 0;
  for (Bucket<K, V>* b = head; b != nullptr; b = b->overflow) {
    for (std::size_t i = 0; i < kSlots; ++i) {
      std::uint8_t& top = b->tophash[i];
      if (!is_live(top)) {
        if constexpr (kMode == Relocate::kMove) top = kEvacuatedEmpty;
        continue;
      }
      const bool to_y = doubling && (hash(*b->key(i)) & newbit);
      if constexpr (kMode == Relocate::kMove) {
        (to_y ? write_y : write_x).emplace(top, std::move(*b->key(i)), std::move(*b->value(i)));
        b->destroy_slot(i);
        top = to_y ? kEvacuatedY : kEvacuatedX;
      } else {
        (to_y ? write_y : write_x).emplace(top, *b->key(i), *b->value(i));
      }
      ++moved;
    }
  }
  return moved;
}

// The chain accessor of Go's buckets: the overflow pointer.
struct OverflowLink {
  template <class B>
  B* next(B* b) const {
    return b->overflow;
  }
};

// Go's mapdelete tombstone logic for slot i of bucket b in the chain at `head`
// (its entry already destroyed): marks the slot kEmptyOne and, when nothing live
// follows it, turns the trailing run of kEmptyOne slots (back across the chain's
// buckets) into kEmptyRest so probes stop early.
template <class Chain, class B>
void erase_slot(const Chain& chain, B* head, B* b, std::size_t i) {
  b->tophash[i] = kEmptyOne;
  if (i == kSlots - 1) {
    const B* after = chain.next(b);
    if (after != nullptr && after->tophash[0] != kEmptyRest) return;
  } else if (b->tophash[i + 1] != kEmptyRest) {
    return;
  }
  for (;;) {
    b->tophash[i] = kEmptyRest;
    if (i == 0) {
      if (b == head) return;
      const B* c = b;
      for (b = head; chain.next(b) != c; b = chain.next(b)) {
      }
      i = kSlots - 1;
    } else {
      --i;
    }
    if (b->tophash[i] != kEmptyOne) return;
  }
}

// Calls f(b, i) for every live slot i of every bucket b of the chain at `head`.
template <class Chain, class B, class F>
void for_each_live(const Chain& chain, B* head, F&& f) {
  for (B* b = head; b != nullptr; b = chain.next(b)) {
    for (std::size_t i = 0; i < kSlots; ++i) {
      if (is_live(b->tophash[i])) f(b, i);
    }
  }
}

// chain_has_live reports whether the chain at `head` holds a live slot.
template <class Chain, class B>
bool chain_has_live(const Chain& chain, const B* head) {
  bool live = false;
  for_each_live(chain, head, [&](const B*, std::size_t) { live = true; });
  return live;
}

// Calls f(key, value) for every live entry of Go's chain at `head`.
template <class K, class V, class F>
void for_each_in_chain(const Bucket<K, V>* head, F& f) {
  for_each_live(OverflowLink{}, head, [&](const Bucket<K, V>* b, std::size_t i) { f(*b->key(i), *b->value(i)); });
}

// For check_chain: the hash of the key in slot i of a Go bucket.
template <class Hash>
auto key_hash(const Hash& hash) {
  return [&hash](const auto* b, std::size_t i) -> std::uint64_t { return hash(*b->key(i)); };
}

struct ChainCheck {
  std::size_t live = 0;
  std::size_t overflow = 0;
};

// Checks the chain invariants (header) of the chain at `head`, bucket `index` of
// an array with `mask`; hash_of(b, i) hashes slot i's key, visit(b, i) sees each
// live slot. Returns the live slots and overflow buckets found.
template <class Chain, class B, class HashOf, class Visit>
ChainCheck check_chain(const Chain& chain, const B* head, std::size_t index, std::size_t mask, HashOf&& hash_of,
                       Visit&& visit) {
  ChainCheck out;
  bool rest = false;
  for (const B* b = head; b != nullptr; b = chain.next(b)) {
    if (b != head) ++out.overflow;
    for (std::size_t i = 0; i < kSlots; ++i) {
      const std::uint8_t t = b->tophash[i];
      require_invariant(t <= kEmptyOne || t >= kMinTopHash, "evacuation marker in a current bucket");
      require_invariant(!rest || t == kEmptyRest, "slot after kEmptyRest is not kEmptyRest");
      rest = rest || t == kEmptyRest;
      if (!is_live(t)) continue;
      const std::uint64_t h = hash_of(b, i);
      require_invariant((h & mask) == index, "entry in the wrong chain");
      require_invariant(tophash_of(h) == t, "tophash does not match key");
      visit(b, i);
      ++out.live;
    }
  }
  return out;
}

// check_chain over every chain of a current (not old) array, and the array's
// overflow_in_use against the overflow buckets its chains link.
struct NoVisit {
  template <class B>
  void operator()(const B*, std::size_t) const {}
};
template <class Chain, class Array, class HashOf, class Visit = NoVisit>
ChainCheck check_array(const Chain& chain, const Array& array, HashOf&& hash_of, Visit&& visit = {}) {
  ChainCheck total;
  for (std::size_t i = 0; i < array.bucket_count(); ++i) {
    const ChainCheck c = check_chain(chain, array.bucket(i), i, array.mask(), hash_of, visit);
    total.live += c.live;
    total.overflow += c.overflow;
  }
  require_invariant(total.overflow == array.overflow_in_use(), "overflow_in_use differs from linked buckets");
  return total;
}

}  // namespace rehashlab::buckets
