// go_swiss: Go's Swiss-table map (Go 1.24+, package internal/runtime/maps:
// map.go, table.go, group.go), reimplemented in C++. Growth never migrates the
// whole map: the map is a directory of small Swiss tables (extendible hashing),
// and one insert rebuilds at most one table -- or splits it, doubling the
// directory when it must.
//
// Layout (Go names in parentheses).
//  * Group (group.go): an 8-byte control word (ctrlGroup) and 8 slots, each slot a
//    key followed by its value (Go's slot{key, elem}, interleaved), so u64 -> u64
//    groups are 136 bytes as in Go. A control byte is empty, deleted (a tombstone)
//    or full with H2 = the low 7 bits of the hash.
//  * Table (table.go): a power-of-two array of groups (groupsReference), with used,
//    capacity, growthLeft, localDepth and index (its first directory slot). Lookup
//    probes groups along Go's probeSeq: offset = H1 & mask, then offset += 1, 2,
//    3, ... (triangular, visits every group once), H1 = hash >> 7; it stops at the
//    first group with an empty slot (getWithKey).
//  * Map (map.go): the directory, 2^globalDepth table pointers indexed by the top
//    globalDepth bits of the hash (directoryIndex). A table with localDepth <
//    globalDepth fills 2^(globalDepth - localDepth) contiguous, aligned entries.
//  * Small map: a map that never held more than 8 entries is a single group and
//    no directory (Map.dirPtr to a group, dirLen == 0; growToSmall on the first
//    insert). Small maps have no tombstones (deleteSmall empties the slot).
//
// Growth, rule by rule (Go function names).
//  * Load factor 7/8 (maxAvgGroupLoad): growthLeft starts at capacity * 7/8
//    (capacity - 1 for a single-group table) and counts down on each insert into
//    an empty slot; used + tombstones + growthLeft == that maximum, always.
//  * PutSlot: probe for the key, remembering the first tombstone; at the first
//    group with an empty slot the key is absent. Reusing a tombstone costs no
//    growthLeft. Otherwise, with growthLeft == 0, pruneTombstones first; if there
//    is still no room, rehash the table and retry from the directory (Map.PutSlot's
//    loop). An overwrite never grows anything.
//  * Delete: a slot in a group that still has an empty slot becomes empty again
//    (growthLeft++); in a full group it becomes a tombstone (probes must pass it).
//  * pruneTombstones (added to table.go after Go 1.24 for golang/go#70886; the
//    constructor switch prune_tombstones=false gives Go 1.24.0's behaviour): when
//    tombstones are >= 10% of capacity, find the groups some key's probe sequence
//    must pass, and turn the tombstones of all other groups into empty slots, but
//    only if that frees >= 10% of capacity; entries never move.
//  * rehash: a table whose doubled capacity is <= maxTableCapacity (1024 slots)
//    grows: a new table of twice the capacity, every entry re-inserted
//    (uncheckedPutSlot), the old table replaced in all its directory entries
//    (replaceTable). Go never rehashes a table in place: tombstones go away only
//    by pruneTombstones, grow or split.
//  * split: a table at maxTableCapacity splits into two tables of 1024 slots with
//    localDepth + 1, by the hash bit just below the localDepth top bits
//    (localDepthMask); installTableSplit first doubles the directory when
//    localDepth == globalDepth (every entry duplicated, table indices doubled),
//    then installs left at the old index and right 2^(globalDepth - localDepth)
//    entries later.
//  * growToSmall / growToTable: the first insert allocates the small group; the
//    9th distinct key moves the 8 entries into a 16-slot table and a directory of
//    one entry.
//  * Seed: Go draws a random seed per map and a fresh one whenever a delete empties
//    the map and in Clear (golang/go#25237). Here the first seed is the run's, and
//    re-seeds derive mix64(run_seed ^ mix64(epoch * phi)): reproducible runs. The
//    hash function is the run's SeededHash (maps/hash.h), not Go's memhash/aeshash.
//  * Clear keeps the directory and every table (Go's "TODO: shrink directory?"),
//    emptying them in place. Nothing ever shrinks.
//
// Cost of one operation. Every growth step completes inside the insert that
// triggers it. A grow or split rehashes at most one table (<= 896 entries); a
// directory doubling writes 2^(globalDepth+1) pointers and is the only step whose
// work grows with the map (it is Go's, on the same op). Tables are allocated with
// ZeroedArray in the map's AllocMode, and so is the directory (all of whose
// entries a doubling writes at once, so its zero fill is redundant: the AllocMode
// only decides where the pages come from).
//
// Invariants (check_invariants):
//  * small map: no directory, used <= 8, only empty or full control bytes, H2 of
//    each key matches, no key twice;
//  * dirLen == 2^globalDepth; each table has localDepth <= globalDepth and fills
//    exactly the 2^(globalDepth - localDepth) contiguous entries starting at its
//    index, which is aligned to that count;
//  * per table: used and tombstones recounted from the control words, and
//    used + tombstones + growthLeft == max growth; no group holds both an empty
//    slot and a tombstone (so PutSlot's "first free slot is a tombstone" test
//    proves the group full); at least one empty slot;
//  * per key: its H2 in its control byte, its directory index inside its table's
//    run, no group with an empty slot on its probe sequence before its own group
//    (reachable), and a lookup finds this very slot (no duplicate);
//  * sum of used == size(); the number of distinct tables == tables; grows
//    started == grows completed (no step outlives its operation).
//
// Deliberate differences from Go.
//  * Control bytes are stored XOR 0x80: empty = 0x00, deleted = 0x7e, full =
//    0x80 | H2 (Go: 0x80, 0xfe, H2; group.go's "TODO: Consider inverting the
//    top bit so that the zero value is empty"). Zeroed memory is then a table
//    of empty groups: a new table needs no pass writing every control word
//    (Go's reset -> setEmpty), and with AllocMode::kFresh a table of 64 KiB or
//    more (large values) is not even touched until used. The matchers are Go's
//    portable (non-amd64) SWAR formulas with the top bit's sense flipped;
//    matchH2's v is bit-for-bit Go's, so its false positives (only on full
//    slots, resolved by the key compare) are Go's too. Go on amd64 replaces
//    these matchers with SSE2 intrinsics on the same 8-byte word; this map uses
//    the SWAR form on every platform.
//  * Overwriting a key in a full small map updates it in place (Go converts to a
//    table first, marked TODO in Map.PutSlot), so an overwrite never allocates
//    (map_api.h).
//  * Hashes that do not spread (ZeroHash, hashes with few distinct top bits) would
//    make Go split a full table whose entries all share the next bit over and
//    over, doubling the directory up to 64 bits. Here a table at maximum capacity
//    is rebuilt alone instead (capacity doubled past 1024 if more than half its
//    max growth is live, else same capacity) when the split would leave one side
//    empty with that much live, or would need globalDepth > bit_width(tables) + 8.
//    A good hash never hits either (counter oversize_rebuilds). Such oversize
//    tables skip pruneTombstones (Go's bitset is sized for 1024 slots).
//  * Memory: allocation goes through the MemoryCounter (tables and groups never
//    wait for a garbage collector: an old table is freed by the step that
//    replaces it); std::bad_alloc leaves the map unchanged, because a step
//    allocates everything first (tables, then the directory) and moves entries
//    only afterwards, whereas Go would throw a fatal error.
//  * No iteration-during-growth semantics (for_each does not interleave with
//    writes), no concurrent-write detection, no indirect keys or values (Go stores
//    pointers for keys/values over 128 bytes), no NaN keys, no hint in the
//    constructor (NewMap's presizing).
//  * Split hashes each entry once, before deciding (the decision above), and
//    reuses those hashes to place the entries.
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

