// overflow_slab: Go's growth schedule (maps/go_growth.h) over index buckets whose
// payload lives out of line, so growth never copies a key or value.
//
// Why. Go's map (go_incremental) stores keys and values inline: a doubling copies
// them, and a same-size grow copies them again. With 256-byte values that write
// amplification dominates growth. Here a bucket holds only an index; the payload
// is written once and never moves.
//
// Layout (our design, not Go's).
//  * Payload: ChunkedSlab<Entry> (maps/slab.h): each {key, value} in a cell of a
//    ~1 MiB chunk, addressed by a 32-bit id; erased cells are reused, lowest chunk
//    first. Never a malloc per entry.
//  * Index buckets: one 64-byte cache line: Go's tophash[8], entry ids[8] and an
//    overflow link (1 + an id in a second ChunkedSlab<IndexBucket>, shared by both
//    arrays; 0 ends the chain). Padding to the line keeps a probe to one line (a
//    hit already pays a second, dependent miss in the payload slab).
//  * Index arrays: 2^B head buckets in a ZeroedArray. No 2^(B-4) preallocation:
//    the bucket slab's chunks are the preallocation, and buckets freed by
//    evacuation are reused.
// Lookup matches a bucket's 8 tophash bytes in one word operation (slots_equal; Go
// loops over the bytes) and reads the key from the slab only on a match, so a miss
// touches index buckets only.
//
// Growth: go_growth.h, with the old array freed at completion. Evacuating old
// bucket i copies each live slot's {tophash, id} to X or Y, reading the key from
// the slab to rehash it; the payload is never written.
//
// Invariants (check_invariants): go_growth's; chains keep the chain invariants;
// size() == reachable live slots == live payload cells, every reachable id a
// distinct live cell; the bucket slab's live cells are the overflow buckets linked
// by both arrays; the slabs' own invariants. Space: reserved payload chunks <=
// chunks holding a live entry + 1 (slab.h), so steady churn adds no chunks; index
// arrays never shrink (as in Go); same-size grows reclaim overflow buckets.
//
// Deliberate differences from Go: the payload out of line (the point); overflow
// buckets from a shared slab; the run's seeded hash as is (no per-map hash0); an
// erase whose growWork cannot allocate skips it (the next write retries) instead
// of failing; the rest as go_growth.h.
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
#include "maps/go_growth.h"
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
using buckets::kSlots;
using buckets::is_live;

struct alignas(ZeroedArray::kCacheLine) IndexBucket {
  std::uint8_t tophash[kSlots];  // Go's tophash of a live slot's key, or a marker
  std::uint32_t entry[kSlots];   // payload slab id of the slot's entry (live slots)
  std::uint32_t overflow;        // 1 + bucket-slab id of the next bucket; 0 ends the chain
};
static_assert(sizeof(IndexBucket) == ZeroedArray::kCacheLine && std::is_trivially_copyable_v<IndexBucket>);

using BucketSlab = ChunkedSlab<IndexBucket>;

// The chain accessor (bucket_layout.h): overflow links are ids in the bucket slab.
struct SlabChain {
  const BucketSlab* slab;
  template <class B>
  B* next(B* b) const {
    return b->overflow != 0 ? slab->at(b->overflow - 1) : nullptr;
  }
};

// 2^B head buckets and the count of overflow buckets linked into its chains
// (Go's noverflow, exact).
class IndexArray {
 public:
  IndexArray() = default;
  IndexArray(MemoryCounter& mem, std::uint8_t log2_buckets, AllocMode fill)
      : log2_buckets_(log2_buckets), storage_(mem, (std::size_t{1} << log2_buckets) * sizeof(IndexBucket), fill) {}
  IndexArray(IndexArray&& o) noexcept { *this = std::move(o); }
  IndexArray& operator=(IndexArray&& o) noexcept {
    log2_buckets_ = o.log2_buckets_;
    overflow_in_use_ = std::exchange(o.overflow_in_use_, 0);
    storage_ = std::move(o.storage_);
    return *this;
  }

