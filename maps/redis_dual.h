// redis_dual: Redis's dict (src/dict.c, Redis 7.x) -- chained hashing with two
// tables and incremental rehashing.
//
// Layout. Every entry is a separately allocated node {key, value, next} (Redis's
// 24-byte dictEntry for u64 -> u64), from the MemoryCounter. A table is a
// power-of-two array of node pointers (bucket heads), at least 4 buckets
// (DICT_HT_INITIAL_SIZE). There are two tables, ht[0] and ht[1], and rehashidx:
// -1 when not rehashing, else the next ht[0] bucket to move.
//
// Resizing (the version each rule follows is named on it). Source read: Redis's
// src/dict.c as of a snapshot between 7.2 and 7.4 (force ratio 5, resize policy
// enum, dictRehashMicroseconds); "7.2" below means that code, "7.0" the older
// int dict_can_resize + dictRehashMilliseconds code, "7.4" the later changes.
//  * Grow (7.2 _dictExpandIfNeeded; force ratio 5 up to 7.2, 4 from 7.4, here a
//    constructor parameter defaulting to 4): when inserting a NEW key and not
//    rehashing, if used >= size (load factor 1), start a rehash to the smallest
//    power of two >= used + 1. Under ResizePolicy::kAvoid (Redis: a fork child
//    exists) only when used / size > force ratio; under kForbid never.
//  * Shrink (7.0/7.2 server.c htNeedsResize + dictResize, HASHTABLE_MIN_FILL 10):
//    when size > 4 and used * 100 / size < 10, start a rehash to the smallest
//    power of two >= max(used, 4); only under kEnable and when not rehashing.
//    Redis 7.0/7.2 run this check for the keyspace from serverCron
//    (databasesCron -> tryResizeHashTables); here it runs from maintenance(), the
//    harness's cron-like idle hook, just before the active rehash (same order as
//    databasesCron). With maintenance off, the map never shrinks, as a Redis
//    whose cron never ran. (Redis 7.4 moved shrinking into dict.c, on delete,
//    with a 1/8 fill rule; not modelled.)
//  * Rehash step (7.2 dictRehash(d, n)): move every node of the next non-empty
//    ht[0] bucket at rehashidx to ht[1], n buckets per call, visiting at most
//    n * 10 empty buckets (empty_visits) so a call never scans unboundedly. Every
//    find, insert and erase of a non-empty map performs one step (n = 1,
//    _dictRehashStep) while rehashing, before doing its own work. Under kForbid no
//    step runs; under kAvoid a step runs only if the larger table is at least
//    force-ratio times the smaller (7.2 dictRehash).
//  * Active rehash (dictRehashMicroseconds; dictRehashMilliseconds in 7.0, same loop):
//    rehash_for(budget) calls rehash(100) until the budget is spent (checked after
//    each batch of 100, so it may overrun by one batch). maintenance(budget) =
//    shrink check + rehash_for(budget), what databasesCron does with
//    activerehashing on ("1 ms every 100 ms").
//  * Completion (7.2 dictRehash tail): as soon as ht[0] holds no entry, ht[0]'s
//    array is freed, ht[1] becomes ht[0], and rehashidx = -1. A resize of a table
//    with no entries completes at once (7.2 _dictExpand).
//
// Where operations go mid-rehash: inserts go to the head of their ht[1] chain;
// finds and erases look in ht[0] (unless the key's ht[0] bucket is below
// rehashidx, hence already moved) and then in ht[1].
//
// Invariants (check_invariants):
//  * rehashidx == -1 iff ht[1] has no array; not rehashing => ht[1] is empty;
//  * rehashing => 0 <= rehashidx <= ht[0].size, and every ht[0] bucket below
//    rehashidx is empty (never read again: its pages may be released);
//  * table sizes are 0 (no array, used 0) or powers of two >= 4;
//  * every node sits in the chain hash & (size - 1) selects in its table; no key
//    is in both tables; chains are acyclic;
//  * ht[t].used equals the nodes in table t; size() = ht[0].used + ht[1].used.
//  * resizes started = resizes completed + (1 if rehashing).
//
// Memory. Bucket arrays are ZeroedArrays: by default fresh zero pages (an
// anonymous mmap, no O(n) fill on the operation that starts a rehash), and ht[0]
// is returned to the OS in chunks of kReleaseChunkBytes as rehashidx walks past
// it (everything below rehashidx is empty, by the invariant above), so neither
// allocating the new array nor freeing the old one is a spike on one operation.
// AllocMode::kSystem (constructor switch) is Redis's behaviour: a zeroed
// allocation from the platform allocator (Redis: zcalloc, jemalloc; here calloc,
// which also hands large requests already-zeroed pages) and one free of the whole
// old array at completion. AllocMode::kNaive memsets the new array instead. At completion what is left of ht[0] (the tail after the last
// non-empty bucket: a few buckets for random hashes, more if erases emptied the
// tail) is freed at once.
//
// Allocation failure (7.2 dictTryExpand): if the new array cannot be allocated,
// the insert throws std::bad_alloc before changing anything; the map keeps every
// entry (it may have done its rehash step first). try_expand() is dictTryExpand
// itself: false on allocation failure. A failed shrink in maintenance() is
// skipped and counted.
//
// Deliberate differences from Redis 7.2:
//  * insert looks the key up before the expand check (Redis checks first), so an
//    overwrite never allocates and cannot throw; growth happens on the next new key.
//  * The resize policy and force ratio are per map (Redis: process globals).
//  * No iterators, so no pauserehash; for_each does no rehash work.
//  * find does the plain step of 7.2, not the "rehash the key's own bucket" of
//    later dict.c. The shrink shortcut of later dict.c (an entry's new bucket is
//    its old index & new mask, no rehashing of the key) is used: same result.
//  * Hash: the run's seeded hash (maps/hash.h), not SipHash.
//
// Counters. resize_counters(): grows_started counts every resize begun (expand
// and shrink, not the first table); migrations_completed / old_arrays_freed count
// completions (clear() abandoning a rehash counts as one); entries_moved counts
// nodes relinked; payload_bytes_moved stays 0, because rehashing relinks nodes and
// never copies a key or value; index_bytes_moved counts pointer writes x 8: two
// per node moved (its next, the new bucket head) and one per old bucket cleared.
// for_each_counter():
//  expands_started / shrinks_started  rehashes begun, by direction
//  buckets_moved          non-empty ht[0] buckets moved to ht[1]
//  empty_buckets_visited  empty ht[0] buckets skipped by rehash steps
//  entries_moved          nodes relinked from ht[0] to ht[1]
//  active_rehash_ns       wall time spent inside rehash_for (active rehash)
//  active_rehash_buckets  buckets rehash_for reported (Redis's "rehashes", +100/batch)
//  rehashing              1 while rehashidx != -1
//  rehashidx              current rehashidx, 0 when not rehashing
//  ht0_buckets / ht1_buckets / ht0_used / ht1_used   table sizes and fill
//  old_bytes_released_early  bytes of ht[0] returned before completion
//  resize_alloc_failures  resizes abandoned because the new array failed to allocate
#pragma once

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <string_view>
#include <utility>

