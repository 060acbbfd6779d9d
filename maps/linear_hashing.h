// linear_hashing: Litwin's linear hashing ("Linear hashing: a new tool for file
// and table addressing", VLDB 1980) over Larson's segmented bucket array
// ("Dynamic hash tables", CACM 31(4), 1988). The table grows one bucket at a time,
// in address order, with no second table and no copy of the bucket array.
//
// Addressing (Litwin's h_i / h_{i+1}). N = 2^level + p buckets, 0 <= p < 2^level
// (p: the split pointer). A key with hash h lives in bucket a = h mod 2^level, or,
// if a < p (its bucket was split this round), h mod 2^(level+1).
//
// Layout. Buckets live in fixed-size segments of S buckets (S: the power of two
// that makes a segment 64-128 KiB; 512 buckets for u64 -> u64), reached through a
// directory of segment pointers: bucket a is segment[a / S][a % S] (Larson's
// directory and segments). A new bucket either lies in an existing segment or is
// the first of a new one, so growing the bucket array allocates at most one
// segment and never moves a bucket.
//
// Buckets. Inline buckets with overflow chains, chosen for speed: a bucket holds
// 8 slots (key then value, side by side) behind an 8-byte word of 1-byte
// fingerprints (the hash's top byte, 0 reserved for "empty") and an overflow
// pointer. A lookup compares the 8 fingerprints at once (SWAR, exact: no false
// positives) and touches a key only on a fingerprint match, so a hit usually
// costs the bucket's first cache line plus its slot's; and an insert allocates
// nothing unless its chain is full. (Larson's chained records cost one node per
// entry and one dependent cache miss per record visited.) Chains are kept dense:
// the live slots of a chain are a prefix of it -- every bucket but the last is
// full -- because erase moves the chain's last entry into the hole. So the first
// non-full bucket ends every search, there are no tombstones, and an overflow
// bucket leaves its chain as soon as it empties. Emptied overflow buckets go to
// a list of spares that later overflows take first (growth keeps freeing and
// needing them); each erase returns up to two spares to the allocator while more
// than 16 exceed the overflow buckets in use.
//
// Growth (Litwin's controlled splitting). The load is n / N entries per bucket.
// Before an insert of a new key would make n > 6N (load factor 6/8 = 0.75 of the
// 8 slots), the map splits bucket p: each entry of p's chain with hash bit
// 2^level set moves to the new bucket p + 2^level, the others are compacted in
// place; then p += 1, and when p reaches 2^level the round ends: p = 0, level += 1.
// One split per insert, at most, and only on an insert that crosses the
// threshold: each split adds room for 6 more entries at the same load, so a single
// step per insert holds n <= 6N after every operation (not just on average).
// Each step moves the entries of one chain: about 6 on average at the start of a
// round and about 12 at its end (an unsplit bucket covers twice the hash space of
// a split one), with a Poisson tail.
//
// Shrinking (the same in reverse). After an erase leaves n < 3N (load 0.375) and
// N > 1: p -= 1 (or, at p == 0, level -= 1 and p = 2^level - 1), and bucket
// p + 2^level is merged into bucket p. The hysteresis is a factor of 2: a split
// leaves n >= 3N, a merge leaves n <= 6N, so no sequence of single inserts and
// erases alternates splits and merges without the load moving between 3 and 6
// per bucket. One merge per erase keeps up (each merge lowers the floor 3N by 3
// entries). A merge needs overflow buckets only when both chains together
// overflow the target; if that allocation fails the merge is skipped (erase never
// throws) and the next erase tries again, up to 2 merges.
//
// The segment directory. It holds one pointer per segment and doubles when full,
// but the doubling is never a copy on one operation: once more than half of it is
// in use, a shadow directory of twice the size is allocated and the next splits
// copy one pointer each into it (segment pointers set or cleared meanwhile are
// written to both); when the first segment beyond the old directory is needed,
// the shadow is complete -- at least S/2 times more splits than pointers to copy
// have happened -- and simply replaces it. The old directory is freed then.
//
// Cost of one operation: an insert performs at most one split (the entries of one
// chain), one segment allocation, one shadow-directory allocation (a ZeroedArray
// in the map's AllocMode, 16 bytes per segment in use; with kFresh it is
// zero-filled only below 64 KiB) and one directory pointer copy; an erase at most
// two merges (two only to catch up after a failed allocation). Nothing grows with
// n except through chain lengths, which a good hash keeps short.
//
// Invariants (check_invariants):
//  * 0 <= p < 2^level, N = 2^level + p; segments = ceil(N / S), each present in
//    the directory exactly at indices below that; every bucket of an allocated
//    segment at index >= N is empty;
//  * every entry is in the bucket the address function selects for its hash, its
//    fingerprint byte matches, and a lookup finds this very slot (no duplicates);
//  * chains are dense (live slots a prefix; overflow only after a full bucket; no
//    empty overflow bucket); overflow_buckets counts the buckets linked, and
//    spare_count the spare list;
//  * n = sum of entries; n <= 6N; n >= 3N unless N == 1 or a merge was skipped;
//  * rounds started = rounds ended + (1 if p != 0); the last operation did at most
//    one split or two merges;
//  * directory: a power-of-two capacity; without a shadow, at most half in use;
//    a shadow has twice the capacity and matches the directory below its copy
//    cursor, which is within the capacity.
//
// ResizeCounters. A round (the split pointer's trip from 0 back to 0) is one
// migration from 2^level to 2^(level+1) buckets: grows_started counts the steps
// that move p away from 0 (a split from p == 0, or a merge from p == 0, which
// starts a shrinking round), migrations_completed those that bring it back, and
// migrating is p != 0. Counting every split step as a resize instead would make
// the harness record tens of millions of resizes at 20M entries. Each step is a
// bounded stop-the-world step; for_each_counter reports them one by one.
// entries_moved / payload_bytes_moved count every entry a split or merge copied
// (split off to the new bucket, or slid down within its chain), with its key and
// value bytes; index_bytes_moved counts the fingerprint byte of each copied entry
// and 8 bytes per directory pointer written. old_arrays_freed stays 0: buckets
// never move to another array.
//
// Deliberate differences from Litwin and Larson: in-memory buckets of 8 slots
// with overflow chains compacted on erase (Larson's in-memory variant chains
// single records); the load thresholds are constants; the directory doubles
// through a shadow copy instead of being preallocated at its maximum size; the
// hash is the run's SeededHash (64 bits, so no pseudo-key conversion).
#pragma once

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include "maps/map_api.h"
#include "maps/memory.h"