namespace go_swiss_detail {

static_assert(std::endian::native == std::endian::little, "control bytes are indexed little-endian");

inline constexpr std::uint64_t kLsb = 0x0101010101010101ULL;  // bitsetLSB
inline constexpr std::uint64_t kMsb = 0x8080808080808080ULL;  // bitsetMSB
inline constexpr std::uint8_t kCtrlEmpty = 0x00;              // Go's ctrlEmpty (0b10000000) ^ 0x80
inline constexpr std::uint8_t kCtrlDeleted = 0x7e;            // Go's ctrlDeleted (0b11111110) ^ 0x80

// The control byte of a full slot whose hash has H2 `h2`.
constexpr std::uint8_t full_ctrl(std::uint8_t h2) { return static_cast<std::uint8_t>(0x80 | h2); }
constexpr bool is_full(std::uint8_t c) { return (c & 0x80) != 0; }

// ctrlGroup.matchH2: full slots whose H2 may equal h2 (false positives only on full
// slots next to a true match, as in Go).
REHASHLAB_ALWAYS_INLINE std::uint64_t match_h2(std::uint64_t ctrl, std::uint8_t h2) {
  const std::uint64_t v = ctrl ^ (kLsb * full_ctrl(h2));
  return (v - kLsb) & ~v & kMsb;
}
// ctrlGroup.matchEmpty: top bit and bit 1 clear (Go: top bit set, bit 1 clear).
REHASHLAB_ALWAYS_INLINE std::uint64_t match_empty(std::uint64_t ctrl) { return ~(ctrl | (ctrl << 6)) & kMsb; }
// ctrlGroup.matchEmptyOrDeleted.
REHASHLAB_ALWAYS_INLINE std::uint64_t match_empty_or_deleted(std::uint64_t ctrl) { return ~ctrl & kMsb; }
// ctrlGroup.matchFull.
REHASHLAB_ALWAYS_INLINE std::uint64_t match_full(std::uint64_t ctrl) { return ctrl & kMsb; }
// bitset.first: the slot of the lowest set byte.
REHASHLAB_ALWAYS_INLINE std::size_t first(std::uint64_t bits) {
  return static_cast<std::size_t>(std::countr_zero(bits)) >> 3;
}
// bitset.removeFirst.
REHASHLAB_ALWAYS_INLINE std::uint64_t remove_first(std::uint64_t bits) { return bits & (bits - 1); }
constexpr std::uint8_t ctrl_byte(std::uint64_t ctrl, std::size_t i) {
  return static_cast<std::uint8_t>(ctrl >> (8 * i));
}

// probeSeq: p(i) = (i^2 + i)/2 + H1 (mod groups), a bijection on 2^k groups.
struct ProbeSeq {
  std::size_t mask;
  std::size_t offset;
  std::size_t index = 0;
  REHASHLAB_ALWAYS_INLINE ProbeSeq(std::uint64_t h1, std::size_t group_mask)
      : mask(group_mask), offset(static_cast<std::size_t>(h1) & group_mask) {}
  REHASHLAB_ALWAYS_INLINE void next() {
    ++index;
    offset = (offset + index) & mask;
  }
};

constexpr std::uint64_t h1(std::uint64_t hash) { return hash >> 7; }                           // upper 57 bits
constexpr std::uint8_t h2(std::uint64_t hash) { return static_cast<std::uint8_t>(hash & 0x7f); }  // lower 7 bits

}  // namespace go_swiss_detail

template <class K, class V, class Hash = SeededHash<K>>
class GoSwissMap {
  static_assert(std::is_nothrow_move_constructible_v<K> && std::is_nothrow_move_constructible_v<V>,
                "growth moves keys and values after allocating, and must not fail half-way");
  static constexpr bool kReseedable = requires(Hash& h) { h.seed = std::uint64_t{}; };

  // Go's slot{key, elem}: a key and its value side by side.
  struct Slot {
    alignas(K) unsigned char key[sizeof(K)];
    alignas(V) unsigned char value[sizeof(V)];
  };
  struct Group {
    std::uint64_t ctrl;  // control byte i belongs to slots[i]
    Slot slots[8];
    void* key_addr(std::size_t i) { return slots[i].key; }
    void* value_addr(std::size_t i) { return slots[i].value; }
    K* key(std::size_t i) { return std::launder(reinterpret_cast<K*>(slots[i].key)); }
    V* value(std::size_t i) { return std::launder(reinterpret_cast<V*>(slots[i].value)); }
    const K* key(std::size_t i) const { return std::launder(reinterpret_cast<const K*>(slots[i].key)); }
    const V* value(std::size_t i) const { return std::launder(reinterpret_cast<const V*>(slots[i].value)); }
    void set_ctrl(std::size_t i, std::uint8_t c) { reinterpret_cast<unsigned char*>(&ctrl)[i] = c; }
    void destroy(std::size_t i) {
      std::destroy_at(key(i));
      std::destroy_at(value(i));
    }
  };
  static_assert(alignof(Group) <= ZeroedArray::kCacheLine, "ZeroedArray aligns groups to a cache line at most");

