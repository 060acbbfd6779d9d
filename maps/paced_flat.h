// paced_flat: rehashlab's own map. An open-addressing flat table (the lookup of
// Boost's unordered_flat_map) whose growth is an incremental migration paced to
// the fewest entries per write that still finishes in time, so that neither the
// grow nor the migration puts a large operation on the tail.
//
// Layout. 2^B groups of 15 slots in two arrays, as Boost's group15
// (boost/unordered/detail/foa.hpp): 16 control bytes per group in one, the
// slots {K key; V value} inline, 15 per group, in the other. Probes that end
// without a tag match (every insert of a new key, every miss) read only the
// control array, which is 1/16 of the slots' size for u64 -> u64 and so stays
// in cache far longer than slots would with control bytes interleaved.
// Control bytes:
//  * bytes 0-14, one per slot: 0 = empty, else the slot's tag, the hash's low
//    byte with 0 mapped to 1 (8 bits of hash, as Boost; Abseil spends one bit
//    on empty/deleted and keeps 7);
//  * byte 15, the overflow byte: bit (tag & 7) is set when an insert of a key
//    with that tag found the group full and probed on (Boost's ofw byte).
// Empty is 0 and a group with no overflow is all zero, so a zero page is a valid
// empty table: a new array costs no O(n) initialisation (AllocMode::kFresh).
// Erase writes 0 over the tag (no tombstones, as Boost). The 15 tags are
// matched against a byte at once: SSE2 compare + movemask, or a portable SWAR
// version over two 64-bit words (exact, no false positives) elsewhere.
//
// Lookup. Home group = hash >> (64 - B) (the high bits: see "Order" below);
// probe groups home, +1, +3, +6, ... (triangular numbers, which visit every
// group of a power-of-two table once, as Boost's pow2_quadratic_prober). At
// each group compare the key of every slot whose tag matches; stop at a group
// whose overflow byte lacks the key's bit, or after max_probe steps (the
// largest probe step any insert into the table used). The probe loop is
// find_in(); inserts take the first group with an empty slot on the same
// sequence (free_slot()), setting the overflow bit of each full group passed.
//
// Load. At most max_load = 7/8 of the slots are used (Boost's 0.875). As in
// Boost, erasing from a group whose overflow byte has the erased tag's bit
// lowers max_load by one (the freed slot does not shorten any probe that
// passes the group), so insert/erase churn ends in a rebuild instead of probe
// lengths that drift upward (counter drift).
//
// Growth. A grow is triggered only by an insert of a new key, when no
// migration runs and size + 1 > max_load. With S = size, the new array has the
// smallest 2^B' groups (never fewer than now) whose max_load' >= S + S/16 + 1:
// normally double; the same size ("cleanup") when drift triggered it at a load
// up to ~0.82 (Boost asks for S/61, so it cleans up at loads up to ~0.86 where
// this map doubles; more slack keeps the guarantee's quota below 16 per write).
// Starting a grow allocates the new arrays (only this can throw; the map is
// then unchanged), keeps the current ones as the old arrays and moves nothing.
//
// Pacing (the point of this map). Let R = entries still in the old array and
// G = max_load' - size = inserts of new keys left before the new array would be
// due to grow; S and G0 are R and G when the grow starts. G only falls by
// inserts of new keys, one each; erases raise it or leave it. Every write
// (insert_or_assign, erase) while migrating first moves
//     quota = max(q0, R - floor(S * (G - 1) / G0)),
//     q0 = min(ceil(kPaceFactor * S / G0), kMaxPlannedQuota)
// entries. q0 (>= 1) is the plan: finish within G0 / kPaceFactor inserts, a
// quarter of the slack (a doubling from a full table has G0 ~ S, so q0 = 4).
// A quarter rather than the whole slack bounds how long the old array is held:
// the mean bytes per entry stays within ~10% of a table without migration.
// The plan is capped at 8 per write: a cleanup has little slack (G0 >= S/16),
// and under the churn that causes cleanups erases give slack back, so the plan
// alone would overshoot. The second term is the guarantee: the fewest moves
// that keep R on or below the line from (G0, S) to (0, 0) should this write
// insert a new key, i.e. R * G0 <= S * G after every write (checked by
// check_invariants); it averages S / G0 <= 16 per insert. At G = 1 it is R:
// the write moves all that is left. Hence every migration ends before the
// insert that would bring the new array to its threshold, and no grow ever
// starts while one runs. Inserts cannot outrun this pace (it is counted in
// inserts); what can fall behind the plan is a cleanup's capped q0, or a step
// cut short by its scan bound (below), and then the guarantee term raises the
// quota (tests: PacingGuaranteeHolds*, ScanBounded*, Churn*).
//
// Migration step. A cursor walks the old array in group order; every old group
// below it is empty. The step moves the cursor group's live entries one by one
// (lowest slot first) into the new array, clearing their tags, and advances the
// cursor when the group is empty. A step stops when it has moved `quota`
// entries, or when it has read kScanGroupsPerWrite + quota control words and
// moved what the guarantee needs (empty groups left by erasure cost a read
// each, bounded per write unless the guarantee needs more). The migration ends
// when R = 0.
//
// Order. Only the cursor is walked (no write evacuates "its own" key's group,
// as Go's growWork evacuates the written key's bucket: a random read and two
// random writes per write), so the old array is read sequentially. Because the
// home group is the hash's top B bits (as in Boost), a doubling sends old group
// g to new groups 2g and 2g + 1, so the new array is written in one nearly
// sequential stream too (a few groups behind or ahead, by probe displacement);
// with hash & mask homes (Go, Redis) old bucket i goes to i and i + 2^oldB,
// two such streams. A move is a hash and two cache-friendly copies.
//
// Where a key is while migrating: in the new array, or in the old array at a
// group at or beyond the cursor; never both. Reads and writes look where it is
// likely to be first: if the key's old home group is >= cursor, the old array
// first (an entry not moved yet can only be there), then the new one; else the
// new array first, then the old one, where the probe skips (without reading)
// every group below the cursor and stops after the old array's max_probe steps
// -- usually no memory access at all (a key whose old probe sequence, home plus
// the largest offset used, ends below the cursor cannot be there). Inserts of
// new keys go to the new array; erases remove from whichever array holds it.
//
// Reads and idle time. Finds do no migration work: two arrays at once make a
// lookup dearer (a miss probes both, and both compete for the caches), and
// moving entries on finds, as Redis's dictFind does, measured dearer still
// while the migration runs, batched or not (results/bench/README.md; most
// likely the moves keep consecutive finds from overlapping their cache
// misses: this VM has no performance counters). A read-only phase leaves a
// migration where it was; maintenance() (the idle-time hook, Redis's
// serverCron rehash) finishes it: migration steps of kMaintenanceQuota
// entries, pre-fault batches and release batches until its budget is spent.
// The pacing above does not rely on it.
//
// Residual spikes (what moving few entries per write does not fix by itself).
//  * Page faults. New arrays come from fresh zero pages (kFresh: ZeroedArray's
//    mmap), so no write pays an O(n) fill, but every page still costs a first
//    touch: on the VM this was developed on, several times a typical write,
//    and not cheaper per page when batched (page_fault_bench, results/bench/
//    README.md). An array has a page per ~240 slots (u64 -> u64), so left to
//    random inserts ~1.3% of all writes would pay one and set the p99. The map
//    therefore pre-faults its new arrays ahead of use, kPrefaultPagesPerWrite
//    pages per write (madvise(MADV_POPULATE_WRITE), then one atomic no-op
//    write per page: see prefault()), control words first, from the grow on
//    until all is resident. The faults then fall on few writes (one per 64
//    pages, ~0.02% of the writes of a growing map) of bounded cost, and the
//    window in which a random insert can still touch a fresh page is
//    short (pages / 64 writes). Deliberate difference from "one fault per
//    write": with faults this expensive that spreads them over the p99; the
//    batch size trades the p99.9 (fewer, larger batches) against the max.
//  * Old array release (kFresh). As the cursor advances, pages wholly below it
//    go back to the OS (ZeroedArray::release_prefix), at most one batch of
//    kReleaseBatchBytes (one munmap) per write. When the migration ends the rest
//    is returned the same way by later writes ("retiring"; freed at once if a
//    new grow starts first, counter forced_retire_frees). Known residual: on the
//    AMD host of 2026-12-07 the first batch after a grow's pre-faulting took
//    3.8-4.1 ms (any 128-page munmap after faulting 512 MiB, reproduced without
//    a map by bench/release_after_fault_probe; 32-page batches or a TLB flush
//    per pre-fault batch avoid it at a cost: results/bench/README.md). It is this
//    map's largest op there; not mitigated, being that host's.
//  * AllocMode::kSystem / kNaive: calloc / operator new + memset of the whole new
//    arrays when the grow starts, no pre-faulting, and one free of each old
//    array on the write that ends the migration -- what the real systems do.
//
// Invariants (check_invariants):
//  * size == live slots of the new array + live slots of the old array at
//    groups >= cursor; every live slot's tag is tag(hash(key)) and find_in
//    from its key's home group reaches that very slot (reachable through the
//    overflow bytes, within max_probe, first match); an old-array key is not in
//    the new array, and the migrating lookup finds it (exactly one table);
//  * size <= max_load <= 7/8 of the slots; max_probe < groups;
//  * while migrating: 0 < R, cursor <= old groups, released old pages lie
//    below the cursor's group in both arrays, G >= 1, R * G0 <= S * G (the
//    pace never falls behind its own guarantee), the last migration step moved
//    at most its quota;
//  * grows_started == migrations_completed + (1 while migrating);
//  * pre-fault progress within the array; busy flag == (migrating or
//    pre-faulting or retiring).
//
// Deliberate differences from Boost (beyond incremental growth): no xmx
// post-mixing of the hash (the harness's SeededHash already avalanches); the
// overflow bit comes from the tag (Boost: hash % 8, the same bits); a max_probe
// bound per table, which Boost does not need; grows leave S/16 slack, not S/61;
// no sentinel group (iteration walks the control words); no shrink (neither
// does Boost).
//
// Counters. ResizeCounters: grows_started / migrations_completed /
// old_arrays_freed as usual (the first allocation is not a grow);
// entries_moved; payload_bytes_moved = entries_moved * (sizeof K + sizeof V);
// index_bytes_moved = one tag byte per moved entry. Map-specific
// (for_each_counter):
//  doubling_grows / cleanup_grows   grows to a larger array / to the same size
//  log2_groups                      B of the current (new) array
//  capacity                         slots of the current array
//  growing                          1 while a migration runs
//  cursor                           the migration cursor (old group), 0 if none
//  old_entries                      R, entries still in the old array
//  gap                              G = max_load' - size while migrating, else 0
//  pace_quota / max_pace_quota      q0 of the running migration (0 if none) / max
//  max_step_quota                   largest quota any migration step had (q0,
//                                   the guarantee's, kMaintenanceQuota)
//  last_step_moved / max_step_moved entries the last / any migration step moved
//  migration_steps                  migration steps (by writes and maintenance)
//  slots_scanned                    old slots examined by migration steps
//                                   (15 per control word read; re-reads count)
//  max_groups_scanned_per_step      most control words one step read
//  old_bytes_released               old-array bytes returned in batches
//  release_batches                  release_prefix calls that returned bytes
//  retiring_bytes                   old-array bytes still held after migration
//  forced_retire_frees              retiring arrays freed at once by a new grow
//  prefault_pages / prefault_batches   pages pre-faulted / batches (writes, maintenance)
//  max_probe                        max_probe of the current array
//  drift                            max_load decrements by erasure (all arrays)
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <algorithm>
#include <bit>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