namespace rehashlab {

template <class K, class V, class Hash = SeededHash<K>>
class LinearHashingMap {
  static_assert(std::is_nothrow_move_constructible_v<K> && std::is_nothrow_move_constructible_v<V>,
                "splits and merges move keys and values after allocating, and must not fail half-way");

  struct Slot {
    alignas(K) unsigned char key[sizeof(K)];
    alignas(V) unsigned char value[sizeof(V)];
  };
  struct Bucket {
    std::uint64_t tags;  // byte i: fingerprint of slot i, 0 = empty; live slots are a prefix
    Bucket* overflow;    // the next bucket of the chain; non-null only when this one is full
    Slot slots[8];
    void* key_addr(std::size_t i) { return slots[i].key; }
    void* value_addr(std::size_t i) { return slots[i].value; }
    K* key(std::size_t i) { return std::launder(reinterpret_cast<K*>(slots[i].key)); }
    V* value(std::size_t i) { return std::launder(reinterpret_cast<V*>(slots[i].value)); }
    const K* key(std::size_t i) const { return std::launder(reinterpret_cast<const K*>(slots[i].key)); }
    const V* value(std::size_t i) const { return std::launder(reinterpret_cast<const V*>(slots[i].value)); }
    void destroy(std::size_t i) {
      std::destroy_at(key(i));
      std::destroy_at(value(i));
    }
  };
  static_assert(alignof(Bucket) <= 64, "segments align buckets to 64 bytes at most");

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = "linear_hashing";
  static constexpr bool kInHouse = true;

  static constexpr std::size_t kSlots = 8;
  static constexpr std::size_t kSplitLoad = 6;  // split before n would exceed 6 entries per bucket
  static constexpr std::size_t kMergeLoad = 3;  // merge once n falls below 3 entries per bucket
  static constexpr std::size_t kMaxMergesPerErase = 2;
  // Buckets per segment: the power of two that makes a segment 64-128 KiB.
  static constexpr std::size_t kSegmentBuckets =
      std::bit_ceil((std::size_t{64} * 1024 + sizeof(Bucket) - 1) / sizeof(Bucket));
  static constexpr std::size_t kInitialDirectory = 2;  // segment pointers
  static constexpr std::size_t kSpareSlack = 16;  // spare overflow buckets kept beyond those in use

  LinearHashingMap(const Hash& hash, MemoryCounter& mem, AllocMode mode = AllocMode::kFresh)
      : hash_(hash), mem_(&mem), mode_(mode) {}
  LinearHashingMap(const LinearHashingMap&) = delete;
  LinearHashingMap& operator=(const LinearHashingMap&) = delete;
  ~LinearHashingMap() { release_all(); }

  bool insert_or_assign(const K& key, const V& value) {
    const std::uint64_t h = hash_(key);
    const std::uint8_t tag = fingerprint(h);
    if (dir_ == nullptr) initialize();  // may throw: nothing changed
    Bucket* tail = nullptr;
    for (Bucket* b = bucket_at(address(h)); b != nullptr; b = b->overflow) {
      for (std::uint64_t m = match(b->tags, tag); m != 0; m &= m - 1) {
        const std::size_t i = static_cast<std::size_t>(std::countr_zero(m)) >> 3;
        if (*b->key(i) == key) {
          *b->value(i) = value;
          return false;
        }
      }
      tail = b;
    }
    last_op_steps_ = 0;
    if (size_ + 1 > kSplitLoad * bucket_count()) {
      split_step();  // may throw: nothing changed
      tail = chain_tail(bucket_at(address(h)));
    }
    append(tail, tag, key, value);  // may throw: only the split happened
    ++size_;
    return true;
  }

  REHASHLAB_ALWAYS_INLINE const V* find(const K& key) {
    if (size_ == 0) return nullptr;
    return lookup(hash_(key), key);
  }