  struct Table {
    Group* groups = nullptr;     // groups.data
    std::size_t group_mask = 0;  // groups.lengthMask
    std::size_t capacity = 0;    // slots, a power of two >= 8
    std::size_t used = 0;        // full slots
    std::size_t growth_left = 0;
    std::size_t index = 0;       // first directory entry holding this table
    std::uint8_t local_depth = 0;
    ZeroedArray storage;         // the groups
  };

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = "go_swiss";
  static constexpr bool kInHouse = true;

  static constexpr std::size_t kSlots = 8;                // abi.SwissMapGroupSlots
  static constexpr std::size_t kMaxAvgGroupLoad = 7;      // maxAvgGroupLoad (of 8)
  static constexpr std::size_t kMaxTableCapacity = 1024;  // maxTableCapacity
  // The directory may be 2^8 times larger than the number of tables needs before
  // a split is refused (hostile hashes only; see the header).
  static constexpr unsigned kDirectorySlackBits = 8;

  GoSwissMap(const Hash& hash, MemoryCounter& mem, AllocMode mode = AllocMode::kFresh, bool prune_tombstones = true)
      : hash_(hash), run_seed_(seed_of(hash)), mem_(&mem), mode_(mode), prune_(prune_tombstones) {}
  GoSwissMap(const GoSwissMap&) = delete;
  GoSwissMap& operator=(const GoSwissMap&) = delete;
  ~GoSwissMap() { release_all(); }

  // Map.PutSlot + Put.
  bool insert_or_assign(const K& key, const V& value) {
    const std::uint64_t h = hash_(key);
    if (dir_len_ == 0) {
      if (!small_) grow_to_small();  // may throw: nothing changed
      Group* g = small_group();
      if (V* v = find_in_small(g, h, key)) {
        *v = value;
        return false;
      }
      if (used_ < kSlots) {
        put_small(g, h, key, value);
        return true;
      }
      grow_to_table();  // may throw: nothing changed
    }
    for (;;) {
      Table* t = dir_[directory_index(h)];
      switch (put_slot(t, h, key, value)) {
        case Put::kUpdated: return false;
        case Put::kInserted: ++used_; return true;
        case Put::kNoRoom: rehash(t); break;  // may throw: nothing changed; then retry
      }
    }
  }

  // Map.Get / getWithoutKey.
  REHASHLAB_ALWAYS_INLINE const V* find(const K& key) {
    if (used_ == 0) return nullptr;
    const std::uint64_t h = hash_(key);
    if (dir_len_ == 0) [[unlikely]] return find_in_small(small_group(), h, key);
    return find_in_table(dir_[directory_index(h)], h, key);
  }

  // Map.Delete.
  bool erase(const K& key) {
    if (used_ == 0) return false;
    const std::uint64_t h = hash_(key);
    const bool erased = dir_len_ == 0 ? erase_small(small_group(), h, key)
                                      : erase_in_table(dir_[directory_index(h)], h, key);
    if (erased && --used_ == 0) reseed();  // golang/go#25237
    return erased;
  }

  std::size_t size() const { return used_; }

  // Map.Clear: empties every table in place and keeps them and the directory.
  void clear() {
    if (used_ == 0) return;
    if (dir_len_ == 0) {
      Group* g = small_group();
      destroy_group_entries(g);
      g->ctrl = 0;
    } else {
      for_each_table([&](Table* t) {
        for (std::size_t gi = 0; gi <= t->group_mask; ++gi) {
          destroy_group_entries(&t->groups[gi]);
          t->groups[gi].ctrl = 0;
        }
        t->used = 0;
        t->growth_left = max_growth_left(t->capacity);
      });
    }
    used_ = 0;
    reseed();
  }

  template <class F>
  void for_each(F&& f) const {
    auto visit = [&](const Group* g) {
      for (std::uint64_t m = go_swiss_detail::match_full(g->ctrl); m != 0; m = go_swiss_detail::remove_first(m)) {
        const std::size_t i = go_swiss_detail::first(m);
        f(*g->key(i), *g->value(i));
      }
    };
    if (dir_len_ == 0) {
      if (small_) visit(small_group());
      return;
    }
    for_each_table([&](const Table* t) {
      for (std::size_t gi = 0; gi <= t->group_mask; ++gi) visit(&t->groups[gi]);
    });
  }

  ResizeCounters resize_counters() const { return counters_; }  // migrating stays false

  // Counters (all cumulative unless marked "now"):
  //  tables_split            splits (each replaced one table by two)
  //  directory_doublings     splits that first doubled the directory
  //  table_grows             tables rebuilt at twice the capacity (<= 1024 slots)
  //  small_to_table          small maps converted to a table (growToTable)
  //  oversize_rebuilds       tables rebuilt alone instead of split (hostile hashes)
  //  split_bytes_total / split_bytes_max   bytes a split wrote: each moved entry's
  //                          key + value + control byte, and the directory entries
  //                          installTableSplit rewrote for the two halves (not the
  //                          doubling, counted next)
  //  doubling_bytes_total / doubling_bytes_max   directory pointers a doubling wrote
  //  grow_bytes_total / grow_bytes_max   the same as split_bytes for grows
  //  prune_attempts / prunes / tombstones_pruned   pruneTombstones calls past the
  //                          first 10% test, those that pruned, and slots freed
  //  tables / global_depth / directory_entries   (now)
  //  max_table_capacity      the largest table ever allocated, in slots
  //  hash_reseeds            seeds drawn after the first (map emptied, clear)
  template <class F>
  void for_each_counter(F&& f) const {
    f("tables_split", tables_split_);
    f("directory_doublings", directory_doublings_);
    f("table_grows", table_grows_);
    f("small_to_table", small_to_table_);
    f("oversize_rebuilds", oversize_rebuilds_);
    f("split_bytes_total", split_bytes_total_);
    f("split_bytes_max", split_bytes_max_);
    f("doubling_bytes_total", doubling_bytes_total_);
    f("doubling_bytes_max", doubling_bytes_max_);
    f("grow_bytes_total", grow_bytes_total_);
    f("grow_bytes_max", grow_bytes_max_);
    f("prune_attempts", prune_attempts_);
    f("prunes", prunes_);
    f("tombstones_pruned", tombstones_pruned_);
    f("tables", tables_);
    f("global_depth", global_depth_);
    f("directory_entries", dir_len_);
    f("max_table_capacity", max_table_capacity_);
    f("hash_reseeds", epoch_);
  }