#include "maps/map_api.h"
#include "maps/memory.h"

namespace rehashlab {

// Redis's dict_can_resize (7.2 dictResizeEnable).
enum class ResizePolicy : std::uint8_t {
  kEnable,  // resize as needed
  kAvoid,   // a fork is running: grow/rehash only past the force ratio, never shrink
  kForbid,  // no resizing and no rehash steps at all
};

template <class K, class V, class Hash = SeededHash<K>>
class RedisDualMap {
  struct Node {
    K key;
    V value;
    Node* next;
  };

  struct Table {
    ZeroedArray array;     // `size` node pointers, zero = empty bucket
    std::size_t size = 0;  // buckets: 0 (no array) or a power of two >= kInitialSize
    std::size_t used = 0;  // nodes linked into this table
    Node** slots() const { return static_cast<Node**>(array.data()); }
    std::size_t mask() const { return size - 1; }
  };

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = "redis_dual";
  static constexpr bool kInHouse = true;

  static constexpr std::size_t kInitialSize = 4;        // DICT_HT_INITIAL_SIZE
  static constexpr std::size_t kEmptyVisitsPerBucket = 10;  // dictRehash: empty_visits = n*10
  static constexpr std::size_t kActiveBatch = 100;      // dictRehashMicroseconds: dictRehash(d,100)
  static constexpr std::size_t kMinFillPercent = 10;    // HASHTABLE_MIN_FILL (7.0/7.2 server.h)
  // ht[0]'s prefix is returned to the OS once this much of it is behind rehashidx:
  // bounds the munmap work of one step and amortizes the syscall.
  static constexpr std::size_t kReleaseChunkBytes = 64 * 1024;