  bool erase(const K& key) {
    if (size_ == 0) return false;
    const std::uint64_t h = hash_(key);
    const std::uint8_t tag = fingerprint(h);
    Bucket* prev = nullptr;
    for (Bucket* b = bucket_at(address(h)); b != nullptr; prev = b, b = b->overflow) {
      for (std::uint64_t m = match(b->tags, tag); m != 0; m &= m - 1) {
        const std::size_t i = static_cast<std::size_t>(std::countr_zero(m)) >> 3;
        if (*b->key(i) == key) {
          remove_slot(prev, b, i);
          --size_;
          last_op_steps_ = 0;
          shrink_if_needed();
          trim_spares(2);
          return true;
        }
      }
    }
    return false;
  }

  std::size_t size() const { return size_; }

  // Drops everything, memory included; the map starts over from one bucket.
  void clear() {
    if (p_ != 0) ++counters_.migrations_completed;  // the round is abandoned
    release_all();
    dir_storage_.reset();
    shadow_storage_.reset();
    dir_ = shadow_ = nullptr;
    dir_cap_ = shadow_copied_ = segments_ = 0;
    size_ = 0;
    set_level(0);
    p_ = 0;
    merge_debt_ = false;
  }

  template <class F>
  void for_each(F&& f) const {
    const std::size_t n = bucket_count();
    for (std::size_t a = 0; a < n; ++a) {
      for (const Bucket* b = bucket_at(a); b != nullptr; b = b->overflow) {
        for (std::size_t i = 0, c = count(b->tags); i < c; ++i) f(*b->key(i), *b->value(i));
      }
    }
  }

  ResizeCounters resize_counters() const {
    ResizeCounters c = counters_;
    c.migrating = p_ != 0;
    return c;
  }

  // Counters (cumulative unless marked "now"):
  //  splits / merges          split and merge steps
  //  entries_split_off        entries moved to the new bucket by splits
  //  entries_compacted        entries slid down within their chain by splits
  //  entries_merged           entries moved by merges
  //  max_entries_moved_one_op the most entries one insert or erase copied
  //  max_steps_one_op         the most split/merge steps one operation did
  //  level / split_pointer / buckets / segments / overflow_buckets   (now)
  //  spare_overflow_buckets   free overflow buckets the map keeps for reuse (now)
  //  directory_capacity       segment pointers the directory holds (now)
  //  directory_switches       shadow directories that replaced the directory
  //  directory_pointers_copied  pointers copied into shadows
  //  directory_forced_copies  pointers copied at a switch (0 unless the schedule failed)
  //  merge_alloc_failures     merges skipped because an overflow bucket failed to allocate
  template <class F>
  void for_each_counter(F&& f) const {
    f("splits", splits_);
    f("merges", merges_);
    f("entries_split_off", entries_split_off_);
    f("entries_compacted", entries_compacted_);
    f("entries_merged", entries_merged_);
    f("max_entries_moved_one_op", max_entries_moved_one_op_);
    f("max_steps_one_op", max_steps_one_op_);
    f("level", level_);
    f("split_pointer", p_);
    f("buckets", bucket_count());
    f("segments", segments_);
    f("overflow_buckets", overflow_buckets_);
    f("spare_overflow_buckets", spare_count_);
    f("directory_capacity", dir_cap_);
    f("directory_switches", directory_switches_);
    f("directory_pointers_copied", directory_pointers_copied_);
    f("directory_forced_copies", directory_forced_copies_);
    f("merge_alloc_failures", merge_alloc_failures_);
  }

  void maintenance(std::chrono::nanoseconds) {}  // all work happens on inserts and erases