  void maintenance(std::chrono::nanoseconds) {}  // Go does all growth on writes

  void check_invariants() const {
    using namespace go_swiss_detail;
    require_invariant(counters_.grows_started == counters_.migrations_completed && !counters_.migrating,
                      "a growth step outlived its operation");
    if (dir_len_ == 0) {
      require_invariant(!dir_storage_ && dir_ == nullptr && tables_ == 0 && global_depth_ == 0,
                        "a small map has a directory or tables");
      if (!small_) {
        require_invariant(used_ == 0, "entries without a group");
        return;
      }
      require_invariant(used_ <= kSlots, "a small map holds more than 8 entries");
      const Group* g = small_group();
      std::size_t full = 0;
      for (std::size_t i = 0; i < kSlots; ++i) {
        const std::uint8_t c = ctrl_byte(g->ctrl, i);
        require_invariant(c == kCtrlEmpty || is_full(c), "a small map has a tombstone");
        if (!is_full(c)) continue;
        ++full;
        const std::uint64_t h = hash_(*g->key(i));
        require_invariant(c == full_ctrl(h2(h)), "control byte does not hold the key's H2");
        require_invariant(find_in_small(g, h, *g->key(i)) == g->value(i), "a key is in the small group twice");
      }
      require_invariant(full == used_, "size() differs from the full slots of the small group");
      return;
    }
    require_invariant(check_directory(true) == used_, "size() differs from the sum of the tables' used");
  }

  // --- Test-only observability -------------------------------------------------
  std::size_t table_count() const { return tables_; }
  std::uint64_t tables_split() const { return tables_split_; }
  std::uint64_t directory_doublings() const { return directory_doublings_; }
  std::uint64_t prunes() const { return prunes_; }
  unsigned global_depth() const { return global_depth_; }
  bool is_small() const { return dir_len_ == 0; }
  AllocMode alloc_mode() const { return mode_; }
  std::uint64_t hash_seed() const {
    if constexpr (kReseedable) return hash_.seed;
    return 0;
  }
  // Tombstones in all tables (O(tables)).
  std::size_t tombstones() const {
    std::size_t n = 0;
    if (dir_len_ == 0) return 0;
    for_each_table([&](const Table* t) { n += max_growth_left(t->capacity) - t->used - t->growth_left; });
    return n;
  }
  static constexpr std::size_t group_bytes() { return sizeof(Group); }

 private:
  enum class Put : std::uint8_t { kInserted, kUpdated, kNoRoom };

  static std::uint64_t seed_of(const Hash& hash) {
    if constexpr (kReseedable) return hash.seed;
    return 0;
  }

  void reseed() {
    ++epoch_;
    if constexpr (kReseedable) hash_.seed = mix64(run_seed_ ^ mix64(epoch_ * 0x9e3779b97f4a7c15ULL));
  }

  // table.maxGrowthLeft: inserts an empty table of `capacity` slots takes before rehash.
  static constexpr std::size_t max_growth_left(std::size_t capacity) {
    return capacity <= kSlots ? capacity - 1 : capacity * kMaxAvgGroupLoad / kSlots;
  }

  // localDepthMask: the hash bit that splits a table into tables of depth `depth`.
  static constexpr std::uint64_t depth_bit(unsigned depth) { return std::uint64_t{1} << (64 - depth); }

  // Map.directoryIndex: the top globalDepth bits (0 when the directory has one entry).
  REHASHLAB_ALWAYS_INLINE std::size_t directory_index(std::uint64_t h) const {
    return static_cast<std::size_t>(h >> (global_shift_ & 63)) & dir_mask_;
  }

  Group* small_group() const { return static_cast<Group*>(small_.data()); }

  template <class F>
  void for_each_table(F&& f) const {
    for (std::size_t i = 0; i < dir_len_;) {
      Table* t = dir_[i];
      i += std::size_t{1} << (global_depth_ - t->local_depth);
      f(t);
    }
  }

  static void destroy_group_entries(Group* g) {
    if constexpr (!std::is_trivially_destructible_v<K> || !std::is_trivially_destructible_v<V>) {
      for (std::uint64_t m = go_swiss_detail::match_full(g->ctrl); m != 0; m = go_swiss_detail::remove_first(m)) {
        g->destroy(go_swiss_detail::first(m));
      }
    }
  }

  // Constructs key and value in slot i of g; on an exception nothing is left behind.
  static void construct_slot(Group* g, std::size_t i, const K& key, const V& value) {
    ::new (g->key_addr(i)) K(key);
    try {
      ::new (g->value_addr(i)) V(value);
    } catch (...) {
      std::destroy_at(g->key(i));
      throw;
    }
  }

  // --- small map (map.go) ----------------------------------------------------------

  // growToSmall.
  void grow_to_small() { small_ = ZeroedArray(*mem_, sizeof(Group), mode_); }

  // getWithKeySmall (matchH2 on the one group; small maps have no tombstones).
  REHASHLAB_ALWAYS_INLINE static V* find_in_small(Group* g, std::uint64_t h, const K& key) {
    using namespace go_swiss_detail;
    for (std::uint64_t m = match_h2(g->ctrl, h2(h)); m != 0; m = remove_first(m)) {
      const std::size_t i = first(m);
      if (*g->key(i) == key) return g->value(i);
    }
    return nullptr;
  }
  static const V* find_in_small(const Group* g, std::uint64_t h, const K& key) {
    return find_in_small(const_cast<Group*>(g), h, key);
  }