#include "maps/map_api.h"
#include "maps/memory.h"

namespace rehashlab {
namespace paced_flat {

inline constexpr std::size_t kGroupSlots = 15;
inline constexpr std::size_t kCtrlBytes = 16;
inline constexpr std::size_t kOverflowByte = 15;
inline constexpr std::uint32_t kSlotBits = 0x7fff;  // one bit per slot in a match mask

// The tag stored for a hash: its low byte, never 0 (0 means empty).
REHASHLAB_ALWAYS_INLINE std::uint8_t tag_of(std::uint64_t h) {
  const auto t = static_cast<std::uint8_t>(h);
  return static_cast<std::uint8_t>(t | static_cast<std::uint8_t>(t == 0));
}
// The overflow-byte bit of a tag.
REHASHLAB_ALWAYS_INLINE std::uint8_t overflow_bit(std::uint8_t tag) {
  return static_cast<std::uint8_t>(1u << (tag & 7));
}

// Portable group match: two 64-bit words, exact per-byte equality.
struct SwarGroup {
  // Bit i (i < 15) set iff ctrl[i] == byte.
  static std::uint32_t match(const unsigned char* ctrl, std::uint8_t byte) {
    std::uint64_t lo, hi;
    std::memcpy(&lo, ctrl, 8);
    std::memcpy(&hi, ctrl + 8, 8);
    const std::uint64_t pattern = 0x0101010101010101ull * byte;
    return (gather(zero_bytes(lo ^ pattern)) | gather(zero_bytes(hi ^ pattern)) << 8) & kSlotBits;
  }