  void check_invariants() const {
    require_invariant(counters_.grows_started == counters_.migrations_completed + (p_ != 0 ? 1 : 0),
                      "rounds started != rounds ended (+1 while p != 0)");
    require_invariant(last_op_steps_ <= kMaxMergesPerErase, "an operation did more than its split/merge steps");
    if (dir_ == nullptr) {
      require_invariant(size_ == 0 && segments_ == 0 && overflow_buckets_ == 0 && spares_ == nullptr && p_ == 0 &&
                            level_ == 0 && shadow_ == nullptr && !dir_storage_,
                        "entries, segments or a split state without a directory");
      return;
    }
    require_invariant(p_ < (std::size_t{1} << level_), "split pointer past 2^level");
    require_invariant(low_mask_ == (std::size_t{1} << level_) - 1 && high_mask_ == 2 * low_mask_ + 1,
                      "address masks do not match level");
    const std::size_t n = bucket_count();
    const std::size_t segments = (n + kSegmentBuckets - 1) / kSegmentBuckets;
    require_invariant(segments_ == segments, "segments != ceil(buckets / S)");
    require_invariant(std::has_single_bit(dir_cap_) && dir_cap_ >= kInitialDirectory &&
                          dir_storage_.size_bytes() == dir_cap_ * sizeof(Bucket*) && dir_ == dir_storage_.data(),
                      "directory storage does not match its capacity");
    require_invariant(segments_ <= dir_cap_, "more segments than directory entries");
    for (std::size_t s = 0; s < dir_cap_; ++s) {
      require_invariant((dir_[s] != nullptr) == (s < segments_), "a segment is missing, or present beyond N");
    }
    if (shadow_ == nullptr) {
      require_invariant(!shadow_storage_ && shadow_copied_ == 0 && segments_ <= dir_cap_ / 2,
                        "more than half the directory in use without a shadow");
    } else {
      require_invariant(shadow_storage_.size_bytes() == 2 * dir_cap_ * sizeof(Bucket*) &&
                            shadow_ == shadow_storage_.data(),
                        "shadow directory is not twice the directory");
      require_invariant(shadow_copied_ <= dir_cap_, "shadow copy cursor past the directory");
      for (std::size_t s = 0; s < 2 * dir_cap_; ++s) {
        if (s < shadow_copied_) require_invariant(shadow_[s] == dir_[s], "shadow differs below its copy cursor");
        if (s >= dir_cap_) require_invariant(shadow_[s] == nullptr, "shadow has a segment beyond the directory");
      }
    }
    std::size_t entries = 0, overflow = 0;
    for (std::size_t a = 0; a < segments_ * kSegmentBuckets; ++a) {
      const Bucket* head = bucket_at(a);
      if (a >= n) {
        require_invariant(head->tags == 0 && head->overflow == nullptr, "a bucket beyond N is not empty");
        continue;
      }
      const ChainCheck c = check_chain(a);
      entries += c.entries;
      overflow += c.overflow;
    }
    require_invariant(entries == size_, "size() differs from the entries in the buckets");
    require_invariant(overflow == overflow_buckets_, "overflow_buckets differs from the buckets linked");
    std::size_t spares = 0;
    for (const Bucket* b = spares_; b != nullptr; b = b->overflow) {
      require_invariant(++spares <= spare_count_, "more spare buckets than counted (or a cycle)");
    }
    require_invariant(spares == spare_count_, "spare count differs from the spare list");
    check_load();
  }

  // --- Test-only observability -------------------------------------------------
  std::size_t bucket_count() const { return dir_ == nullptr ? 0 : (std::size_t{1} << level_) + p_; }
  unsigned level() const { return level_; }
  std::size_t split_pointer() const { return p_; }
  std::size_t last_op_steps() const { return last_op_steps_; }
  std::size_t last_op_entries_moved() const { return last_op_moved_; }
  AllocMode alloc_mode() const { return mode_; }
  static constexpr std::size_t bucket_bytes() { return sizeof(Bucket); }

 private:
  static constexpr std::size_t kSegShift = std::countr_zero(kSegmentBuckets);
  static constexpr std::size_t kSegMask = kSegmentBuckets - 1;
  static constexpr std::size_t kSegmentHeader = 64;  // the segment's own ZeroedArray lives here
  static_assert(sizeof(ZeroedArray) <= kSegmentHeader);
  static constexpr std::uint64_t kLsb = 0x0101010101010101ULL;
  static constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7fULL;

  // The hash's top byte, never 0 (0 marks an empty slot).
  static constexpr std::uint8_t fingerprint(std::uint64_t h) {
    const auto t = static_cast<std::uint8_t>(h >> 56);
    return t != 0 ? t : 1;
  }
  // Slots whose fingerprint equals `tag`: the top bit of each such byte (exact).
  REHASHLAB_ALWAYS_INLINE static std::uint64_t match(std::uint64_t tags, std::uint8_t tag) {
    const std::uint64_t v = tags ^ (kLsb * tag);
    return ~(((v & kLow7) + kLow7) | v | kLow7);
  }
  // Live slots of a bucket (they are a prefix).
  static constexpr std::size_t count(std::uint64_t tags) { return (std::bit_width(tags) + 7) / 8; }
  static constexpr std::uint8_t tag_at(std::uint64_t tags, std::size_t i) {
    return static_cast<std::uint8_t>(tags >> (8 * i));
  }
  static void set_tag(Bucket* b, std::size_t i, std::uint8_t tag) {
    b->tags = (b->tags & ~(std::uint64_t{0xff} << (8 * i))) | (std::uint64_t{tag} << (8 * i));
  }

  // Litwin's address: h mod 2^level, or h mod 2^(level+1) below the split pointer.
  REHASHLAB_ALWAYS_INLINE std::size_t address(std::uint64_t h) const {
    const std::size_t a = static_cast<std::size_t>(h) & low_mask_;
    return a < p_ ? static_cast<std::size_t>(h) & high_mask_ : a;
  }
  // Larson's segment lookup.
  REHASHLAB_ALWAYS_INLINE Bucket* bucket_at(std::size_t a) const { return dir_[a >> kSegShift] + (a & kSegMask); }

  REHASHLAB_ALWAYS_INLINE const V* lookup(std::uint64_t h, const K& key) const {
    const std::uint8_t tag = fingerprint(h);
    for (const Bucket* b = bucket_at(address(h)); b != nullptr; b = b->overflow) {
      for (std::uint64_t m = match(b->tags, tag); m != 0; m &= m - 1) {
        const std::size_t i = static_cast<std::size_t>(std::countr_zero(m)) >> 3;
        if (*b->key(i) == key) [[likely]] return b->value(i);
      }
    }
    return nullptr;
  }

