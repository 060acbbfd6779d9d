// redis_dual: Redis 7.0.15's dict as the keyspace uses it (src/dict.c; the
// command path of server.c, db.c, t_string.c): chained hashing, two tables,
// incremental rehashing. Every rule below is 7.0.15's.
//
// Layout. One node {key, value, next} (dictEntry) per entry; tables ht[0], ht[1]
// of 2^k >= 4 node pointers (DICT_HT_INITIAL_SIZE); rehashidx: -1, or the next
// ht[0] bucket to move. New nodes go to the head of their chain, in ht[1] while
// rehashing; lookups try ht[0], then ht[1].
//
// Resizing. Expand (_dictExpandIfNeeded, adding a new key, not rehashing): when
// used >= size, to the smallest power of two >= used + 1; under ResizePolicy::
// kAvoid only when used / size > 5 (dict_force_resize_ratio), under kForbid never.
// Shrink (server.c tryResizeHashTables: htNeedsResize, HASHTABLE_MIN_FILL 10,
// dictResize): when slots > 4 and used * 100 / slots < 10, to the smallest power
// of two >= max(used, 4); kEnable only, not while rehashing. A step (dictRehash(d,
// n)) moves the nodes of the next n non-empty ht[0] buckets, visiting at most 10n
// empty ones (kForbid: none; kAvoid: only if one table is >= 5x the other); when
// ht[0] is empty it frees ht[0] and ht[1] becomes ht[0], so even a resize of an
// empty table completes only at a step.
//
// Steps per operation (StepModel). Each dict call steps once while rehashing
// (_dictRehashStep in dictAddRaw, dictFind, dictGenericDelete; the last two not
// on an empty dict). kServerCommand (default) models the commands:
//   SET = insert_or_assign: lookupKeyWrite (dictFind), dbAdd (dictAddRaw) or
//         dbOverwrite (dictFind), then setKey's removeExpire asserts dictFind: 3
//         steps (1 for the SET that starts the rehash: only removeExpire's follows);
//   GET = find: lookupKeyRead (dictFind), 1;   DEL = erase: dictUnlink, 1.
// No key has a TTL, so getExpire never searches. kDictCall: insert_or_assign is
// dictReplace (one dictAddRaw), 1 step.
//
// Active rehash. maintenance(budget) is one databasesCron for this dict: nothing
// while a fork child exists (kAvoid; kForbid is the child, which runs no cron);
// else the shrink check, then, while rehashing, dictRehashMilliseconds(d, ms),
// ms = budget in whole milliseconds (Redis passes 1; the harness's default budget
// is 1000 us; 0 is activerehashing no). It runs dictRehash(d, 100) until, after a
// batch, timeInMilliseconds() - start > ms on the truncated clock: at least one
// batch, and (ms, ms + 1] ms of clock time plus one batch, 1-2 ms for ms = 1.
//
// Invariants (check_invariants): rehashidx == -1 iff ht[1] has no array, and ht[1]
// is then empty; rehashidx <= ht[0].size and ht[0] is empty below it; sizes are 0
// or powers of two >= 4; a node is in the chain its hash selects, in one table
// only, chains acyclic; used counts each table's nodes; resizes started =
// completed + (1 while rehashing).
//
// Memory. AllocMode::kSystem is Redis's behaviour: a zeroed allocation (zcalloc;
// here calloc, large requests get already-zero pages) and one free of ht[0] at
// completion. kFresh (default) is rehashlab's intervention: fresh zero pages, and
// ht[0] returned in 64 KiB chunks as rehashidx passes them. kNaive memsets.
//
// Deliberate differences from Redis 7.0.15: kDictCall looks the key up before the
// expand check (dictAddRaw checks first), so an overwrite never allocates;
// policy and force ratio per map (Redis: globals); no dictExpandAllowed
// (maxmemory); allocation failure throws std::bad_alloc with the map unchanged
// (zcalloc aborts; try_expand is dictTryExpand); no iterators, so no pauserehash;
// a shrink sends a node to idx & new_mask without rehashing it (same result); the
// run's seeded hash instead of SipHash.
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

// Redis's dict_can_resize (dictResizeEnable, set by server.c updateDictResizePolicy).
enum class ResizePolicy : std::uint8_t {
  kEnable,  // no child process: resize as needed
  kAvoid,   // a fork child exists: grow and step only past the force ratio, never shrink, no cron
  kForbid,  // in the fork child: no resizing and no rehash steps at all
};

// What one operation of the map stands for (see the header).
enum class StepModel : std::uint8_t {
  kServerCommand,  // SET / GET / DEL: 3 / 1 / 1 rehash steps
  kDictCall,       // dictReplace / dictFind / dictDelete: 1 step each
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

  static constexpr std::size_t kInitialSize = 4;            // DICT_HT_INITIAL_SIZE
  static constexpr std::size_t kEmptyVisitsPerBucket = 10;  // dictRehash: empty_visits = n*10
  static constexpr std::size_t kActiveBatch = 100;          // dictRehashMilliseconds: dictRehash(d,100)
  static constexpr std::size_t kMinFillPercent = 10;        // HASHTABLE_MIN_FILL (server.h)
  static constexpr unsigned kForceResizeRatio = 5;          // dict_force_resize_ratio
  // kFresh: ht[0]'s prefix goes back once this much of it is behind rehashidx.
  static constexpr std::size_t kReleaseChunkBytes = 64 * 1024;