  // putSlotSmall, for a key known to be absent, with a free slot.
  void put_small(Group* g, std::uint64_t h, const K& key, const V& value) {
    using namespace go_swiss_detail;
    const std::size_t i = first(match_empty_or_deleted(g->ctrl));
    construct_slot(g, i, key, value);
    g->set_ctrl(i, full_ctrl(h2(h)));
    ++used_;
  }

  // deleteSmall: the slot becomes empty at once (one group: no probe sequence).
  static bool erase_small(Group* g, std::uint64_t h, const K& key) {
    using namespace go_swiss_detail;
    for (std::uint64_t m = match_h2(g->ctrl, h2(h)); m != 0; m = remove_first(m)) {
      const std::size_t i = first(m);
      if (*g->key(i) == key) {
        g->destroy(i);
        g->set_ctrl(i, kCtrlEmpty);
        return true;
      }
    }
    return false;
  }

  // --- tables (table.go) ---------------------------------------------------------

  // Owns a table until it is installed: frees it (entries must be gone) on unwind.
  struct TableHolder {
    GoSwissMap* map;
    Table* table;
    TableHolder(GoSwissMap* m, Table* t) : map(m), table(t) {}
    TableHolder(const TableHolder&) = delete;
    ~TableHolder() {
      if (table != nullptr) map->free_table(table);
    }
    Table* release() { return std::exchange(table, nullptr); }
  };

  // newTable + reset: `capacity` slots (a power of two >= 8), all empty because
  // zeroed memory is empty in this encoding. Throws std::bad_alloc, leaking nothing.
  Table* new_table(std::size_t capacity, std::uint8_t local_depth) {
    void* raw = mem_->allocate(sizeof(Table), alignof(Table));
    Table* t = ::new (raw) Table{};
    try {
      t->storage = ZeroedArray(*mem_, capacity / kSlots * sizeof(Group), mode_);
    } catch (...) {
      t->~Table();
      mem_->deallocate(raw, sizeof(Table), alignof(Table));
      throw;
    }
    t->groups = static_cast<Group*>(t->storage.data());
    t->group_mask = capacity / kSlots - 1;
    t->capacity = capacity;
    t->growth_left = max_growth_left(capacity);
    t->local_depth = local_depth;
    max_table_capacity_ = std::max<std::uint64_t>(max_table_capacity_, capacity);
    return t;
  }

  // Frees a table's memory; its entries must already be destroyed or moved out.
  void free_table(Table* t) noexcept {
    t->~Table();
    mem_->deallocate(t, sizeof(Table), alignof(Table));
  }

  // getWithoutKey.
  REHASHLAB_ALWAYS_INLINE static const V* find_in_table(const Table* t, std::uint64_t h, const K& key) {
    using namespace go_swiss_detail;
    const std::uint8_t tag = h2(h);
    for (ProbeSeq s(h1(h), t->group_mask);; s.next()) {
      const Group* g = &t->groups[s.offset];
      const std::uint64_t ctrl = g->ctrl;
      for (std::uint64_t m = match_h2(ctrl, tag); m != 0; m = remove_first(m)) {
        const std::size_t i = first(m);
        if (*g->key(i) == key) [[likely]] return g->value(i);
      }
      if (match_empty(ctrl) != 0) [[likely]] return nullptr;  // end of the probe sequence
    }
  }

  // table.PutSlot. kNoRoom: growthLeft is 0 even after pruneTombstones; the
  // caller rehashes the table and retries.
  REHASHLAB_ALWAYS_INLINE Put put_slot(Table* t, std::uint64_t h, const K& key, const V& value) {
    using namespace go_swiss_detail;
    const std::uint8_t tag = h2(h);
    Group* deleted_group = nullptr;  // first tombstone on the probe sequence
    std::size_t deleted_slot = 0;
    for (ProbeSeq s(h1(h), t->group_mask);; s.next()) {
      Group* g = &t->groups[s.offset];
      const std::uint64_t ctrl = g->ctrl;
      for (std::uint64_t m = match_h2(ctrl, tag); m != 0; m = remove_first(m)) {
        const std::size_t i = first(m);
        if (*g->key(i) == key) {
          *g->value(i) = value;
          return Put::kUpdated;
        }
      }
      const std::uint64_t free = match_empty_or_deleted(ctrl);
      if (free == 0) continue;  // only full slots: keep probing
      std::size_t i = first(free);
      if (ctrl_byte(ctrl, i) == kCtrlDeleted) {
        // A group with a tombstone has no empty slot (invariant): keep probing.
        if (deleted_group == nullptr) deleted_group = g, deleted_slot = i;
        continue;
      }
      // An empty slot: the key is absent.
      const bool reuse = deleted_group != nullptr;  // a tombstone costs no growthLeft
      if (reuse) {
        g = deleted_group;
        i = deleted_slot;
      } else if (t->growth_left == 0) {
        if (prune_) prune_tombstones(t);  // never touches g: it has an empty slot
        if (t->growth_left == 0) return Put::kNoRoom;
      }
      construct_slot(g, i, key, value);  // may throw: nothing changed
      g->set_ctrl(i, full_ctrl(tag));
      if (!reuse) --t->growth_left;
      ++t->used;
      return Put::kInserted;
    }
  }

  // uncheckedPutSlot: moves an entry known to be absent into a table with room
  // (growthLeft > 0) and no tombstones.
  static void unchecked_put(Table* t, std::uint64_t h, K& key, V& value) noexcept {
    using namespace go_swiss_detail;
    for (ProbeSeq s(h1(h), t->group_mask);; s.next()) {
      Group* g = &t->groups[s.offset];
      const std::uint64_t free = match_empty_or_deleted(g->ctrl);
      if (free == 0) continue;
      const std::size_t i = first(free);
      ::new (g->key_addr(i)) K(std::move(key));
      ::new (g->value_addr(i)) V(std::move(value));
      g->set_ctrl(i, full_ctrl(h2(h)));
      --t->growth_left;
      ++t->used;
      return;
    }
  }