  // The per-bucket part of check_invariants: every entry of bucket a's chain
  // addresses a, carries its fingerprint and is found by a lookup; the chain is dense.
  struct ChainCheck {
    std::size_t entries = 0;
    std::size_t overflow = 0;
  };
  ChainCheck check_chain(std::size_t a) const {
    ChainCheck out;
    const Bucket* head = bucket_at(a);
    for (const Bucket* b = head; b != nullptr; b = b->overflow) {
      const std::size_t c = count(b->tags);
      for (std::size_t i = 0; i < c; ++i) {
        require_invariant(tag_at(b->tags, i) != 0, "an empty slot inside the live prefix");
        const std::uint64_t h = hash_(*b->key(i));
        require_invariant(address(h) == a, "an entry is not in the bucket its hash addresses");
        require_invariant(tag_at(b->tags, i) == fingerprint(h), "fingerprint does not match the key");
        require_invariant(lookup(h, *b->key(i)) == b->value(i), "a key is in the map twice");
      }
      out.entries += c;
      if (b != head) {
        ++out.overflow;
        require_invariant(c > 0, "an empty overflow bucket");
      }
      if (b->overflow != nullptr) require_invariant(c == kSlots, "a chain continues after a bucket that is not full");
      require_invariant(out.overflow <= size_ + 1, "a cyclic chain");
    }
    return out;
  }

  // The load bounds: n <= 6N, and n >= 3N unless N == 1 or a merge was skipped.
  void check_load() const {
    const std::size_t n = bucket_count();
    require_invariant(size_ <= kSplitLoad * n, "load above the split threshold");
    if (!merge_debt_) require_invariant(n == 1 || size_ >= kMergeLoad * n, "load below the merge threshold");
  }

  // Debug builds (REHASHLAB_CHECK_INVARIANTS): after a split or merge, the chains
  // it touched and the round bookkeeping -- O(chain), not O(n).
  void debug_check_step([[maybe_unused]] std::size_t a, [[maybe_unused]] std::size_t b) const {
#if defined(REHASHLAB_CHECK_INVARIANTS) && REHASHLAB_CHECK_INVARIANTS
    require_invariant(counters_.grows_started == counters_.migrations_completed + (p_ != 0 ? 1 : 0),
                      "rounds started != rounds ended (+1 while p != 0)");
    require_invariant(p_ < (std::size_t{1} << level_), "split pointer past 2^level");
    const std::size_t n = bucket_count();
    require_invariant(segments_ == (n + kSegmentBuckets - 1) / kSegmentBuckets, "segments != ceil(buckets / S)");
    for (std::size_t x : {a, b}) {
      if (x < n) {
        check_chain(x);
      } else if (dir_[x >> kSegShift] != nullptr) {  // a merged-away bucket whose segment stays
        require_invariant(bucket_at(x)->tags == 0 && bucket_at(x)->overflow == nullptr,
                          "a merged-away bucket is not empty");
      }
    }
#endif
  }

  static Bucket* chain_tail(Bucket* b) {
    while (b->overflow != nullptr) b = b->overflow;
    return b;
  }
  static std::size_t chain_entries(const Bucket* b) {
    std::size_t n = 0;
    for (; b != nullptr; b = b->overflow) n += count(b->tags);
    return n;
  }

  void set_level(unsigned level) {
    level_ = level;
    low_mask_ = (std::size_t{1} << level) - 1;
    high_mask_ = 2 * low_mask_ + 1;
  }

  // --- memory ------------------------------------------------------------------

  // A segment of S empty buckets; the ZeroedArray that owns it sits in its first
  // 64 bytes. Throws std::bad_alloc.
  Bucket* allocate_segment() {
    ZeroedArray a(*mem_, kSegmentHeader + kSegmentBuckets * sizeof(Bucket), mode_);
    auto* base = static_cast<unsigned char*>(a.data());
    ::new (base) ZeroedArray(std::move(a));
    return reinterpret_cast<Bucket*>(base + kSegmentHeader);
  }
  static void free_segment(Bucket* segment) noexcept {
    auto* base = reinterpret_cast<unsigned char*>(segment) - kSegmentHeader;
    auto* owner = std::launder(reinterpret_cast<ZeroedArray*>(base));
    ZeroedArray a(std::move(*owner));
    owner->~ZeroedArray();
  }  // `a` frees the memory its former home lived in

  // Overflow buckets come from a list of spares first and go back to it. Growth
  // churns them (a split compacts its chain and frees some; inserts into the
  // fuller unsplit buckets need new ones), and handing each back to the allocator
  // costs a free + malloc pair per bucket; worse, with glibc the freed chunks pile
  // up until the next large malloc sorts them all, an O(n) pause on one operation.
  // Erases return spares beyond the buckets in use (plus a slack), two at a time.
  Bucket* new_overflow() {
    Bucket* b = spares_;
    if (b != nullptr) {
      spares_ = b->overflow;
      --spare_count_;
    } else {
      b = static_cast<Bucket*>(mem_->allocate(sizeof(Bucket), alignof(Bucket)));  // may throw
    }
    b->tags = 0;  // the slots are raw storage
    b->overflow = nullptr;
    ++overflow_buckets_;
    return b;
  }
  void free_overflow(Bucket* b) noexcept {
    b->overflow = spares_;
    spares_ = b;
    ++spare_count_;
    --overflow_buckets_;
  }
  // Returns up to `max` spares to the allocator while more than kSpareSlack of
  // them exceed the overflow buckets in use.
  void trim_spares(std::size_t max) noexcept {
    for (; max > 0 && spare_count_ > overflow_buckets_ + kSpareSlack; --max) {
      Bucket* b = spares_;
      spares_ = b->overflow;
      --spare_count_;
      mem_->deallocate(b, sizeof(Bucket), alignof(Bucket));
    }
  }
  // Frees a list of reserved overflow buckets linked through `overflow`.
  void free_reserve(Bucket* list) noexcept {
    while (list != nullptr) {
      Bucket* next = list->overflow;
      free_overflow(list);
      list = next;
    }
  }