  RedisDualMap(const Hash& hash, MemoryCounter& mem, AllocMode mode = AllocMode::kFresh,
               StepModel steps = StepModel::kServerCommand, unsigned force_resize_ratio = kForceResizeRatio)
      : hash_(hash), mem_(&mem), mode_(mode), steps_(steps), force_ratio_(force_resize_ratio) {}
  RedisDualMap(const RedisDualMap&) = delete;
  RedisDualMap& operator=(const RedisDualMap&) = delete;
  ~RedisDualMap() { destroy_all(); }

  // SET key value (kServerCommand) or dictReplace (kDictCall).
  bool insert_or_assign(const K& key, const V& value) {
    const std::uint64_t h = hash_(key);
    if (steps_ == StepModel::kDictCall) {
      step();  // dictAddRaw
      if (Node** link = find_link(h, key)) {
        (*link)->value = value;
        return false;
      }
      add(h, key, value);
      return true;
    }
    lookup_step();  // lookupKeyWrite: dictFind
    const bool found = find_link(h, key) != nullptr;
    if (found) {
      lookup_step();  // dbOverwrite: dictFind
      (*find_link(h, key))->value = value;
    } else {
      step();  // dbAdd: dictAddRaw
      add(h, key, value);
    }
    lookup_step();  // removeExpire: dictFind(db->dict)
    return !found;
  }

  // GET key / dictFind.
  const V* find(const K& key) {
    lookup_step();
    Node** link = find_link(hash_(key), key);
    return link ? &(*link)->value : nullptr;
  }

  // DEL key / dictDelete: one dictGenericDelete either way.
  bool erase(const K& key) {
    lookup_step();
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

  // grows_started counts every resize begun (expand and shrink, not the first
  // table); migrations_completed / old_arrays_freed count completions (clear()
  // abandoning a rehash counts as one); entries_moved counts nodes relinked;
  // payload_bytes_moved stays 0 (nodes are relinked, never copied);
  // index_bytes_moved counts pointer writes x 8: a node's next and its new bucket
  // head per node moved, and the old bucket cleared.
  ResizeCounters resize_counters() const {
    ResizeCounters out = counters_;
    out.migrating = rehashing();
    return out;
  }

  template <class F>
  void for_each_counter(F&& f) const {
    f("expands_started", expands_started_);                            // rehashes begun to a larger table
    f("shrinks_started", counters_.grows_started - expands_started_);  // ... to a smaller one
    f("buckets_moved", buckets_moved_);                  // non-empty ht[0] buckets moved
    f("empty_buckets_visited", empty_buckets_visited_);  // empty ht[0] buckets stepped over
    f("rehash_steps", rehash_steps_);                    // _dictRehashStep calls by operations
    f("active_rehash_ns", active_rehash_ns_);            // wall time in dictRehashMilliseconds
    f("active_rehash_buckets", active_rehash_buckets_);  // its "rehashes": +100 per batch that left work
    f("rehashing", rehashing() ? 1 : 0);
    f("rehashidx", rehashing() ? static_cast<std::uint64_t>(rehashidx_) : 0);
    f("ht0_buckets", ht_[0].size);
    f("ht1_buckets", ht_[1].size);
    f("ht0_used", ht_[0].used);
    f("ht1_used", ht_[1].used);
    f("old_bytes_released_early", old_bytes_released_early_);  // kFresh: ht[0] returned before completion
    f("resize_alloc_failures", resize_alloc_failures_);        // resizes whose new array failed to allocate
  }

  // One databasesCron for this dict: tryResizeHashTables, then incrementallyRehash.
  void maintenance(std::chrono::nanoseconds budget) {
    if (policy_ != ResizePolicy::kEnable) return;  // hasActiveChildProcess(): the cron skips both
    shrink_if_needed();
    if (budget.count() > 0 && rehashing()) {
      rehash_milliseconds(static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(budget).count()));
    }
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
    while (n-- > 0 && ht_[0].used != 0) {
      Node** old_slots = ht_[0].slots();
      while (old_slots[rehashidx_] == nullptr) {
        ++rehashidx_;
        ++empty_buckets_visited_;
        if (--empty_visits == 0) {
          release_behind_rehashidx();
          return true;
        }
      }
      move_bucket(static_cast<std::size_t>(rehashidx_));
      ++rehashidx_;
    }
    release_behind_rehashidx();
    return !finish_if_drained();
  }