  RedisDualMap(const Hash& hash, MemoryCounter& mem, AllocMode fill = AllocMode::kFresh,
               unsigned force_resize_ratio = 4)
      : hash_(hash), mem_(&mem), fill_(fill), force_ratio_(force_resize_ratio) {}
  RedisDualMap(const RedisDualMap&) = delete;
  RedisDualMap& operator=(const RedisDualMap&) = delete;
  ~RedisDualMap() { destroy_all(); }

  bool insert_or_assign(const K& key, const V& value) {
    if (rehashing()) rehash(1);
    const std::uint64_t h = hash_(key);
    if (Node** link = find_link(h, key)) {
      (*link)->value = value;
      return false;
    }
    expand_if_needed();  // may throw std::bad_alloc: nothing changed yet
    Node* node = new_node(key, value);
    Table& t = ht_[rehashing() ? 1 : 0];
    Node*& head = t.slots()[h & t.mask()];
    node->next = head;
    head = node;
    ++t.used;
    return true;
  }

  const V* find(const K& key) {
    if (size() == 0) return nullptr;
    if (rehashing()) rehash(1);
    Node** link = find_link(hash_(key), key);
    return link ? &(*link)->value : nullptr;
  }

  bool erase(const K& key) {
    if (size() == 0) return false;
    if (rehashing()) rehash(1);
    int table = 0;
    Node** link = find_link(hash_(key), key, &table);
    if (link == nullptr) return false;
    Node* node = *link;
    *link = node->next;
    --ht_[table].used;
    free_node(node);
    return true;
  }

  std::size_t size() const { return ht_[0].used + ht_[1].used; }

  void clear() {
    if (rehashing()) {  // the old array is abandoned: no longer read
      ++counters_.migrations_completed;
      ++counters_.old_arrays_freed;
    }
    destroy_all();
    ht_[0] = Table{};
    ht_[1] = Table{};
    rehashidx_ = -1;
  }

  template <class F>
  void for_each(F&& f) const {
    for (int t = 0; t <= 1; ++t) {
      for (std::size_t i = first_live_bucket(t); i < ht_[t].size; ++i) {
        for (const Node* n = ht_[t].slots()[i]; n != nullptr; n = n->next) f(n->key, n->value);
      }
    }
  }

  ResizeCounters resize_counters() const {
    ResizeCounters out = counters_;
    out.migrating = rehashing();
    return out;
  }

  template <class F>
  void for_each_counter(F&& f) const {
    f("expands_started", expands_started_);
    f("shrinks_started", counters_.grows_started - expands_started_);
    f("buckets_moved", buckets_moved_);
    f("empty_buckets_visited", empty_buckets_visited_);
    f("entries_moved", counters_.entries_moved);
    f("active_rehash_ns", active_rehash_ns_);
    f("active_rehash_buckets", active_rehash_buckets_);
    f("rehashing", rehashing() ? 1 : 0);
    f("rehashidx", rehashing() ? static_cast<std::uint64_t>(rehashidx_) : 0);
    f("ht0_buckets", ht_[0].size);
    f("ht1_buckets", ht_[1].size);
    f("ht0_used", ht_[0].used);
    f("ht1_used", ht_[1].used);
    f("old_bytes_released_early", old_bytes_released_early_);
    f("resize_alloc_failures", resize_alloc_failures_);
  }

  // databasesCron for one dict: tryResizeHashTables, then incrementallyRehash.
  void maintenance(std::chrono::nanoseconds budget) {
    shrink_if_needed();
    rehash_for(budget);
  }