  // The first insert: a directory and segment 0 holding bucket 0. Throws with nothing changed.
  void initialize() {
    ZeroedArray dir(*mem_, kInitialDirectory * sizeof(Bucket*), mode_);
    Bucket* segment = allocate_segment();
    dir_storage_ = std::move(dir);
    dir_ = static_cast<Bucket**>(dir_storage_.data());
    dir_cap_ = kInitialDirectory;
    dir_[0] = segment;
    segments_ = 1;
    set_level(0);
    p_ = 0;
  }

  // Writes a segment pointer to the directory and, if one is being built, the shadow.
  void set_segment(std::size_t s, Bucket* segment) noexcept {
    dir_[s] = segment;
    if (shadow_ != nullptr) shadow_[s] = segment;
    counters_.index_bytes_moved += (shadow_ != nullptr ? 2 : 1) * sizeof(Bucket*);
  }

  // Copies up to `n` directory pointers into the shadow.
  void copy_to_shadow(std::size_t n) noexcept {
    if (shadow_ == nullptr) return;
    for (; n > 0 && shadow_copied_ < dir_cap_; --n, ++shadow_copied_) shadow_[shadow_copied_] = dir_[shadow_copied_];
  }

  // The shadow replaces the full directory.
  void switch_directory() noexcept {
    if (shadow_copied_ < dir_cap_) {  // cannot happen (see the header); stays correct if it does
      directory_forced_copies_ += dir_cap_ - shadow_copied_;
      copy_to_shadow(dir_cap_);
    }
    dir_storage_ = std::move(shadow_storage_);  // frees the old directory
    dir_ = shadow_;
    dir_cap_ *= 2;
    shadow_ = nullptr;
    shadow_copied_ = 0;
    ++directory_switches_;
  }

  // --- entries -------------------------------------------------------------------

  static void construct_slot(Bucket* b, std::size_t i, const K& key, const V& value) {
    ::new (b->key_addr(i)) K(key);
    try {
      ::new (b->value_addr(i)) V(value);
    } catch (...) {
      std::destroy_at(b->key(i));
      throw;
    }
  }

  // Adds a new entry after the last one of the chain ending at `tail`. Throws
  // std::bad_alloc (overflow bucket) or whatever copying throws, with nothing added.
  void append(Bucket* tail, std::uint8_t tag, const K& key, const V& value) {
    const std::size_t c = count(tail->tags);
    if (c < kSlots) {
      construct_slot(tail, c, key, value);
      set_tag(tail, c, tag);
      return;
    }
    Bucket* b = new_overflow();
    try {
      construct_slot(b, 0, key, value);
    } catch (...) {
      free_overflow(b);
      throw;
    }
    b->tags = tag;
    tail->overflow = b;
  }

  // Erases slot i of bucket b (whose predecessor in the chain is prev): the chain's
  // last entry moves into the hole, and an emptied overflow bucket is freed.
  void remove_slot(Bucket* prev, Bucket* b, std::size_t i) noexcept {
    Bucket* tail_prev = prev;
    Bucket* tail = b;
    while (tail->overflow != nullptr) tail_prev = tail, tail = tail->overflow;
    const std::size_t last = count(tail->tags) - 1;
    b->destroy(i);
    if (tail != b || last != i) {
      ::new (b->key_addr(i)) K(std::move(*tail->key(last)));
      ::new (b->value_addr(i)) V(std::move(*tail->value(last)));
      tail->destroy(last);
      set_tag(b, i, tag_at(tail->tags, last));
    }
    set_tag(tail, last, 0);
    if (last == 0 && tail_prev != nullptr) {
      tail_prev->overflow = nullptr;
      free_overflow(tail);
    }
  }

  // Appends moved-in entries to a chain, taking overflow buckets from a reserve.
  struct Writer {
    Bucket* bucket;
    std::size_t slot;
  };
  static void push(Writer& w, Bucket*& reserve, std::uint8_t tag, K& key, V& value) noexcept {
    if (w.slot == kSlots) {
      Bucket* b = reserve;  // never empty: the caller reserved exactly enough
      reserve = b->overflow;
      b->overflow = nullptr;
      w.bucket->overflow = b;
      w.bucket = b;
      w.slot = 0;
    }
    ::new (w.bucket->key_addr(w.slot)) K(std::move(key));
    ::new (w.bucket->value_addr(w.slot)) V(std::move(value));
    set_tag(w.bucket, w.slot, tag);
    ++w.slot;
  }