  // table.Delete.
  bool erase_in_table(Table* t, std::uint64_t h, const K& key) {
    using namespace go_swiss_detail;
    const std::uint8_t tag = h2(h);
    for (ProbeSeq s(h1(h), t->group_mask);; s.next()) {
      Group* g = &t->groups[s.offset];
      const std::uint64_t ctrl = g->ctrl;
      for (std::uint64_t m = match_h2(ctrl, tag); m != 0; m = remove_first(m)) {
        const std::size_t i = first(m);
        if (*g->key(i) == key) {
          g->destroy(i);
          --t->used;
          // A group with an empty slot ends every probe sequence that reaches it,
          // so this slot can be empty too; in a full group it must stay "occupied".
          if (match_empty(ctrl) != 0) {
            g->set_ctrl(i, kCtrlEmpty);
            ++t->growth_left;
          } else {
            g->set_ctrl(i, kCtrlDeleted);
          }
          return true;
        }
      }
      if (match_empty(ctrl) != 0) return false;
    }
  }

  // table.pruneTombstones (see the header). Moves no entry.
  void prune_tombstones(Table* t) {
    using namespace go_swiss_detail;
    const std::size_t tombstones = max_growth_left(t->capacity) - t->used - t->growth_left;
    if (tombstones * 10 < t->capacity) return;  // not worth the O(capacity) pass
    if (t->capacity > kMaxTableCapacity) return;  // oversize table (deliberate difference)
    ++prune_attempts_;
    constexpr std::size_t kMaxGroups = kMaxTableCapacity / kSlots;
    std::uint64_t needed[(kMaxGroups + 63) / 64] = {};  // groups whose tombstones must stay
    auto mark = [&](std::size_t gi) { needed[gi / 64] |= std::uint64_t{1} << (gi % 64); };
    auto is_needed = [&](std::size_t gi) { return (needed[gi / 64] >> (gi % 64)) & 1; };
    for (std::size_t gi = 0; gi <= t->group_mask; ++gi) {
      const Group* g = &t->groups[gi];
      for (std::uint64_t m = match_full(g->ctrl); m != 0; m = remove_first(m)) {
        const std::uint64_t h = hash_(*g->key(first(m)));
        // Every group this key's lookup passes before its own: its tombstones stay.
        for (ProbeSeq s(h1(h), t->group_mask); s.offset != gi; s.next()) {
          if (match_empty_or_deleted(t->groups[s.offset].ctrl) != 0) mark(s.offset);
        }
      }
      if (match_empty(g->ctrl) != 0) mark(gi);  // groups with an empty slot are left alone
    }
    std::size_t count = 0;
    for (std::size_t gi = 0; gi <= t->group_mask; ++gi) {
      if (!is_needed(gi)) count += static_cast<std::size_t>(std::popcount(match_empty_or_deleted(t->groups[gi].ctrl)));
    }
    if (count * 10 < t->capacity) return;  // cannot restore 10% of capacity: grow instead
    for (std::size_t gi = 0; gi <= t->group_mask; ++gi) {
      if (is_needed(gi)) continue;
      Group* g = &t->groups[gi];
      for (std::uint64_t m = match_empty_or_deleted(g->ctrl); m != 0; m = remove_first(m)) {
        g->set_ctrl(first(m), kCtrlEmpty);  // a tombstone (this group has no empty slot)
        ++t->growth_left;
      }
    }
    ++prunes_;
    tombstones_pruned_ += count;
  }

  // Moves every entry of `from` into the table dest(hash) picks; the old slots are
  // left destroyed (the caller frees `from` next). `hashes`, if given, holds the
  // hash of slot g*8+i. Returns the number of entries moved.
  template <class Dest>
  std::size_t move_entries(Table* from, const std::uint64_t* hashes, Dest&& dest) noexcept {
    using namespace go_swiss_detail;
    std::size_t moved = 0;
    for (std::size_t gi = 0; gi <= from->group_mask; ++gi) {
      Group* g = &from->groups[gi];
      for (std::uint64_t m = match_full(g->ctrl); m != 0; m = remove_first(m)) {
        const std::size_t i = first(m);
        K& key = *g->key(i);
        V& value = *g->value(i);
        const std::uint64_t h = hashes != nullptr ? hashes[gi * kSlots + i] : hash_(key);
        unchecked_put(dest(h), h, key, value);
        g->destroy(i);
        ++moved;
      }
    }
    return moved;
  }

  // Map.replaceTable: points all of nt's directory entries at it. Returns entries written.
  std::size_t replace_table(Table* nt) noexcept {
    const std::size_t entries = std::size_t{1} << (global_depth_ - nt->local_depth);
    for (std::size_t i = 0; i < entries; ++i) dir_[nt->index + i] = nt;
    return entries;
  }

  // Bookkeeping of one growth step that moved `moved` entries and wrote
  // `dir_entries` directory entries for the new table(s).
  void count_step(std::size_t moved, std::size_t dir_entries, std::uint64_t& total, std::uint64_t& max) {
    const std::uint64_t payload = moved * (sizeof(K) + sizeof(V));
    const std::uint64_t index = moved + dir_entries * sizeof(Table*);  // control bytes + pointers
    ++counters_.grows_started;
    ++counters_.migrations_completed;
    ++counters_.old_arrays_freed;
    counters_.entries_moved += moved;
    counters_.payload_bytes_moved += payload;
    counters_.index_bytes_moved += index;
    total += payload + index;
    max = std::max(max, payload + index);
  }

  // growToTable: the small group's entries into a 16-slot table, and a directory
  // of one entry. Throws std::bad_alloc with the map unchanged.
  void grow_to_table() {
    TableHolder holder(this, new_table(2 * kSlots, 0));
    ZeroedArray dir(*mem_, sizeof(Table*), mode_);
    Table* t = holder.release();
    Group* g = small_group();
    std::size_t moved = 0;
    for (std::uint64_t m = go_swiss_detail::match_full(g->ctrl); m != 0; m = go_swiss_detail::remove_first(m)) {
      const std::size_t i = go_swiss_detail::first(m);
      unchecked_put(t, hash_(*g->key(i)), *g->key(i), *g->value(i));
      g->destroy(i);
      ++moved;
    }
    small_.reset();
    dir_storage_ = std::move(dir);
    dir_ = static_cast<Table**>(dir_storage_.data());
    dir_len_ = 1;
    global_depth_ = 0;
    global_shift_ = 64;
    dir_mask_ = 0;
    t->index = 0;
    dir_[0] = t;
    tables_ = 1;
    ++small_to_table_;
    std::uint64_t unused_max = 0, unused_total = 0;
    count_step(moved, 1, unused_total, unused_max);
    debug_check_step(t, nullptr);
  }