  void check_invariants() const {
    require_invariant(rehashing() == static_cast<bool>(ht_[1].array), "rehashidx != -1 iff ht[1] exists");
    if (!rehashing()) require_invariant(ht_[1].size == 0 && ht_[1].used == 0, "ht[1] not empty while not rehashing");
    require_invariant(counters_.grows_started == counters_.migrations_completed + (rehashing() ? 1 : 0),
                      "resizes started != completed + in progress");
    for (int t = 0; t <= 1; ++t) {
      const Table& tab = ht_[t];
      if (tab.size == 0) {
        require_invariant(!tab.array && tab.used == 0, "a table of size 0 has an array or entries");
        continue;
      }
      require_invariant(std::has_single_bit(tab.size) && tab.size >= kInitialSize,
                        "table size is not a power of two >= 4");
      require_invariant(tab.array.size_bytes() == tab.size * sizeof(Node*), "array bytes != size * pointer");
    }
    if (rehashing()) {
      require_invariant(ht_[0].size != 0, "rehashing without ht[0]");
      require_invariant(ht_[0].size != ht_[1].size, "rehashing to the same size");
      require_invariant(static_cast<std::size_t>(rehashidx_) <= ht_[0].size, "rehashidx past the end of ht[0]");
      const std::size_t released = ht_[0].array.released_bytes();
      require_invariant(released <= static_cast<std::size_t>(rehashidx_) * sizeof(Node*),
                        "ht[0] released at or above rehashidx");
      for (std::size_t i = released / sizeof(Node*); i < static_cast<std::size_t>(rehashidx_); ++i) {
        require_invariant(ht_[0].slots()[i] == nullptr, "an ht[0] bucket below rehashidx is not empty");
      }
    }
    for (int t = 0; t <= 1; ++t) {
      const Table& tab = ht_[t];
      std::size_t count = 0;
      for (std::size_t i = first_live_bucket(t); i < tab.size; ++i) {
        for (const Node* n = tab.slots()[i]; n != nullptr; n = n->next) {
          require_invariant(++count <= tab.used, "more nodes than used (or a cyclic chain)");
          const std::uint64_t h = hash_(n->key);
          require_invariant((h & tab.mask()) == i, "a node is not in the chain its hash selects");
          if (t == 0 && rehashing()) {
            require_invariant(!chain_contains(1, h, n->key), "a key is in both tables");
          }
        }
      }
      require_invariant(count == tab.used, "ht[t].used differs from the nodes in the table");
    }
  }

  // --- Redis API beyond the interface (tests, experiments) ---

  // dictRehash(d, n): up to n buckets. True if entries remain to move.
  bool rehash(std::size_t n) {
    if (!rehashing() || !policy_permits(size_ratio_at_least_force())) return false;
    std::size_t empty_visits = n * kEmptyVisitsPerBucket;
    bool more = true;
    while (n-- > 0 && ht_[0].used != 0 && more) {
      Node** old_slots = ht_[0].slots();
      while (old_slots[rehashidx_] == nullptr) {
        ++rehashidx_;
        ++empty_buckets_visited_;
        if (--empty_visits == 0) {
          more = false;
          break;
        }
      }
      if (!more) break;
      move_bucket(static_cast<std::size_t>(rehashidx_));
      ++rehashidx_;
    }
    release_behind_rehashidx();
    return !finish_if_drained();
  }

  // dictRehashMicroseconds: batches of 100 buckets until `budget` is spent.
  // Returns the buckets reported (Redis's count: +100 per batch that left work).
  // A budget <= 0 does nothing (Redis would still run one batch).
  std::uint64_t rehash_for(std::chrono::nanoseconds budget) {
    if (!rehashing() || budget.count() <= 0) return 0;
    const auto start = std::chrono::steady_clock::now();
    std::uint64_t rehashes = 0;
    while (rehash(kActiveBatch)) {
      rehashes += kActiveBatch;
      if (std::chrono::steady_clock::now() - start >= budget) break;
    }
    const auto spent = std::chrono::steady_clock::now() - start;
    active_rehash_ns_ += static_cast<std::uint64_t>(std::chrono::nanoseconds(spent).count());
    active_rehash_buckets_ += rehashes;
    return rehashes;
  }

  // dictTryExpand: resize to hold `min_size` entries. False only if the new
  // array could not be allocated (the map is then unchanged); a resize that is
  // not useful (rehashing, too small, same size) is skipped and returns true.
  bool try_expand(std::size_t min_size) {
    try {
      begin_resize(min_size);
      return true;
    } catch (const std::bad_alloc&) {
      return false;
    }
  }