 private:
  // Bit 8i+7 set iff byte i of x is 0 (no false positives: no carries cross bytes).
  static std::uint64_t zero_bytes(std::uint64_t x) {
    constexpr std::uint64_t kLow7 = 0x7f7f7f7f7f7f7f7full;
    return ~(((x & kLow7) + kLow7) | x | kLow7);
  }
  // Moves bit 8i+7 to bit i (the multiply places each byte's bit in the top
  // byte at a distinct position, so no sums carry).
  static std::uint32_t gather(std::uint64_t m) {
    return static_cast<std::uint32_t>(((m >> 7) * 0x0102040810204080ull) >> 56);
  }
};

#if defined(__SSE2__)
// SSE2 group match (every x86-64 CPU has it): one compare, one movemask.
struct Sse2Group {
  static std::uint32_t match(const unsigned char* ctrl, std::uint8_t byte) {
    const __m128i c = _mm_load_si128(reinterpret_cast<const __m128i*>(ctrl));
    const __m128i eq = _mm_cmpeq_epi8(c, _mm_set1_epi8(static_cast<char>(byte)));
    return static_cast<std::uint32_t>(_mm_movemask_epi8(eq)) & kSlotBits;
  }
};
#endif

#if defined(__SSE2__) && !defined(REHASHLAB_PACED_FLAT_SWAR)
using Group = Sse2Group;
#else
using Group = SwarGroup;
#endif

inline std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

#if defined(MADV_POPULATE_WRITE)
inline constexpr int kMadvPopulateWrite = MADV_POPULATE_WRITE;
#else
inline constexpr int kMadvPopulateWrite = 23;  // Linux >= 5.14; older kernels say EINVAL
#endif

// Makes the whole pages of [p, p + bytes) resident and writable, as a first write
// would, without changing their contents. Returns pages touched.
// madvise(MADV_POPULATE_WRITE) does the guest kernel's part of the fault in one
// call, then one atomic no-op write per page does what only a real write does:
// on some hosts the first write after the populate still costs microseconds
// (the hypervisor backs the page then). page_fault_bench rows populate_64 and
// write_after_populate; results/bench/page_fault.* : 60 ns on the Intel host of
// the reference, 4.2 us on the AMD host of 2026-12-07 (populate alone then
// left a 4-5 us write on 1.3% of a 20M run's inserts, its p99).
inline std::size_t prefault(unsigned char* p, std::size_t bytes) {
  static bool populate_works = true;
  const std::size_t page = page_size();
  if (populate_works && ::madvise(p, bytes, kMadvPopulateWrite) != 0) populate_works = false;
  for (std::size_t off = 0; off < bytes; off += page) __atomic_fetch_or(p + off, 0, __ATOMIC_RELAXED);
  return bytes / page;
}

// The slot of K -> V and the bytes of one group's slots.
template <class K, class V>
struct Layout {
  struct Slot {
    K key;
    V value;
  };
  static constexpr std::size_t kGroupBytes = kGroupSlots * sizeof(Slot);
};

// Pre-faulting progress over one array: bytes [next, end) from its start are
// still to be made resident (whole pages only).
struct PrefaultRange {
  std::size_t next = 0;
  std::size_t end = 0;
  bool pending() const { return next < end; }
  // The whole pages inside [p, p + bytes) (all of them when p is page-aligned).
  static PrefaultRange of(const void* p, std::size_t bytes) {
    const std::size_t page = page_size();
    const auto addr = reinterpret_cast<std::uintptr_t>(p);
    PrefaultRange r;
    r.next = (page - addr % page) % page;
    r.end = std::max(r.next, static_cast<std::size_t>((addr + bytes) / page * page - addr));
    return r;
  }
  // Pre-faults up to `max_bytes` more of the array at `base`; returns pages.
  std::size_t step(unsigned char* base, std::size_t max_bytes) {
    const std::size_t n = std::min(max_bytes, end - next);
    const std::size_t pages = prefault(base + next, n);
    next += n;
    return pages;
  }
};

}  // namespace paced_flat

template <class K, class V, class Hash = SeededHash<K>>
class PacedFlatMap {
  using L = paced_flat::Layout<K, V>;
  using Slot = typename L::Slot;
  using Group = paced_flat::Group;
  using PrefaultRange = paced_flat::PrefaultRange;
  static constexpr std::size_t kCtrlBytes = paced_flat::kCtrlBytes;
  static constexpr std::size_t kGroupBytes = L::kGroupBytes;
  static constexpr std::size_t kGroupSlots = paced_flat::kGroupSlots;
  static constexpr std::size_t kOverflowByte = paced_flat::kOverflowByte;
  static_assert(std::is_nothrow_move_constructible_v<K> && std::is_nothrow_move_constructible_v<V>,
                "migration moves entries and must not throw");

 public:
  using key_type = K;
  using mapped_type = V;
  using hasher = Hash;
  static constexpr std::string_view kName = "paced_flat";
  static constexpr bool kInHouse = true;

  // Plan: finish a migration within 1/kPaceFactor of the slack G0.
  static constexpr std::size_t kPaceFactor = 4;
  // A grow leaves at least S / kMinSlackDivisor inserts of slack (so the
  // guarantee needs at most kMinSlackDivisor moves per insert on average).
  static constexpr std::size_t kMinSlackDivisor = 16;
  // The plan's quota per write, at most.
  static constexpr std::size_t kMaxPlannedQuota = 8;
  // Control words a migration step may read beyond its quota (once it has
  // moved what the guarantee needs).
  static constexpr std::size_t kScanGroupsPerWrite = 16;
  // Pages of the new arrays pre-faulted per write until all are resident (kFresh).
  static constexpr std::size_t kPrefaultPagesPerWrite = 64;
  // Old-array bytes returned per release (kFresh): one munmap of 128 pages.
  static constexpr std::size_t kReleaseBatchBytes = std::size_t{512} << 10;
  // Entries a maintenance() migration step moves.
  static constexpr std::size_t kMaintenanceQuota = 256;
  // The first table: 2 groups (30 slots).
  static constexpr unsigned kMinLog2Groups = 1;