  // table.rehash: grow below maxTableCapacity, else split (or, for hashes that do
  // not spread, rebuild alone). Throws std::bad_alloc with the map unchanged.
  void rehash(Table* t) {
    if (t->capacity * 2 <= kMaxTableCapacity) {
      grow(t, t->capacity * 2, nullptr);
      return;
    }
    // Hash every entry once: the split decision below and the moves use them.
    std::uint64_t hash_buffer[kMaxTableCapacity];
    std::uint64_t* hashes = t->capacity <= kMaxTableCapacity ? hash_buffer : nullptr;
    const std::uint64_t bit = depth_bit(t->local_depth + 1u);
    std::size_t right = 0;
    for (std::size_t gi = 0; gi <= t->group_mask; ++gi) {
      const Group* g = &t->groups[gi];
      for (std::uint64_t m = go_swiss_detail::match_full(g->ctrl); m != 0; m = go_swiss_detail::remove_first(m)) {
        const std::size_t i = go_swiss_detail::first(m);
        const std::uint64_t h = hash_(*g->key(i));
        if (hashes != nullptr) hashes[gi * kSlots + i] = h;
        right += (h & bit) != 0;
      }
    }
    const std::size_t left = t->used - right;
    const bool one_sided = (left == 0 || right == 0) && t->used > max_growth_left(t->capacity) / 2;
    const bool doubling = t->local_depth == global_depth_;
    const unsigned depth_cap = std::min<unsigned>(56, std::bit_width(tables_) + kDirectorySlackBits);
    if (!one_sided && (!doubling || global_depth_ + 1u <= depth_cap)) {
      split(t, left, right, hashes);
      return;
    }
    ++oversize_rebuilds_;
    const bool need_more = t->used * 2 > max_growth_left(t->capacity);
    grow(t, need_more ? t->capacity * 2 : t->capacity, hashes);
  }

  // table.grow: t rebuilt at `capacity` slots, same localDepth and directory entries.
  void grow(Table* t, std::size_t capacity, const std::uint64_t* hashes) {
    Table* nt = new_table(capacity, t->local_depth);  // may throw: nothing changed
    nt->index = t->index;
    const std::size_t moved = move_entries(t, hashes, [nt](std::uint64_t) { return nt; });
    const std::size_t written = replace_table(nt);
    free_table(t);
    ++table_grows_;
    count_step(moved, written, grow_bytes_total_, grow_bytes_max_);
    debug_check_step(nt, nullptr);
  }

  // The smallest power-of-two capacity >= maxTableCapacity that takes `count`
  // entries with room for one more (maxTableCapacity unless oversize).
  static std::size_t split_capacity(std::size_t count) {
    std::size_t c = kMaxTableCapacity;
    while (max_growth_left(c) <= count) c *= 2;
    return c;
  }

  // table.split + Map.installTableSplit.
  void split(Table* t, std::size_t left_count, std::size_t right_count, const std::uint64_t* hashes) {
    const std::uint8_t depth = static_cast<std::uint8_t>(t->local_depth + 1);
    TableHolder left(this, new_table(split_capacity(left_count), depth));
    TableHolder right(this, new_table(split_capacity(right_count), depth));
    const bool doubling = t->local_depth == global_depth_;
    ZeroedArray new_dir;
    if (doubling) new_dir = ZeroedArray(*mem_, 2 * dir_len_ * sizeof(Table*), mode_);
    // Everything is allocated: nothing below throws.
    const std::uint64_t bit = depth_bit(depth);
    Table* l = left.release();
    Table* r = right.release();
    const std::size_t moved = move_entries(t, hashes, [&](std::uint64_t h) { return (h & bit) ? r : l; });
    if (doubling) grow_directory(std::move(new_dir));
    l->index = t->index;
    std::size_t written = replace_table(l);
    r->index = l->index + (std::size_t{1} << (global_depth_ - depth));
    written += replace_table(r);
    free_table(t);
    ++tables_;
    ++tables_split_;
    count_step(moved, written, split_bytes_total_, split_bytes_max_);
    debug_check_step(l, r);
  }

  // The directory-growing half of installTableSplit: each entry duplicated, each
  // table's index doubled (once: its first entry is the one equal to its index).
  void grow_directory(ZeroedArray&& fresh) noexcept {
    Table** nd = static_cast<Table**>(fresh.data());
    for (std::size_t i = 0; i < dir_len_; ++i) {
      Table* t = dir_[i];
      nd[2 * i] = t;
      nd[2 * i + 1] = t;
      if (t->index == i) t->index = 2 * i;
    }
    dir_storage_ = std::move(fresh);  // frees the old directory
    dir_ = nd;
    dir_len_ *= 2;
    ++global_depth_;
    --global_shift_;
    dir_mask_ = dir_len_ - 1;
    const std::uint64_t bytes = dir_len_ * sizeof(Table*);
    ++directory_doublings_;
    counters_.index_bytes_moved += bytes;
    doubling_bytes_total_ += bytes;
    doubling_bytes_max_ = std::max(doubling_bytes_max_, bytes);
  }

  // The directory part of check_invariants: runs of each table, and with `deep`
  // every table's contents too. Returns the entries counted (0 unless deep).
  std::size_t check_directory(bool deep) const {
    require_invariant(!small_, "a small group next to a directory");
    require_invariant(dir_len_ == std::size_t{1} << global_depth_, "directory length is not 2^globalDepth");
    require_invariant(dir_storage_.size_bytes() == dir_len_ * sizeof(Table*) && dir_ == dir_storage_.data(),
                      "directory storage does not match its length");
    require_invariant(dir_mask_ == dir_len_ - 1 && global_shift_ == 64 - global_depth_,
                      "directory mask or shift does not match globalDepth");
    std::size_t tables = 0, live = 0;
    for (std::size_t i = 0; i < dir_len_;) {
      const Table* t = dir_[i];
      require_invariant(t != nullptr, "empty directory entry");
      require_invariant(t->local_depth <= global_depth_, "localDepth > globalDepth");
      const std::size_t span = std::size_t{1} << (global_depth_ - t->local_depth);
      require_invariant(t->index == i, "a table's index is not its first directory entry");
      require_invariant(i % span == 0, "a table's directory entries are not aligned to their count");
      for (std::size_t j = i; j < i + span; ++j) {
        require_invariant(dir_[j] == t, "a table's 2^(globalDepth-localDepth) directory entries are not contiguous");
      }
      if (deep) live += check_table(t, i, span);
      ++tables;
      i += span;
    }
    require_invariant(tables == tables_, "tables counter differs from the distinct tables in the directory");
    return live;
  }