  void set_resize_policy(ResizePolicy policy) { policy_ = policy; }  // dictSetResizeEnabled
  ResizePolicy resize_policy() const { return policy_; }
  bool rehashing() const { return rehashidx_ != -1; }
  std::ptrdiff_t rehashidx() const { return rehashidx_; }
  std::size_t bucket_count(int table) const { return ht_[table].size; }
  std::size_t table_used(int table) const { return ht_[table].used; }
  std::uint64_t buckets_moved() const { return buckets_moved_; }
  std::uint64_t empty_buckets_visited() const { return empty_buckets_visited_; }
  AllocMode alloc_mode() const { return fill_; }
  static constexpr std::size_t node_bytes() { return sizeof(Node); }

 private:
  // THE resize guard, which Redis 7.2 writes out in _dictExpandIfNeeded,
  // dictResize and dictRehash. `past_force_ratio`: the imbalance at the caller
  // exceeds dict_force_resize_ratio -- the only thing that lets a resize (or a
  // rehash step) proceed while resizing is avoided.
  bool policy_permits(bool past_force_ratio) const {
    return policy_ == ResizePolicy::kEnable || (policy_ == ResizePolicy::kAvoid && past_force_ratio);
  }

  // dictRehash's test under kAvoid: s1/s0 (or s0/s1) >= dict_force_resize_ratio.
  bool size_ratio_at_least_force() const {
    const std::size_t big = std::max(ht_[0].size, ht_[1].size);
    const std::size_t small = std::min(ht_[0].size, ht_[1].size);
    return big / small >= force_ratio_;
  }

  // _dictExpandIfNeeded (7.2), for an insert of a new key.
  void expand_if_needed() {
    if (rehashing()) return;
    if (ht_[0].size == 0) {
      begin_resize(kInitialSize);
      return;
    }
    const std::size_t used = ht_[0].used, size = ht_[0].size;
    if (used >= size && policy_permits(used / size > force_ratio_)) begin_resize(used + 1);
  }

  // htNeedsResize + dictResize (7.0/7.2 server.c / dict.c). Never throws.
  void shrink_if_needed() {
    const std::size_t buckets = ht_[0].size + ht_[1].size;  // dictSlots
    if (!(buckets > kInitialSize && size() * 100 / buckets < kMinFillPercent)) return;
    if (rehashing() || !policy_permits(false)) return;  // dictResize: kEnable only
    try {
      begin_resize(std::max(size(), kInitialSize));
    } catch (const std::bad_alloc&) {
      // counted in begin_resize; the cron simply tries again next time
    }
  }

  // _dictExpand (7.2): allocates ht[1] of the smallest power of two >= min_size
  // and starts rehashing into it. Returns false when the resize is not useful.
  // Throws std::bad_alloc with the map unchanged.
  bool begin_resize(std::size_t min_size) {
    if (rehashing() || ht_[0].used > min_size) return false;
    if (min_size > (std::numeric_limits<std::size_t>::max() / sizeof(Node*)) / 2) return false;  // overflow
    const std::size_t new_size = std::max(kInitialSize, std::bit_ceil(min_size));
    if (new_size == ht_[0].size) return false;  // same size is not useful
    Table fresh;
    try {
      fresh.array = ZeroedArray(*mem_, new_size * sizeof(Node*), fill_);
    } catch (const std::bad_alloc&) {
      ++resize_alloc_failures_;
      throw;
    }
    fresh.size = new_size;
    if (!ht_[0].array) {  // first table: nothing to rehash
      ht_[0] = std::move(fresh);
      return true;
    }
    const bool growing = new_size > ht_[0].size;
    ++counters_.grows_started;
    if (growing) ++expands_started_;
    ht_[1] = std::move(fresh);
    rehashidx_ = 0;
    finish_if_drained();  // an empty ht[0] is swapped at once
    REHASHLAB_DEBUG_CHECK(*this);  // debug builds: at each resize start and end, not per op
    return true;
  }

  // THE mover (moveKeysInBucketOldtoNew): relinks every node of ht[0] bucket
  // `idx` at the head of its ht[1] chain. No key or value is copied.
  void move_bucket(std::size_t idx) {
    Node** old_slots = ht_[0].slots();
    Node** new_slots = ht_[1].slots();
    const bool growing = ht_[1].size > ht_[0].size;
    const std::size_t new_mask = ht_[1].mask();
    std::size_t moved = 0;
    for (Node* n = old_slots[idx]; n != nullptr; ++moved) {
      Node* next = n->next;
      // Shrinking: the new mask keeps a subset of the bits of idx.
      const std::size_t to = growing ? (hash_(n->key) & new_mask) : (idx & new_mask);
      n->next = new_slots[to];
      new_slots[to] = n;
      n = next;
    }
    old_slots[idx] = nullptr;
    ht_[0].used -= moved;
    ht_[1].used += moved;
    ++buckets_moved_;
    counters_.entries_moved += moved;
    counters_.index_bytes_moved += (2 * moved + 1) * sizeof(Node*);
  }