  PacedFlatMap(const Hash& hash, MemoryCounter& mem, AllocMode mode = AllocMode::kFresh)
      : hash_(hash), mem_(&mem), mode_(mode) {
    reset_to_empty(cur_);
  }
  PacedFlatMap(const PacedFlatMap&) = delete;
  PacedFlatMap& operator=(const PacedFlatMap&) = delete;
  ~PacedFlatMap() { destroy_entries(); }

  bool insert_or_assign(const K& key, const V& value) {
    const std::uint64_t h = hash_(key);
    if (busy_) [[unlikely]] return insert_busy(h, key, value);
    if (Slot* s = find_in<false>(cur_, h, key, 0)) {
      s->value = value;
      return false;
    }
    if (size_ >= cur_.max_load) [[unlikely]] return insert_with_grow(h, key, value);
    emplace(h, key, value);
    return true;
  }

  const V* find(const K& key) {
    const std::uint64_t h = hash_(key);
    if (migrating()) [[unlikely]] return find_while_migrating(h, key);
    const Slot* s = find_in<false>(cur_, h, key, 0);
    return s != nullptr ? &s->value : nullptr;
  }

  bool erase(const K& key) {
    const std::uint64_t h = hash_(key);
    if (busy_) [[unlikely]] return erase_busy(h, key);
    Slot* s = find_in<false>(cur_, h, key, 0);
    if (s == nullptr) return false;
    erase_slot(cur_, s);
    return true;
  }

  std::size_t size() const { return size_; }

  // Drops every entry and all arrays; the map is as constructed (no array).
  void clear() {
    destroy_entries();
    if (migrating()) {
      ++counters_.migrations_completed;  // abandoned: nothing reads it any more
      ++counters_.old_arrays_freed;
      old_ = Table();
    }
    free_retiring(false);
    cur_ = Table();
    reset_to_empty(cur_);
    size_ = 0;
    cursor_ = 0;
    pace_quota_ = 0;
    busy_ = false;
  }

  template <class F>
  void for_each(F&& f) const {
    if (migrating()) visit_table(old_, cursor_, f);
    visit_table(cur_, 0, f);
  }

  ResizeCounters resize_counters() const {
    ResizeCounters c = counters_;
    c.migrating = migrating();
    return c;
  }

  template <class F>
  void for_each_counter(F&& f) const {
    f("doubling_grows", doubling_grows_);
    f("cleanup_grows", counters_.grows_started - doubling_grows_);
    f("log2_groups", has_array(cur_) ? static_cast<std::uint64_t>(64 - cur_.shift) : 0);
    f("capacity", capacity());
    f("growing", migrating() ? 1 : 0);
    f("cursor", migrating() ? cursor_ : 0);
    f("old_entries", old_.count);
    f("gap", gap());
    f("pace_quota", pace_quota());
    f("max_pace_quota", max_pace_quota_);
    f("max_step_quota", max_step_quota_);
    f("last_step_moved", last_step_moved_);
    f("max_step_moved", max_step_moved_);
    f("migration_steps", migration_steps_);
    f("slots_scanned", groups_scanned_ * kGroupSlots);
    f("max_groups_scanned_per_step", max_groups_scanned_);
    f("old_bytes_released", old_bytes_released_);
    f("release_batches", release_batches_);
    f("retiring_bytes", retiring_bytes());
    f("forced_retire_frees", forced_retire_frees_);
    f("prefault_pages", prefault_pages_);
    f("prefault_batches", prefault_batches_);
    f("max_probe", cur_.max_probe);
    f("drift", drift_);
  }

  // Idle time (Redis's serverCron rehash): migration steps of kMaintenanceQuota
  // entries, pre-fault batches and release batches until the budget is spent or
  // nothing is left to do. Budget 0 does nothing.
  void maintenance(std::chrono::nanoseconds budget) {
    if (!busy_ || budget.count() <= 0) return;
    const auto deadline = std::chrono::steady_clock::now() + budget;
    do {
      if (migrating()) migrate_step(kMaintenanceQuota, false);
      prefault_step();
      if (mode_ == AllocMode::kFresh) release_step();
      update_busy();
    } while (busy_ && std::chrono::steady_clock::now() < deadline);
  }

  void check_invariants() const {
    require_invariant(counters_.grows_started == counters_.migrations_completed + (migrating() ? 1 : 0),
                      "grows started != migrations completed (+1 while migrating)");
    require_invariant(busy_ == (migrating() || prefault_pending() || retiring()),
                      "busy flag differs from (migrating or pre-faulting or retiring)");
    const std::size_t live = check_table(cur_, false);
    require_invariant(live == cur_.count, "new array: count differs from its live slots");
    require_invariant(size_ <= cur_.max_load, "size above max_load: a grow was due and did not happen");
    require_invariant(cur_.ctrl_prefault.next <= cur_.ctrl_prefault.end &&
                          cur_.ctrl_prefault.end <= cur_.ctrl_storage.size_bytes() &&
                          cur_.slot_prefault.next <= cur_.slot_prefault.end &&
                          cur_.slot_prefault.end <= cur_.slot_storage.size_bytes(),
                      "pre-fault progress outside its array");
    if (migrating()) {
      require_invariant(old_.count > 0, "migration still running with no entry left in the old array");
      require_invariant(cursor_ <= old_.mask, "cursor beyond the old array's last group");
      require_invariant(old_.ctrl_storage.released_bytes() <= cursor_ * kCtrlBytes &&
                            old_.slot_storage.released_bytes() <= cursor_ * kGroupBytes,
                        "released old pages reach the cursor's group");
      const std::size_t old_live = check_table(old_, true);
      require_invariant(old_live == old_.count, "old array: count differs from its live slots at/after the cursor");
      require_invariant(cur_.max_load > size_, "migrating with no slack left (G = 0)");
      require_invariant(static_cast<unsigned __int128>(old_.count) * pace_g0_ <=
                            static_cast<unsigned __int128>(pace_s0_) * gap(),
                        "pace fell behind its guarantee: R * G0 > S * G");
      require_invariant(last_step_moved_ <= last_step_quota_, "the last migration step moved more than its quota");
    } else {
      require_invariant(old_.count == 0 && !has_array(old_), "an old array outlived its migration");
    }
    require_invariant(size_ == cur_.count + old_.count, "size() != entries in both arrays");
  }