  void note_step(std::size_t moved) {
    ++last_op_steps_;
    last_op_moved_ = (last_op_steps_ == 1 ? 0 : last_op_moved_) + moved;
    max_entries_moved_one_op_ = std::max<std::uint64_t>(max_entries_moved_one_op_, last_op_moved_);
    max_steps_one_op_ = std::max<std::uint64_t>(max_steps_one_op_, last_op_steps_);
    counters_.entries_moved += moved;
    counters_.payload_bytes_moved += moved * (sizeof(K) + sizeof(V));
    counters_.index_bytes_moved += moved;  // fingerprint bytes
  }

  // Litwin's split of bucket p into p and p + 2^level; then p advances. Allocates
  // first (segment, shadow directory, overflow buckets for the new chain) and
  // throws std::bad_alloc with the map unchanged; moves nothing until then.
  void split_step() {
    const std::size_t half = std::size_t{1} << level_;
    const std::size_t src_index = p_, dst_index = p_ + half;
    const std::size_t seg = dst_index >> kSegShift;
    if (seg >= dir_cap_) switch_directory();  // the shadow is complete by now
    Bucket* const src = bucket_at(src_index);
    const std::uint64_t bit = half;  // the hash bit h mod 2^(level+1) adds
    Bucket* new_segment = nullptr;
    ZeroedArray new_shadow;
    Bucket* reserve = nullptr;
    try {
      if (dir_[seg] == nullptr) new_segment = allocate_segment();
      const std::size_t segments_after = segments_ + (new_segment != nullptr ? 1 : 0);
      if (shadow_ == nullptr && segments_after > dir_cap_ / 2) {
        new_shadow = ZeroedArray(*mem_, 2 * dir_cap_ * sizeof(Bucket*), mode_);
      }
      if (src->overflow != nullptr) {  // the new chain may need overflow buckets: count its entries
        std::size_t movers = 0;
        for (const Bucket* b = src; b != nullptr; b = b->overflow) {
          for (std::size_t i = 0, c = count(b->tags); i < c; ++i) movers += (hash_(*b->key(i)) & bit) != 0;
        }
        for (std::size_t k = movers > kSlots ? (movers - 1) / kSlots : 0; k > 0; --k) {
          Bucket* b = new_overflow();
          b->overflow = reserve;
          reserve = b;
        }
      }
    } catch (...) {
      free_reserve(reserve);
      if (new_segment != nullptr) free_segment(new_segment);
      throw;
    }
    // Nothing below throws.
    if (new_shadow) {
      shadow_storage_ = std::move(new_shadow);
      shadow_ = static_cast<Bucket**>(shadow_storage_.data());
      shadow_copied_ = 0;
    }
    if (new_segment != nullptr) {
      set_segment(seg, new_segment);
      ++segments_;
    }
    if (shadow_ != nullptr && shadow_copied_ < dir_cap_) {
      copy_to_shadow(1);
      ++directory_pointers_copied_;
      counters_.index_bytes_moved += sizeof(Bucket*);
    }
    // Entries with the new bit go to the (empty) new bucket; the rest slide down to
    // keep the source chain dense. A write never overtakes the read position.
    Writer moved{bucket_at(dst_index), 0};
    Writer stay{src, 0};
    std::size_t split_off = 0, slid = 0;
    for (Bucket* rb = src; rb != nullptr;) {
      const std::uint64_t tags = rb->tags;
      Bucket* const next = rb->overflow;
      rb->tags = 0;  // rebuilt as entries are written back (stay.bucket == rb implies stay.slot == 0 here)
      for (std::size_t i = 0, c = count(tags); i < c; ++i) {
        const std::uint8_t tag = tag_at(tags, i);
        K& key = *rb->key(i);
        V& value = *rb->value(i);
        if (hash_(key) & bit) {
          push(moved, reserve, tag, key, value);
          rb->destroy(i);
          ++split_off;
          continue;
        }
        if (stay.bucket != rb || stay.slot != i) {
          ::new (stay.bucket->key_addr(stay.slot)) K(std::move(key));
          ::new (stay.bucket->value_addr(stay.slot)) V(std::move(value));
          rb->destroy(i);
          ++slid;
        }
        set_tag(stay.bucket, stay.slot, tag);
        if (++stay.slot == kSlots && stay.bucket->overflow != nullptr) {
          stay.bucket = stay.bucket->overflow;
          stay.slot = 0;
        }
      }
      rb = next;
    }
    // The source chain ends at the bucket of its last remaining entry.
    Bucket* keep = stay.bucket;
    if (stay.slot == 0 && keep != src) {  // stay moved onto a bucket that received nothing
      keep = src;
      while (keep->overflow != stay.bucket) keep = keep->overflow;
    }
    for (Bucket* b = std::exchange(keep->overflow, nullptr); b != nullptr;) {
      Bucket* const next = b->overflow;
      free_overflow(b);
      b = next;
    }
    free_reserve(reserve);  // empty: exactly enough was reserved
    const bool starts_round = p_ == 0;
    if (++p_ == half) {
      p_ = 0;
      set_level(level_ + 1);
    }
    if (starts_round) ++counters_.grows_started;
    if (p_ == 0) ++counters_.migrations_completed;
    ++splits_;
    entries_split_off_ += split_off;
    entries_compacted_ += slid;
    note_step(split_off + slid);
    debug_check_step(src_index, dst_index);
  }