  // Debug builds (REHASHLAB_CHECK_INVARIANTS): after a growth step, the directory
  // and the tables the step created -- O(directory + table), so a build with
  // checks stays linear in the operations (a full check per split would not).
  void debug_check_step([[maybe_unused]] const Table* a, [[maybe_unused]] const Table* b) const {
#if defined(REHASHLAB_CHECK_INVARIANTS) && REHASHLAB_CHECK_INVARIANTS
    require_invariant(counters_.grows_started == counters_.migrations_completed,
                      "a growth step outlived its operation");
    check_directory(false);
    for (const Table* t : {a, b}) {
      if (t != nullptr) check_table(t, t->index, std::size_t{1} << (global_depth_ - t->local_depth));
    }
#endif
  }

  // Per-table part of check_invariants; returns the table's used.
  std::size_t check_table(const Table* t, std::size_t first_entry, std::size_t span) const {
    using namespace go_swiss_detail;
    require_invariant(std::has_single_bit(t->capacity) && t->capacity >= kSlots, "capacity is not a power of two >= 8");
    require_invariant(t->capacity <= kMaxTableCapacity || oversize_rebuilds_ > 0,
                      "a table beyond maxTableCapacity without an oversize rebuild");
    require_invariant(t->group_mask + 1 == t->capacity / kSlots && t->groups == t->storage.data() &&
                          t->storage.size_bytes() == t->capacity / kSlots * sizeof(Group),
                      "groups array does not match capacity");
    std::size_t full = 0, deleted = 0, empty = 0;
    for (std::size_t gi = 0; gi <= t->group_mask; ++gi) {
      const Group* g = &t->groups[gi];
      std::size_t g_deleted = 0, g_empty = 0;
      for (std::size_t i = 0; i < kSlots; ++i) {
        const std::uint8_t c = ctrl_byte(g->ctrl, i);
        require_invariant(c == kCtrlEmpty || c == kCtrlDeleted || is_full(c), "invalid control byte");
        g_deleted += c == kCtrlDeleted;
        g_empty += c == kCtrlEmpty;
      }
      require_invariant(g_deleted == 0 || g_empty == 0, "a group holds both a tombstone and an empty slot");
      deleted += g_deleted;
      empty += g_empty;
      for (std::uint64_t m = match_full(g->ctrl); m != 0; m = remove_first(m)) {
        const std::size_t i = first(m);
        ++full;
        const K& key = *g->key(i);
        const std::uint64_t h = hash_(key);
        require_invariant(ctrl_byte(g->ctrl, i) == full_ctrl(h2(h)), "control byte does not hold the key's H2");
        require_invariant(directory_index(h) - first_entry < span, "a key is in a table its hash does not select");
        std::size_t steps = 0;
        for (ProbeSeq s(h1(h), t->group_mask); s.offset != gi; s.next()) {
          require_invariant(match_empty(t->groups[s.offset].ctrl) == 0,
                            "a key is unreachable: its probe sequence meets an empty slot first");
          require_invariant(++steps <= t->group_mask, "a key's group is not on its probe sequence");
        }
        require_invariant(find_in_table(t, h, key) == g->value(i), "a key is in a table twice");
      }
    }
    require_invariant(full == t->used, "used differs from the full control bytes");
    require_invariant(t->used + deleted + t->growth_left == max_growth_left(t->capacity),
                      "used + tombstones + growthLeft != the table's max growth");
    require_invariant(empty > 0, "a table without an empty slot (probes would not end)");
    return full;
  }

  void release_all() noexcept {
    if (dir_len_ == 0) {
      if (small_) destroy_group_entries(small_group());
      small_.reset();
      return;
    }
    for_each_table([&](Table* t) {
      for (std::size_t gi = 0; gi <= t->group_mask; ++gi) destroy_group_entries(&t->groups[gi]);
      free_table(t);
    });
    dir_storage_.reset();
  }

  Hash hash_;                  // the run's hasher, re-seeded when the map empties
  std::uint64_t run_seed_;     // the run's seed
  std::uint64_t epoch_ = 0;    // re-seeds so far
  MemoryCounter* mem_;
  AllocMode mode_;
  bool prune_;                 // pruneTombstones on (Go after 1.24) or off (Go 1.24.0)
  Table** dir_ = nullptr;      // the directory (dirPtr), dirLen entries
  std::size_t dir_len_ = 0;    // 0: small map (or nothing allocated yet)
  std::size_t dir_mask_ = 0;   // dirLen - 1
  std::uint8_t global_depth_ = 0;
  std::uint8_t global_shift_ = 64;  // 64 - globalDepth
  std::size_t used_ = 0;       // entries
  std::size_t tables_ = 0;     // distinct tables in the directory
  ZeroedArray dir_storage_;
  ZeroedArray small_;          // the small map's group
  ResizeCounters counters_;
  std::uint64_t tables_split_ = 0;
  std::uint64_t directory_doublings_ = 0;
  std::uint64_t table_grows_ = 0;
  std::uint64_t small_to_table_ = 0;
  std::uint64_t oversize_rebuilds_ = 0;
  std::uint64_t split_bytes_total_ = 0;
  std::uint64_t split_bytes_max_ = 0;
  std::uint64_t doubling_bytes_total_ = 0;
  std::uint64_t doubling_bytes_max_ = 0;
  std::uint64_t grow_bytes_total_ = 0;
  std::uint64_t grow_bytes_max_ = 0;
  std::uint64_t prune_attempts_ = 0;
  std::uint64_t prunes_ = 0;
  std::uint64_t tombstones_pruned_ = 0;
  std::uint64_t max_table_capacity_ = 0;
};

}  // namespace rehashlab