  // --- Test-only observability and knobs --------------------------------------
  bool migrating() const { return old_.ctrl != nullptr; }
  std::size_t cursor() const { return cursor_; }
  std::size_t old_entries() const { return old_.count; }
  std::size_t gap() const { return migrating() ? cur_.max_load - size_ : 0; }
  std::size_t max_load() const { return cur_.max_load; }
  std::size_t capacity() const { return has_array(cur_) ? (cur_.mask + 1) * kGroupSlots : 0; }
  std::size_t pace_quota() const { return migrating() ? pace_quota_ : 0; }
  std::size_t last_step_moved() const { return last_step_moved_; }
  std::size_t last_step_quota() const { return last_step_quota_; }
  bool prefault_pending() const { return cur_.ctrl_prefault.pending() || cur_.slot_prefault.pending(); }
  AllocMode alloc_mode() const { return mode_; }
  // Whether `key` is in the old (not yet moved) / the new array.
  bool in_old_array(const K& key) const {
    return migrating() && find_in<true>(old_, hash_(key), key, cursor_) != nullptr;
  }
  bool in_new_array(const K& key) const { return find_in<false>(cur_, hash_(key), key, 0) != nullptr; }
  // Old-array bytes not yet returned to the OS (migrating or retiring).
  std::size_t old_array_bytes_held() const {
    std::size_t held = retiring_bytes();
    if (migrating()) held += unreleased(old_.ctrl_storage) + unreleased(old_.slot_storage);
    return held;
  }
  // The current arrays (for residency checks): control words, slots.
  const ZeroedArray& ctrl_array() const { return cur_.ctrl_storage; }
  const ZeroedArray& slot_array() const { return cur_.slot_storage; }
  // Scales the planned quota q0 (kPaceFactor by default), also of a running
  // migration; 0 leaves only the guarantee term, i.e. a pace that falls behind
  // its plan on every write.
  void set_pace_factor_for_testing(std::size_t factor) {
    pace_factor_ = factor;
    if (migrating()) pace_quota_ = planned_quota(pace_s0_, pace_g0_);
  }

 private:
  struct Table {
    ZeroedArray ctrl_storage;       // 16 control bytes per group
    ZeroedArray slot_storage;       // 15 slots per group
    unsigned char* ctrl = nullptr;  // nullptr: no table
    unsigned char* slots = nullptr;
    std::size_t mask = 0;           // groups - 1
    unsigned shift = 63;            // 64 - B: home group = hash >> shift
    std::size_t count = 0;          // live slots
    std::size_t max_load = 0;       // size allowed before a grow; lowered by drift
    std::size_t max_probe = 0;      // largest probe step any insert used
    PrefaultRange ctrl_prefault;    // kFresh: what is still to pre-fault
    PrefaultRange slot_prefault;

    Table() = default;
    Table(Table&& o) noexcept { *this = std::move(o); }
    Table& operator=(Table&& o) noexcept {
      ctrl_storage = std::move(o.ctrl_storage);
      slot_storage = std::move(o.slot_storage);
      ctrl = std::exchange(o.ctrl, nullptr);
      slots = std::exchange(o.slots, nullptr);
      mask = std::exchange(o.mask, 0);
      shift = std::exchange(o.shift, 63);
      count = std::exchange(o.count, 0);
      max_load = std::exchange(o.max_load, 0);
      max_probe = std::exchange(o.max_probe, 0);
      ctrl_prefault = std::exchange(o.ctrl_prefault, PrefaultRange{});
      slot_prefault = std::exchange(o.slot_prefault, PrefaultRange{});
      return *this;
    }
  };

  // The control words of a map with no array: two all-zero groups. Their slots
  // are never read (no tag matches) and max_load 0 sends the first insert to
  // insert_with_grow before anything is written.
  alignas(16) static inline unsigned char empty_ctrl_[2 * kCtrlBytes] = {};

  static void reset_to_empty(Table& t) {
    t.ctrl = empty_ctrl_;
    t.slots = empty_ctrl_;
    t.mask = 1;
    t.shift = 63;
  }
  // has_array reports whether t owns arrays (not the shared empty table).
  static bool has_array(const Table& t) { return t.ctrl != nullptr && t.ctrl != empty_ctrl_; }
  static std::size_t unreleased(const ZeroedArray& a) { return a ? a.size_bytes() - a.released_bytes() : 0; }
  bool retiring() const { return static_cast<bool>(retiring_[0]) || static_cast<bool>(retiring_[1]); }
  std::size_t retiring_bytes() const { return unreleased(retiring_[0]) + unreleased(retiring_[1]); }

  static std::size_t max_load_for(std::size_t groups) {
    const std::size_t slots = groups * kGroupSlots;
    return slots - slots / 8;
  }

  static unsigned char* ctrl_at(const Table& t, std::size_t group) { return t.ctrl + group * kCtrlBytes; }
  static Slot* slot_at(const Table& t, std::size_t group, unsigned i) {
    return std::launder(reinterpret_cast<Slot*>(t.slots + group * kGroupBytes + i * sizeof(Slot)));
  }
  static std::uint32_t occupied(const unsigned char* ctrl) { return ~Group::match(ctrl, 0) & paced_flat::kSlotBits; }

  // THE lookup probe. With kSkip, groups below `skip_below` (the migration
  // cursor: empty, possibly unmapped) are stepped over without being read.
  template <bool kSkip>
  REHASHLAB_ALWAYS_INLINE Slot* find_in(const Table& t, std::uint64_t h, const K& key, std::size_t skip_below) const {
    const std::uint8_t tag = paced_flat::tag_of(h);
    std::size_t pos = static_cast<std::size_t>(h >> t.shift);
    for (std::size_t step = 0;;) {
      if (!kSkip || pos >= skip_below) {
        const unsigned char* ctrl = ctrl_at(t, pos);
        for (std::uint32_t m = Group::match(ctrl, tag); m != 0; m &= m - 1) {
          Slot* s = slot_at(t, pos, static_cast<unsigned>(std::countr_zero(m)));
          if (s->key == key) [[likely]] return s;
        }
        if ((ctrl[kOverflowByte] & paced_flat::overflow_bit(tag)) == 0) [[likely]] return nullptr;
      }
      if (step == t.max_probe) return nullptr;
      pos = (pos + ++step) & t.mask;
    }
  }