  // dictRehashMilliseconds(d, ms): batches of 100 buckets until the truncated
  // millisecond clock has advanced by more than ms (header). Returns Redis's
  // "rehashes": +100 per batch that left work. now_ms (tests) replaces
  // timeInMilliseconds.
  std::uint64_t rehash_milliseconds(int ms) { return rehash_milliseconds(ms, time_in_milliseconds); }
  template <class NowMs>
  std::uint64_t rehash_milliseconds(int ms, NowMs&& now_ms) {
    if (!rehashing()) return 0;
    const auto t0 = std::chrono::steady_clock::now();
    const long long start = now_ms();
    std::uint64_t rehashes = 0;
    while (rehash(kActiveBatch)) {
      rehashes += kActiveBatch;
      if (now_ms() - start > ms) break;
    }
    active_rehash_ns_ += static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0).count());
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
  AllocMode alloc_mode() const { return mode_; }
  StepModel step_model() const { return steps_; }
  static constexpr std::size_t node_bytes() { return sizeof(Node); }

 private:
  // timeInMilliseconds: gettimeofday in whole milliseconds (the same clock).
  static long long time_in_milliseconds() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  // _dictRehashStep, as dictAddRaw calls it.
  void step() {
    if (!rehashing()) return;
    ++rehash_steps_;
    rehash(1);
  }
  // _dictRehashStep, as dictFind and dictGenericDelete call it (not on an empty dict).
  void lookup_step() {
    if (size() != 0) step();
  }

  // The rest of dictAddRaw for an absent key: _dictExpandIfNeeded (may throw
  // std::bad_alloc: nothing changed yet), then the node at the head of its chain.
  void add(std::uint64_t h, const K& key, const V& value) {
    expand_if_needed();
    Node* node = new_node(key, value);
    Table& t = ht_[rehashing() ? 1 : 0];
    Node*& head = t.slots()[h & t.mask()];
    node->next = head;
    head = node;
    ++t.used;
  }

  // THE resize guard, which Redis writes out in _dictExpandIfNeeded, dictResize
  // and dictRehash. `past_force_ratio`: the imbalance at the caller exceeds
  // dict_force_resize_ratio, the only thing that lets a resize (or a rehash
  // step) proceed under kAvoid.
  bool policy_permits(bool past_force_ratio) const {
    return policy_ == ResizePolicy::kEnable || (policy_ == ResizePolicy::kAvoid && past_force_ratio);
  }

  // dictRehash's test under kAvoid: s1/s0 (or s0/s1) >= dict_force_resize_ratio.
  bool size_ratio_at_least_force() const {
    const std::size_t big = std::max(ht_[0].size, ht_[1].size);
    const std::size_t small = std::min(ht_[0].size, ht_[1].size);
    return big / small >= force_ratio_;
  }

  // _dictExpandIfNeeded, for an insert of a new key.
  void expand_if_needed() {
    if (rehashing()) return;
    if (ht_[0].size == 0) {
      begin_resize(kInitialSize);
      return;
    }
    const std::size_t used = ht_[0].used, size = ht_[0].size;
    if (used >= size && policy_permits(used / size > force_ratio_)) begin_resize(used + 1);
  }

  // server.c htNeedsResize + dict.c dictResize. Never throws.
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

  // _dictExpand: allocates ht[1] of the smallest power of two >= min_size and
  // starts rehashing into it. Returns false when the resize is not useful.
  // Throws std::bad_alloc with the map unchanged.
  bool begin_resize(std::size_t min_size) {
    if (rehashing() || ht_[0].used > min_size) return false;
    if (min_size > (std::numeric_limits<std::size_t>::max() / sizeof(Node*)) / 2) return false;  // overflow
    const std::size_t new_size = std::max(kInitialSize, std::bit_ceil(min_size));
    if (new_size == ht_[0].size) return false;  // same size is not useful
    Table fresh;
    try {
      fresh.array = ZeroedArray(*mem_, new_size * sizeof(Node*), mode_);
    } catch (const std::bad_alloc&) {
      ++resize_alloc_failures_;
      throw;
    }
    fresh.size = new_size;
    if (!ht_[0].array) {  // first table: nothing to rehash
      ht_[0] = std::move(fresh);
      return true;
    }
    ++counters_.grows_started;
    if (new_size > ht_[0].size) ++expands_started_;
    ht_[1] = std::move(fresh);
    rehashidx_ = 0;
    REHASHLAB_DEBUG_CHECK(*this);  // debug builds: at each resize start and end, not per op
    return true;
  }

  // THE mover (dictRehash's inner loop): relinks every node of ht[0] bucket `idx`
  // at the head of its ht[1] chain. No key or value is copied.
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

  // kFresh: returns the pages of ht[0] below rehashidx once a chunk's worth is pending.
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
  AllocMode mode_;
  StepModel steps_;
  unsigned force_ratio_;  // dict_force_resize_ratio
  ResizePolicy policy_ = ResizePolicy::kEnable;
  Table ht_[2];
  std::ptrdiff_t rehashidx_ = -1;
  ResizeCounters counters_;
  std::uint64_t expands_started_ = 0;
  std::uint64_t buckets_moved_ = 0;
  std::uint64_t empty_buckets_visited_ = 0;
  std::uint64_t rehash_steps_ = 0;
  std::uint64_t active_rehash_ns_ = 0;
  std::uint64_t active_rehash_buckets_ = 0;
  std::uint64_t old_bytes_released_early_ = 0;
  std::uint64_t resize_alloc_failures_ = 0;
};

}  // namespace rehashlab