  explicit operator bool() const { return static_cast<bool>(storage_); }
  std::uint8_t log2_buckets() const { return log2_buckets_; }
  std::size_t bucket_count() const { return std::size_t{1} << log2_buckets_; }
  std::size_t mask() const { return bucket_count() - 1; }
  IndexBucket* bucket(std::size_t i) const { return static_cast<IndexBucket*>(storage_.data()) + i; }
  std::size_t mapped_bytes() const { return storage_ ? storage_.size_bytes() - storage_.released_bytes() : 0; }
  ZeroedArray& storage() { return storage_; }
  const ZeroedArray& storage() const { return storage_; }
  std::size_t overflow_in_use() const { return overflow_in_use_; }
  void count_overflow(std::ptrdiff_t linked) { overflow_in_use_ += linked; }

 private:
  std::uint8_t log2_buckets_ = 0;
  std::size_t overflow_in_use_ = 0;
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

// Slots of `b` whose byte equals `byte`: bit 8i+7 is set iff b->tophash[i] == byte
// (exact: no false positives, unlike the cheaper haszero trick). One 8-byte
// load and a few ALU operations instead of a loop of 8 compare-and-branch steps.
inline std::uint64_t slots_equal(const IndexBucket* b, std::uint8_t byte) {
  constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
  std::uint64_t word;
  std::memcpy(&word, b->tophash, sizeof(word));
  const std::uint64_t x = word ^ (0x0101010101010101ull * byte);  // zero byte where equal
  return ~(((x & kLow7) + kLow7) | x | kLow7);
}
inline unsigned first_slot(std::uint64_t slots) { return static_cast<unsigned>(std::countr_zero(slots)) / 8; }

// THE probe loop. Matches all 8 tophash bytes of a bucket at once (slots_equal);
// calls key_matches(id) (the only slab access) per tophash match, in slot
// order. A bucket holding a kEmptyRest slot ends the chain: no live slot follows
// one (check_chain enforces it), so no match hides behind it.
// With kTrackFree, remembers the chain's first empty slot.
template <bool kTrackFree, class KeyMatches>
REHASHLAB_ALWAYS_INLINE IndexProbe probe_chain(const BucketSlab& slab, IndexBucket* head, std::uint8_t top,
                                               KeyMatches&& key_matches) {
  static_assert(kEmptyRest == 0 && kEmptyOne == 1, "slots_equal(b, kEmptyOne) | rest finds empties");
  IndexProbe p;
  for (IndexBucket* b = head; b != nullptr; b = SlabChain{&slab}.next(b)) {
    p.tail = b;
    for (std::uint64_t m = slots_equal(b, top); m != 0; m &= m - 1) {
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
  void put(std::uint8_t top, std::uint32_t id) {
    if (index_ == kSlots) {
      bucket_ = bucket_->overflow != 0 ? SlabChain{slab_}.next(bucket_) : link_overflow(bucket_);
      index_ = 0;
    }
    bucket_->tophash[index_] = top;
    bucket_->entry[index_] = id;
    ++index_;
  }

 private:
  IndexBucket* link_overflow(IndexBucket* tail) {
    const std::uint32_t id = slab_->allocate();
    IndexBucket* b = slab_->at(id);
    std::memset(static_cast<void*>(b), 0, sizeof(IndexBucket));
    tail->overflow = id + 1;
    array_->count_overflow(+1);
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
    array.count_overflow(-1);
    link = next_link;
  }
}

// THE mover (Go's evacuate): sends every live slot of old chain `head` (bucket
// `index` of an array of 2^old_log2) to `dst`, X or Y by the hash bit the doubling
// adds (X only at the same size), then marks the old head evacuated and frees the
// old overflow buckets. Only {tophash, id} move; hash_of(id) reads the key.
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
    for (IndexBucket* b = head; b != nullptr; b = SlabChain{&slab}.next(b)) {
      for (unsigned i = 0; i < kSlots; ++i) {
        const std::uint8_t t = b->tophash[i];
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
  std::memcpy(head->tophash, head_marks, kSlots);
  return moved;
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
  static constexpr go_growth::Release kRelease{.batch_bytes = 0, .per_write_bytes = 128 << 10, .retire = false};

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = "overflow_slab";
  static constexpr bool kInHouse = true;

  OverflowSlabMap(const Hash& hash, MemoryCounter& mem, AllocMode mode = AllocMode::kFresh)
      : hash_(hash), payload_(mem), overflow_(mem), growth_(mem, mode) {}
  OverflowSlabMap(const OverflowSlabMap&) = delete;
  OverflowSlabMap& operator=(const OverflowSlabMap&) = delete;
  ~OverflowSlabMap() { destroy_entries(); }

  bool insert_or_assign(const K& key, const V& value) {
    growth_.begin_write();
    const std::uint64_t h = hash_(key);
    const std::uint8_t top = buckets::tophash_of(h);
    growth_.ensure_array();
    Layout layout{this};
    for (;;) {
      IndexArray& array = growth_.current();
      growth_.grow_work(layout, h & array.mask());
      IndexBucket* head = array.bucket(h & array.mask());
      const auto probe = slab_index::probe_chain<true>(overflow_, head, top, key_is(key));
      if (probe.found) {
        payload_.at(probe.found.id())->value = value;
        return false;
      }
      if (growth_.grow_if_needed(layout, count_)) continue;  // Go: "goto again"
      const std::uint32_t id = payload_.emplace(key, value);
      try {
        auto writer = probe.first_free
                          ? slab_index::ChainWriter(overflow_, array, probe.first_free.bucket, probe.first_free.index)
                          : slab_index::ChainWriter(overflow_, array, probe.tail, buckets::kSlots);
        writer.put(top, id);
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
    const auto probe =
        slab_index::probe_chain<false>(overflow_, growth_.chain_of(h), buckets::tophash_of(h), key_is(key));
    return probe.found ? &payload_.at(probe.found.id())->value : nullptr;
  }

  bool erase(const K& key) {
    growth_.begin_write();
    if (count_ == 0) return false;
    const std::uint64_t h = hash_(key);
    try {
      Layout layout{this};
      growth_.grow_work(layout, h & growth_.current().mask());
    } catch (const std::bad_alloc&) {
      // The migration step could not allocate; skip it (the next write retries)
      // and erase the key where it is now.
    }
    IndexBucket* head = growth_.chain_of(h);
    const auto probe = slab_index::probe_chain<false>(overflow_, head, buckets::tophash_of(h), key_is(key));
    if (!probe.found) return false;
    const std::uint32_t id = probe.found.id();
    buckets::erase_slot(chain(), head, probe.found.bucket, probe.found.index);
    payload_.destroy(id);
    --count_;
    return true;
  }

  std::size_t size() const { return count_; }

  void clear() {
    destroy_entries();
    growth_.drop_old();
    growth_.current() = IndexArray();
    payload_.release_all();
    overflow_.release_all();
    count_ = 0;
  }

  template <class F>
  void for_each(F&& f) const {
    for_each_id([&](std::uint32_t id) {
      const Entry& e = *payload_.at(id);
      f(e.key, e.value);
    });
  }

  ResizeCounters resize_counters() const { return growth_.resize_counters(); }

  // go_growth's counters, then the slabs'.
  template <class F>
  void for_each_counter(F&& f) const {
    growth_.for_each_counter(f);
    f("overflow_in_use", overflow_.live());  // overflow buckets linked into both arrays
    f("slab_bytes_reserved", payload_.reserved_bytes());  // payload chunk memory held
    f("slab_bytes_in_use", payload_.in_use_bytes());      // of which live cells
    f("slab_chunks_reserved", payload_.chunks_reserved());  // payload chunks mapped
    f("overflow_bytes_reserved", overflow_.reserved_bytes());  // bucket-slab chunk memory held
    f("index_array_bytes", growth_.old_bytes_held() + growth_.current().mapped_bytes());  // head arrays mapped
  }

  void maintenance(std::chrono::nanoseconds) {}  // Go has no idle-time work

  void check_invariants() const {
    require_invariant(resize_counters().payload_bytes_moved == 0, "growth copied payload");
    const IndexArray& array = growth_.current();
    if (!array) {
      require_invariant(count_ == 0 && !growth_.old() && payload_.live() == 0 && overflow_.live() == 0,
                        "entries or buckets without an index array");
    } else {
      const std::vector<bool> live_ids = payload_.live_cells();
      std::vector<bool> seen(live_ids.size(), false);
      std::size_t reachable = 0;
      auto visit = [&](const IndexBucket* b, std::size_t i) {
        const std::uint32_t id = b->entry[i];
        require_invariant(id < live_ids.size() && live_ids[id], "slot points at a free payload cell");
        require_invariant(!seen[id], "two slots point at one payload cell");
        seen[id] = true;
        ++reachable;
      };
      auto hash_of = [&](const IndexBucket* b, std::size_t i) { return hash_(payload_.at(b->entry[i])->key); };
      growth_.check_invariants(chain(), [&](const IndexBucket* head, std::size_t i, std::size_t mask) {
        return buckets::check_chain(chain(), head, i, mask, hash_of, visit);
      });
      buckets::check_array(chain(), array, hash_of, visit);
      require_invariant(reachable == count_, "size() differs from reachable live slots");
      require_invariant(payload_.live() == count_, "live payload cells differ from size()");
      require_invariant(overflow_.live() == array.overflow_in_use() + growth_.old().overflow_in_use(),
                        "bucket slab holds unlinked buckets");
    }
    payload_.check_invariants();
    overflow_.check_invariants();
  }

  // For tests.
  bool growing() const { return growth_.growing(); }
  std::size_t nevacuate() const { return growth_.nevacuate(); }
  std::size_t slab_bytes_reserved() const { return payload_.reserved_bytes(); }
  std::size_t slab_chunks_reserved() const { return payload_.chunks_reserved(); }
  std::size_t overflow_in_use() const { return overflow_.live(); }

 private:
  // The layout half of Go's evacuate, for go_growth: only {tophash, id} move.
  struct Layout {
    OverflowSlabMap* map;
    static constexpr std::size_t kPayloadBytesPerEntry = 0;
    static constexpr std::size_t kIndexBytesPerEntry = 1 + sizeof(std::uint32_t);  // tophash + id
    std::size_t relocate(IndexArray& old, std::size_t i, IndexArray& dst) const {
      return slab_index::relocate_chain(map->overflow_, old, i, dst,
                                        [m = map](std::uint32_t id) { return m->hash_(m->payload_.at(id)->key); });
    }
    void debug_check() const { REHASHLAB_DEBUG_CHECK(*map); }
  };

  slab_index::SlabChain chain() const { return {&overflow_}; }

  auto key_is(const K& key) const {
    return [this, &key](std::uint32_t id) { return payload_.at(id)->key == key; };
  }

  template <class F>
  void for_each_id(F&& f) const {
    growth_.for_each_chain([&](const IndexBucket* head) {
      buckets::for_each_live(chain(), head, [&](const IndexBucket* b, std::size_t i) { f(b->entry[i]); });
    });
  }

  void destroy_entries() noexcept {
    if constexpr (!std::is_trivially_destructible_v<Entry>) {
      for_each_id([this](std::uint32_t id) { std::destroy_at(payload_.at(id)); });
    }
  }

  Hash hash_;
  ChunkedSlab<Entry> payload_;       // keys and values, written once
  slab_index::BucketSlab overflow_;  // overflow index buckets of both arrays
  go_growth::Schedule<IndexArray, kRelease> growth_;
  std::size_t count_ = 0;
};

}  // namespace rehashlab