  // A table's probing parameters, copied into locals where a loop also stores
  // through unsigned char* (which may alias any member, forcing reloads).
  struct View {
    unsigned char* ctrl;
    unsigned char* slots;
    std::size_t mask;
    unsigned shift;
    explicit View(const Table& t) : ctrl(t.ctrl), slots(t.slots), mask(t.mask), shift(t.shift) {}
    Slot* slot(std::size_t group, unsigned i) const {
      return std::launder(reinterpret_cast<Slot*>(slots + group * kGroupBytes + i * sizeof(Slot)));
    }
  };

  // The insert probe: the first group with an empty slot on the key's probe
  // sequence (one exists: count < slots), marking the full groups passed;
  // raises max_probe to the step used.
  struct FreeSlot {
    std::size_t group;
    unsigned index;
  };
  REHASHLAB_ALWAYS_INLINE static FreeSlot free_slot(const View& t, std::uint64_t h, std::size_t& max_probe) {
    std::size_t pos = static_cast<std::size_t>(h >> t.shift);
    for (std::size_t step = 0;;) {
      unsigned char* ctrl = t.ctrl + pos * kCtrlBytes;
      const std::uint32_t empty = Group::match(ctrl, 0);
      if (empty != 0) [[likely]] {
        if (step > max_probe) [[unlikely]] max_probe = step;
        return {pos, static_cast<unsigned>(std::countr_zero(empty))};
      }
      ctrl[kOverflowByte] |= paced_flat::overflow_bit(paced_flat::tag_of(h));
      pos = (pos + ++step) & t.mask;
    }
  }

  // Inserts a key known to be absent into the current array.
  REHASHLAB_ALWAYS_INLINE void emplace(std::uint64_t h, const K& key, const V& value) {
    const View t(cur_);
    const FreeSlot f = free_slot(t, h, cur_.max_probe);
    ::new (t.slot(f.group, f.index)) Slot{key, value};  // may throw (e.g. std::string): tag not yet set
    t.ctrl[f.group * kCtrlBytes + f.index] = paced_flat::tag_of(h);
    ++cur_.count;
    ++size_;
  }

  // Lookup while migrating: the likelier array first (see the header). A key
  // whose whole old probe sequence lies below the cursor (home + the largest
  // triangular offset used, without wrapping) cannot be in the old array.
  REHASHLAB_ALWAYS_INLINE Slot* find_migrating(std::uint64_t h, const K& key) const {
    const auto old_home = static_cast<std::size_t>(h >> old_.shift);
    if (old_home >= cursor_) {
      if (Slot* s = find_in<true>(old_, h, key, cursor_)) return s;
      return find_in<false>(cur_, h, key, 0);
    }
    if (Slot* s = find_in<false>(cur_, h, key, 0)) return s;
    if (old_home + old_reach_ < cursor_) return nullptr;
    return find_in<true>(old_, h, key, cursor_);
  }

  [[gnu::noinline]] const V* find_while_migrating(std::uint64_t h, const K& key) const {
    const Slot* s = find_migrating(h, key);
    return s != nullptr ? &s->value : nullptr;
  }

  // Starts loading the key's home control words, so that they arrive while
  // write_step works.
  void prefetch_homes(std::uint64_t h) const {
    if (migrating()) {
      const auto old_home = static_cast<std::size_t>(h >> old_.shift);
      if (old_home >= cursor_) __builtin_prefetch(ctrl_at(old_, old_home));
    }
    __builtin_prefetch(ctrl_at(cur_, static_cast<std::size_t>(h >> cur_.shift)));
  }

  [[gnu::noinline]] bool insert_busy(std::uint64_t h, const K& key, const V& value) {
    prefetch_homes(h);
    write_step();
    Slot* s = migrating() ? find_migrating(h, key) : find_in<false>(cur_, h, key, 0);
    if (s != nullptr) {
      s->value = value;
      return false;
    }
    if (size_ >= cur_.max_load) return insert_with_grow(h, key, value);  // never while migrating (pacing)
    emplace(h, key, value);
    return true;
  }

  [[gnu::noinline]] bool insert_with_grow(std::uint64_t h, const K& key, const V& value) {
    start_grow();  // throws std::bad_alloc with nothing changed
    write_step();
    emplace(h, key, value);
    return true;
  }

  [[gnu::noinline]] bool erase_busy(std::uint64_t h, const K& key) {
    prefetch_homes(h);
    write_step();
    if (migrating()) {
      if (Slot* s = find_in<true>(old_, h, key, cursor_)) {
        erase_slot(old_, s);
        if (old_.count == 0) finish_migration();
        return true;
      }
    }
    Slot* s = find_in<false>(cur_, h, key, 0);
    if (s == nullptr) return false;
    erase_slot(cur_, s);
    return true;
  }

  // Destroys the entry at s (in t) and frees its slot. In the current array, a
  // slot freed in a group that overflowed for its tag lowers max_load (drift).
  void erase_slot(Table& t, Slot* s) {
    const auto offset = static_cast<std::size_t>(reinterpret_cast<unsigned char*>(s) - t.slots);
    const std::size_t group = offset / kGroupBytes;
    const auto index = static_cast<unsigned>(offset % kGroupBytes / sizeof(Slot));
    unsigned char* ctrl = ctrl_at(t, group);
    if (&t == &cur_ && (ctrl[kOverflowByte] & paced_flat::overflow_bit(ctrl[index])) != 0) {
      --cur_.max_load;
      ++drift_;
    }
    s->~Slot();
    ctrl[index] = 0;
    --t.count;
    --size_;
  }