  // THE completion check: ht[0] drained -> free it, ht[1] becomes ht[0].
  // Returns true if the rehash is (now) complete.
  bool finish_if_drained() {
    if (ht_[0].used != 0) return false;
    ht_[0] = std::move(ht_[1]);  // move-assigning the array frees ht[0]'s
    ht_[1] = Table{};
    rehashidx_ = -1;
    ++counters_.migrations_completed;
    ++counters_.old_arrays_freed;
    REHASHLAB_DEBUG_CHECK(*this);
    return true;
  }

  // Returns the pages of ht[0] below rehashidx once a chunk's worth is pending.
  void release_behind_rehashidx() {
    const ZeroedArray& a = ht_[0].array;
    const std::size_t behind = static_cast<std::size_t>(rehashidx_) * sizeof(Node*);
    if (behind < a.released_bytes() + kReleaseChunkBytes) return;
    old_bytes_released_early_ += ht_[0].array.release_prefix(behind, kReleaseChunkBytes);
  }

  // THE probe loop: the link (bucket head or a node's next) that points to
  // `key`'s node, or nullptr. ht[0] is skipped below rehashidx (already moved).
  Node** find_link(std::uint64_t h, const K& key, int* table_out = nullptr) const {
    for (int t = 0; t <= 1; ++t) {
      const Table& tab = ht_[t];
      if (tab.size == 0) return nullptr;
      const std::size_t idx = h & tab.mask();
      if (!(t == 0 && rehashing() && idx < static_cast<std::size_t>(rehashidx_))) {
        for (Node** link = &tab.slots()[idx]; *link != nullptr; link = &(*link)->next) {
          if ((*link)->key == key) {
            if (table_out) *table_out = t;
            return link;
          }
        }
      }
      if (!rehashing()) return nullptr;
    }
    return nullptr;
  }

  bool chain_contains(int t, std::uint64_t h, const K& key) const {
    const Table& tab = ht_[t];
    if (tab.size == 0) return false;
    for (const Node* n = tab.slots()[h & tab.mask()]; n != nullptr; n = n->next) {
      if (n->key == key) return true;
    }
    return false;
  }

  // The first bucket of table t that may hold nodes.
  std::size_t first_live_bucket(int t) const {
    return (t == 0 && rehashing()) ? static_cast<std::size_t>(rehashidx_) : 0;
  }

  Node* new_node(const K& key, const V& value) {
    void* raw = mem_->allocate(sizeof(Node), alignof(Node));
    try {
      return new (raw) Node{key, value, nullptr};
    } catch (...) {
      mem_->deallocate(raw, sizeof(Node), alignof(Node));
      throw;
    }
  }

  void free_node(Node* node) noexcept {
    node->~Node();
    mem_->deallocate(node, sizeof(Node), alignof(Node));
  }

  // Frees every node; the arrays (left dangling) are freed by their owners next.
  void destroy_all() noexcept {
    for (int t = 0; t <= 1; ++t) {
      for (std::size_t i = first_live_bucket(t); i < ht_[t].size; ++i) {
        for (Node* n = ht_[t].slots()[i]; n != nullptr;) {
          Node* next = n->next;
          free_node(n);
          n = next;
        }
      }
      ht_[t].used = 0;
    }
  }

  Hash hash_;
  MemoryCounter* mem_;
  AllocMode fill_;
  unsigned force_ratio_;  // dict_force_resize_ratio
  ResizePolicy policy_ = ResizePolicy::kEnable;
  Table ht_[2];
  std::ptrdiff_t rehashidx_ = -1;
  ResizeCounters counters_;
  std::uint64_t expands_started_ = 0;
  std::uint64_t buckets_moved_ = 0;
  std::uint64_t empty_buckets_visited_ = 0;
  std::uint64_t active_rehash_ns_ = 0;
  std::uint64_t active_rehash_buckets_ = 0;
  std::uint64_t old_bytes_released_early_ = 0;
  std::uint64_t resize_alloc_failures_ = 0;
};

}  // namespace rehashlab
