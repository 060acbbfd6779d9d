// The bucket layout of Go's classic runtime map (runtime/map.go up to Go 1.23),
// shared by `full_rehash` and `go_incremental` so that comparing the two isolates
// the growth strategy: same buckets, same probe, same load factor, same overflow
// handling; only when and how entries move on growth differs.
//
// Layout. A table is 2^B buckets. A bucket holds 8 slots:
//
//   tophash[8]   one byte per slot: the hash's top byte for a live entry (values
//                below kMinTopHash are shifted up by kMinTopHash), or a marker:
//                kEmptyRest, kEmptyOne, kEvacuatedX/Y/Empty (see enum below)
//   keys[8]      keys together, then values together (no padding between a key
//   values[8]    and its value, as Go does for e.g. map[int64]int8)
//   overflow     next bucket of the chain, or null
//
// A key with hash h lives in the chain starting at bucket h & (2^B - 1). Lookup
// compares tophash bytes first and touches a key only on a tophash match; a
// kEmptyRest slot ends the search early (nothing live follows it in the chain).
//
// Overflow buckets. When the array has 2^B buckets with B >= 4, 2^(B-4) overflow
// buckets are allocated with it (at its end, as Go's makeBucketArray) and handed out
// before any new allocation; further ones are allocated one by one through the
// map's MemoryCounter. A zero-filled bucket is a valid empty bucket, so arrays come
// from ZeroedArray (fresh zero pages, no O(n) fill, in the default mode).
//
// Write each loop once: probe_chain() is the only lookup loop (find, insert and
// erase all use it), ChainWriter the only "append to a chain" loop (insert and
// evacuation), erase_slot() the only tombstone logic.
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

// Go's overLoadFactor(count, B).
constexpr bool over_load_factor(std::uint64_t count, std::uint8_t log2_buckets) {
  return count > kSlots && count > kLoadFactorNum * ((std::uint64_t{1} << log2_buckets) / kLoadFactorDen);
}
// Go's tooManyOverflowBuckets(noverflow, B) is `noverflow >= 2^min(B, 15)`, but
// Go's noverflow is exact only while B < 16: above that, incrnoverflow adds 1 with
// probability 2^-(B-15), so the test fires at about 2^(B-15) * 2^15 = 2^B overflow
// buckets for every B. Counting exactly, the equivalent rule is overflow >= 2^B.
// (Taking 2^min(B, 15) literally with an exact count fires on every insert once
// B >= 18: at 6.5 entries per bucket about a fifth of the buckets need overflow.)
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
  // Go's evacuated(b): the first slot of an evacuated bucket always holds a marker.
  bool evacuated() const { return tophash[0] > kEmptyOne && tophash[0] < kMinTopHash; }

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
  std::size_t bytes() const { return storage_.size_bytes(); }
  ZeroedArray& storage() { return storage_; }
  std::size_t released_bytes() const { return storage_.released_bytes(); }  // unmapped prefix

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

// Go's mapdelete tombstone logic: destroys the entry, marks its slot kEmptyOne,
// and, when nothing live follows it, turns the trailing run of kEmptyOne slots
// (walking back across buckets of the chain) into kEmptyRest so probes stop early.
template <class K, class V>
void erase_slot(Bucket<K, V>* head, SlotRef<K, V> slot) {
  Bucket<K, V>* b = slot.bucket;
  std::size_t i = slot.index;
  b->destroy_slot(i);
  b->tophash[i] = kEmptyOne;
  const bool last_live = (i == kSlots - 1)
                             ? (b->overflow == nullptr || b->overflow->tophash[0] == kEmptyRest)
                             : b->tophash[i + 1] == kEmptyRest;
  if (!last_live) return;
  for (;;) {
    b->tophash[i] = kEmptyRest;
    if (i == 0) {
      if (b == head) return;
      Bucket<K, V>* c = b;
      for (b = head; b->overflow != c; b = b->overflow) {
      }
      i = kSlots - 1;
    } else {
      --i;
    }
    if (b->tophash[i] != kEmptyOne) return;
  }
}

// Calls f(key, value) for every live entry of the chain at `head`.
template <class K, class V, class F>
void for_each_in_chain(const Bucket<K, V>* head, F& f) {
  for (const Bucket<K, V>* b = head; b != nullptr; b = b->overflow) {
    for (std::size_t i = 0; i < kSlots; ++i) {
      if (is_live(b->tophash[i])) f(*b->key(i), *b->value(i));
    }
  }
}

// Checks the per-chain invariants every table with this layout keeps:
//  * a live slot's key hashes to this chain and its tophash matches the key;
//  * after a kEmptyRest slot, every later slot of the chain is kEmptyRest;
//  * no evacuation marker appears in a chain of the current array.
// Returns the number of live entries and overflow buckets, for the caller's totals.
struct ChainCheck {
  std::size_t live = 0;
  std::size_t overflow = 0;
};
template <class K, class V, class Hash>
ChainCheck check_chain(const Bucket<K, V>* head, std::size_t bucket_index, std::size_t mask, const Hash& hash) {
  ChainCheck out;
  bool rest = false;
  for (const Bucket<K, V>* b = head; b != nullptr; b = b->overflow) {
    if (b != head) ++out.overflow;
    for (std::size_t i = 0; i < kSlots; ++i) {
      const std::uint8_t t = b->tophash[i];
      require_invariant(t <= kEmptyOne || t >= kMinTopHash, "evacuation marker in a current bucket");
      if (rest) require_invariant(t == kEmptyRest, "slot after kEmptyRest is not kEmptyRest");
      if (t == kEmptyRest) rest = true;
      if (is_live(t)) {
        const std::uint64_t h = hash(*b->key(i));
        require_invariant((h & mask) == bucket_index, "entry in the wrong chain");
        require_invariant(tophash_of(h) == t, "tophash does not match key");
        ++out.live;
      }
    }
  }
  return out;
}

// check_chain over every chain of a current (not old) array; also checks that the
// array's overflow_in_use equals the overflow buckets linked into its chains.
// Returns the live entries and overflow buckets found.
template <class K, class V, class Hash>
ChainCheck check_array(const BucketArray<K, V>& array, const Hash& hash) {
  ChainCheck total;
  for (std::size_t i = 0; i < array.bucket_count(); ++i) {
    const ChainCheck c = check_chain(array.bucket(i), i, array.mask(), hash);
    total.live += c.live;
    total.overflow += c.overflow;
  }
  require_invariant(total.overflow == array.overflow_in_use(), "overflow_in_use differs from linked buckets");
  return total;
}

}  // namespace rehashlab::buckets