  // Allocates the next arrays and starts migrating into them (or installs the first).
  void start_grow() {
    const std::size_t s = size_;
    const std::size_t want = s + s / kMinSlackDivisor + 1;
    unsigned log2 = has_array(cur_) ? 64 - cur_.shift : kMinLog2Groups;
    while (max_load_for(std::size_t{1} << log2) < want) ++log2;
    Table fresh = make_table(log2);  // may throw: nothing changed yet
    free_retiring(true);
    if (!has_array(cur_)) {  // the first array: nothing to migrate
      cur_ = std::move(fresh);
      update_busy();
      return;
    }
    ++counters_.grows_started;
    if (fresh.mask > cur_.mask) ++doubling_grows_;
    old_ = std::move(cur_);
    cur_ = std::move(fresh);
    cursor_ = 0;
    old_reach_ = old_.max_probe * (old_.max_probe + 1) / 2;
    pace_s0_ = s;
    pace_g0_ = cur_.max_load - s;
    pace_quota_ = planned_quota(s, pace_g0_);
    max_pace_quota_ = std::max<std::uint64_t>(max_pace_quota_, pace_quota_);
    if (s == 0) {
      finish_migration();  // nothing to move (erasure emptied the map, drift left no room)
    } else {
      update_busy();
      REHASHLAB_DEBUG_CHECK(*this);  // debug builds: at each grow start and end, not per op
    }
  }

  // q0 = min(ceil(kPaceFactor * S / G0), kMaxPlannedQuota), at least 1 (0 only
  // for a test's factor 0).
  std::size_t planned_quota(std::size_t s, std::size_t g0) const {
    if (pace_factor_ == 0) return 0;
    return std::clamp<std::size_t>((pace_factor_ * s + g0 - 1) / g0, 1, kMaxPlannedQuota);
  }

  void update_busy() { busy_ = migrating() || prefault_pending() || retiring(); }

  Table make_table(unsigned log2) {
    const std::size_t groups = std::size_t{1} << log2;
    Table t;
    t.ctrl_storage = ZeroedArray(*mem_, groups * kCtrlBytes, mode_);
    t.slot_storage = ZeroedArray(*mem_, groups * kGroupBytes, mode_);  // if this throws, ctrl is freed
    t.ctrl = static_cast<unsigned char*>(t.ctrl_storage.data());
    t.slots = static_cast<unsigned char*>(t.slot_storage.data());
    t.mask = groups - 1;
    t.shift = 64 - log2;
    t.max_load = max_load_for(groups);
    if (mode_ == AllocMode::kFresh) {  // arrays below kMinPrefaultBytes are heap memory, filled by memset
      if (t.ctrl_storage.size_bytes() >= kMinPrefaultBytes) {
        t.ctrl_prefault = PrefaultRange::of(t.ctrl, t.ctrl_storage.size_bytes());
      }
      if (t.slot_storage.size_bytes() >= kMinPrefaultBytes) {
        t.slot_prefault = PrefaultRange::of(t.slots, t.slot_storage.size_bytes());
      }
    }
    return t;
  }
  static constexpr std::size_t kMinPrefaultBytes = std::size_t{64} << 10;

  // What every write does first while busy: one migration step, one batch of
  // pre-faulting (control words first: every probe reads them), one batch of
  // old-array release.
  void write_step() {
    if (migrating()) migrate_step(pace_quota_, true);
    prefault_step();
    if (mode_ == AllocMode::kFresh) release_step();
    update_busy();
  }

  // One batch of pre-faulting, control words first (every probe reads them).
  void prefault_step() {
    if (!prefault_pending()) return;
    const std::size_t budget = kPrefaultPagesPerWrite * paced_flat::page_size();
    prefault_pages_ += cur_.ctrl_prefault.pending() ? cur_.ctrl_prefault.step(cur_.ctrl, budget)
                                                    : cur_.slot_prefault.step(cur_.slots, budget);
    ++prefault_batches_;
  }

  // Moves q0 entries from the cursor on, more while the guarantee needs them,
  // fewer if the scan bound is reached first (see "Pacing"). maintenance()
  // passes its own q0 and no guarantee (before_write false: it inserts nothing).
  void migrate_step(std::size_t q0, bool before_write) {
    const std::size_t r0 = old_.count;
    const std::size_t g = gap();  // >= 1 while migrating (invariant)
    // Should this write insert a new key, R * G0 <= S * (G - 1) must hold after it.
    const auto line = before_write ? static_cast<unsigned __int128>(pace_s0_) * (g == 0 ? 0 : g - 1)
                                   : ~static_cast<unsigned __int128>(0);
    const std::size_t g0 = pace_g0_;
    const std::size_t scan_limit = kScanGroupsPerWrite + q0;
    const View from(old_), to(cur_);
    const Hash hash = hash_;
    std::size_t cursor = cursor_, max_probe = cur_.max_probe, r = r0, moved = 0, scanned = 0;
    auto behind = [&] { return static_cast<unsigned __int128>(r) * g0 > line; };
    while (r != 0) {
      if ((moved >= q0 || scanned >= scan_limit) && !behind()) break;
      unsigned char* ctrl = from.ctrl + cursor * kCtrlBytes;
      std::uint32_t live = occupied(ctrl);
      ++scanned;
      for (; live != 0 && (moved < q0 || behind()); live &= live - 1, ++moved, --r) {
        // Move the entry in slot i of the cursor's group into the new array.
        const auto i = static_cast<unsigned>(std::countr_zero(live));
        Slot* src = from.slot(cursor, i);
        const std::uint64_t h = hash(src->key);
        const FreeSlot f = free_slot(to, h, max_probe);
        ::new (to.slot(f.group, f.index)) Slot{std::move(src->key), std::move(src->value)};
        src->~Slot();
        to.ctrl[f.group * kCtrlBytes + f.index] = ctrl[i];
        ctrl[i] = 0;
      }
      if (live == 0 && r != 0) ++cursor;
    }
    cursor_ = cursor;
    cur_.max_probe = max_probe;
    cur_.count += moved;
    old_.count = r;
    // The quota this step had: q0, or what the guarantee needed when that was more.
    std::size_t quota = q0;
    if (moved > q0) quota = r0 - static_cast<std::size_t>(line / g0);
    ++migration_steps_;
    groups_scanned_ += scanned;
    max_groups_scanned_ = std::max<std::uint64_t>(max_groups_scanned_, scanned);
    last_step_moved_ = moved;
    last_step_quota_ = quota;
    max_step_moved_ = std::max<std::uint64_t>(max_step_moved_, moved);
    max_step_quota_ = std::max<std::uint64_t>(max_step_quota_, quota);
    counters_.entries_moved += moved;
    counters_.payload_bytes_moved += moved * (sizeof(K) + sizeof(V));
    counters_.index_bytes_moved += moved;
    if (r == 0) finish_migration();
  }