  // Merges after an erase while the load is below the floor (at most 2 steps).
  void shrink_if_needed() {
    auto below = [&] { return bucket_count() > 1 && size_ < kMergeLoad * bucket_count(); };
    for (std::size_t steps = 0; steps < kMaxMergesPerErase && below(); ++steps) {
      if (!merge_step()) break;
    }
    merge_debt_ = below();
  }

  // The reverse of a split: the last bucket, p + 2^level after p retreats, is
  // appended to bucket p. Returns false (nothing changed) if an overflow bucket
  // could not be allocated; throws nothing else (debug checks aside).
  bool merge_step() {
    unsigned level = level_;
    std::size_t p = p_;
    const bool starts_round = p == 0;
    if (p == 0) p = std::size_t{1} << --level;
    --p;
    const std::size_t src_index = p + (std::size_t{1} << level);
    Bucket* const dst = bucket_at(p);
    Bucket* const src = bucket_at(src_index);
    Bucket* const tail = chain_tail(dst);
    const std::size_t room = kSlots - count(tail->tags);
    const std::size_t incoming = chain_entries(src);
    Bucket* reserve = nullptr;
    try {
      for (std::size_t k = incoming > room ? (incoming - room + kSlots - 1) / kSlots : 0; k > 0; --k) {
        Bucket* b = new_overflow();
        b->overflow = reserve;
        reserve = b;
      }
    } catch (const std::bad_alloc&) {
      free_reserve(reserve);
      ++merge_alloc_failures_;
      return false;
    }
    Writer w{tail, count(tail->tags)};
    for (Bucket* b = src; b != nullptr;) {
      for (std::size_t i = 0, c = count(b->tags); i < c; ++i) {
        push(w, reserve, tag_at(b->tags, i), *b->key(i), *b->value(i));
        b->destroy(i);
      }
      Bucket* const next = b->overflow;
      if (b != src) free_overflow(b);
      b = next;
    }
    src->tags = 0;
    src->overflow = nullptr;
    free_reserve(reserve);  // empty
    set_level(level);
    p_ = p;
    if (src_index % kSegmentBuckets == 0) {  // the last bucket was the first of its segment
      const std::size_t seg = src_index >> kSegShift;
      free_segment(dir_[seg]);
      set_segment(seg, nullptr);
      --segments_;
    }
    if (starts_round) ++counters_.grows_started;
    if (p_ == 0) ++counters_.migrations_completed;
    ++merges_;
    entries_merged_ += incoming;
    note_step(incoming);
    debug_check_step(p, src_index);
    return true;
  }

  // Destroys every entry and frees overflow buckets and segments (not the directories).
  void release_all() noexcept {
    if (dir_ == nullptr) return;
    const std::size_t n = bucket_count();
    for (std::size_t a = 0; a < n; ++a) {
      Bucket* head = bucket_at(a);
      for (Bucket* b = head; b != nullptr;) {
        for (std::size_t i = 0, c = count(b->tags); i < c; ++i) b->destroy(i);
        Bucket* const next = b->overflow;
        if (b != head) free_overflow(b);
        b = next;
      }
    }
    for (std::size_t s = 0; s < segments_; ++s) free_segment(dir_[s]);
    while (spares_ != nullptr) {
      Bucket* next = spares_->overflow;
      mem_->deallocate(spares_, sizeof(Bucket), alignof(Bucket));
      spares_ = next;
    }
    spare_count_ = 0;
  }

  // Hot fields first: find reads masks, p and the directory.
  std::size_t low_mask_ = 0;   // 2^level - 1
  std::size_t high_mask_ = 1;  // 2^(level+1) - 1
  std::size_t p_ = 0;          // split pointer
  Bucket** dir_ = nullptr;     // segment directory (dir_cap_ entries)
  std::size_t size_ = 0;
  Hash hash_;
  unsigned level_ = 0;
  MemoryCounter* mem_;
  AllocMode mode_;
  std::size_t dir_cap_ = 0;
  std::size_t segments_ = 0;
  Bucket** shadow_ = nullptr;  // the next directory while it is being filled
  std::size_t shadow_copied_ = 0;
  ZeroedArray dir_storage_;
  ZeroedArray shadow_storage_;
  bool merge_debt_ = false;    // a skipped merge left the load below the floor
  std::size_t last_op_steps_ = 0;
  std::size_t last_op_moved_ = 0;
  ResizeCounters counters_;
  std::uint64_t splits_ = 0;
  std::uint64_t merges_ = 0;
  std::uint64_t entries_split_off_ = 0;
  std::uint64_t entries_compacted_ = 0;
  std::uint64_t entries_merged_ = 0;
  std::uint64_t max_entries_moved_one_op_ = 0;
  std::uint64_t max_steps_one_op_ = 0;
  std::uint64_t overflow_buckets_ = 0;  // linked into chains
  Bucket* spares_ = nullptr;           // free overflow buckets, linked through `overflow`
  std::uint64_t spare_count_ = 0;
  std::uint64_t directory_switches_ = 0;
  std::uint64_t directory_pointers_copied_ = 0;
  std::uint64_t directory_forced_copies_ = 0;
  std::uint64_t merge_alloc_failures_ = 0;
};

}  // namespace rehashlab