  void finish_migration() {
    ++counters_.migrations_completed;
    if (mode_ == AllocMode::kFresh) {  // what is left is returned by later writes, a batch each
      retiring_[0] = std::move(old_.ctrl_storage);
      retiring_[1] = std::move(old_.slot_storage);
    }
    if (!retiring()) ++counters_.old_arrays_freed;
    old_ = Table();  // frees what is not retiring
    cursor_ = 0;
    pace_quota_ = 0;
    update_busy();
    REHASHLAB_DEBUG_CHECK(*this);
  }

  // At most one bounded batch (one munmap) of returning old-array pages per
  // write: below the cursor while migrating, the rest once retiring (an array is
  // freed when at most a batch of it remains).
  void release_step() {
    if (migrating()) {
      if (!release_batch(old_.ctrl_storage, cursor_ * kCtrlBytes)) {
        release_batch(old_.slot_storage, cursor_ * kGroupBytes);
      }
    } else if (retiring()) {
      ZeroedArray& a = retiring_[0] ? retiring_[0] : retiring_[1];
      if (unreleased(a) <= kReleaseBatchBytes) {
        a.reset();
        if (!retiring()) ++counters_.old_arrays_freed;
      } else {
        release_batch(a, a.size_bytes());
      }
    }
  }
  // Returns one batch of a's pages below `below` if a whole batch is due there.
  bool release_batch(ZeroedArray& a, std::size_t below) {
    if (below < a.released_bytes() + kReleaseBatchBytes) return false;
    const std::size_t n = a.release_prefix(below, kReleaseBatchBytes);
    old_bytes_released_ += n;
    release_batches_ += n != 0;
    return n != 0;
  }

  void free_retiring(bool forced) {
    if (!retiring()) return;
    retiring_[0].reset();
    retiring_[1].reset();
    ++counters_.old_arrays_freed;
    forced_retire_frees_ += forced;
  }

  template <class F>
  static void visit_table(const Table& t, std::size_t first_group, F& f) {
    if (!has_array(t)) return;
    for (std::size_t g = first_group; g <= t.mask; ++g) {
      for (std::uint32_t m = occupied(ctrl_at(t, g)); m != 0; m &= m - 1) {
        const Slot* s = slot_at(t, g, static_cast<unsigned>(std::countr_zero(m)));
        f(s->key, s->value);
      }
    }
  }

  void destroy_entries() {
    if constexpr (!std::is_trivially_destructible_v<Slot>) {
      auto destroy = [](Table& t, std::size_t first_group) {
        if (!has_array(t)) return;
        for (std::size_t g = first_group; g <= t.mask; ++g) {
          for (std::uint32_t m = occupied(ctrl_at(t, g)); m != 0; m &= m - 1) {
            slot_at(t, g, static_cast<unsigned>(std::countr_zero(m)))->~Slot();
          }
        }
      };
      destroy(cur_, 0);
      if (migrating()) destroy(old_, cursor_);
    }
  }

  // The per-table half of check_invariants(); returns the live slots checked
  // (old table: groups at/after the cursor only).
  std::size_t check_table(const Table& t, bool old) const {
    if (!has_array(t)) {
      require_invariant(t.count == 0, "entries without an array");
      return 0;
    }
    const std::size_t groups = t.mask + 1;
    require_invariant(t.shift == 64 - static_cast<unsigned>(std::countr_zero(groups)),
                      "shift does not match the group count");
    require_invariant(t.ctrl_storage.size_bytes() == groups * kCtrlBytes &&
                          t.slot_storage.size_bytes() == groups * kGroupBytes,
                      "array sizes do not match the group count");
    require_invariant(t.max_load <= max_load_for(groups), "max_load above 7/8 of the slots");
    require_invariant(t.max_probe <= t.mask, "max_probe beyond one pass over the groups");
    std::size_t live = 0;
    for (std::size_t g = old ? cursor_ : 0; g < groups; ++g) {
      const unsigned char* ctrl = ctrl_at(t, g);
      for (std::uint32_t m = occupied(ctrl); m != 0; m &= m - 1) {
        const auto i = static_cast<unsigned>(std::countr_zero(m));
        const Slot* s = slot_at(t, g, i);
        const std::uint64_t h = hash_(s->key);
        require_invariant(ctrl[i] == paced_flat::tag_of(h), "a slot's tag is not its key's tag");
        const Slot* found = old ? find_in<true>(t, h, s->key, cursor_) : find_in<false>(t, h, s->key, 0);
        require_invariant(found == s, "an entry is not the first match of its key's probe (unreachable or duplicate)");
        if (old) {
          require_invariant(find_in<false>(cur_, h, s->key, 0) == nullptr, "a key is in both arrays");
          require_invariant(find_migrating(h, s->key) == s, "the migrating lookup misses an old-array entry");
        }
        ++live;
      }
    }
    return live;
  }

  Hash hash_;
  MemoryCounter* mem_;
  AllocMode mode_;
  Table cur_;                  // the current table: inserts go here
  Table old_;                  // the table being migrated from; ctrl == nullptr when none
  ZeroedArray retiring_[2];    // an old table's unreleased control words / slots (kFresh)
  std::size_t size_ = 0;
  std::size_t cursor_ = 0;       // old groups below this are empty (moved)
  std::size_t old_reach_ = 0;    // the old array's largest probe offset, T(max_probe)
  bool busy_ = false;            // migrating, pre-faulting or retiring: writes take write_step()
  std::size_t pace_factor_ = kPaceFactor;
  std::size_t pace_quota_ = 0;   // q0 of the running migration
  std::size_t pace_s0_ = 0;      // S: entries when it started
  std::size_t pace_g0_ = 1;      // G0: slack when it started
  std::size_t last_step_moved_ = 0;
  std::size_t last_step_quota_ = 0;
  std::uint64_t doubling_grows_ = 0;
  std::uint64_t max_pace_quota_ = 0;
  std::uint64_t max_step_quota_ = 0;
  std::uint64_t max_step_moved_ = 0;
  std::uint64_t migration_steps_ = 0;
  std::uint64_t groups_scanned_ = 0;
  std::uint64_t max_groups_scanned_ = 0;
  std::uint64_t old_bytes_released_ = 0;
  std::uint64_t release_batches_ = 0;
  std::uint64_t forced_retire_frees_ = 0;
  std::uint64_t prefault_pages_ = 0;
  std::uint64_t prefault_batches_ = 0;
  std::uint64_t drift_ = 0;
  ResizeCounters counters_;
};

}  // namespace rehashlab
