// Go's classic growth schedule, written once for every map that follows it
// (go_incremental, overflow_slab). Go 1.19, runtime/map.go: hashGrow, growWork,
// evacuate's bookkeeping and advanceEvacuationMark; the map supplies the layout
// (its bucket arrays and the mover for one old chain).
//
// Growth. A write of a new key while no grow is in progress starts one when
// count+1 > 6.5 * 2^B (doubling) or when the current array links >= 2^B overflow
// buckets (same size: the chains are rebuilt compactly). Starting allocates the
// new array, keeps the current one as the old array and moves nothing; the insert
// then retries (Go's "goto again"). Every insert and every erase of a non-empty map
// first does growWork: it evacuates the old bucket its key maps to, then old bucket
// nevacuate. Finds do no migration work. nevacuate then skips buckets already
// evacuated, at most 1024 per step; when it reaches 2^oldB the grow is complete.
//
// Per-write bound. growWork evacuates at most 2 old buckets of one grow. But
// growWork can complete a grow, and the same insert may then start the next one
// (hashGrow, goto again) and run growWork on it: an insert evacuates at most 4 old
// buckets (2 + 2), an erase at most 2. It never starts two grows: a grow in progress
// when a write begins had at least 4 old buckets (one growWork finishes any smaller
// one), so the grow the write starts is from an array of at least 4 buckets and
// cannot finish in that write; and a grow the write both starts and finishes (from
// B <= 1, at most 13 entries) leaves neither trigger true.
//
// Invariants (check_invariants): grows started = grows completed + (1 while
// growing); the per-write bound above; the old array is half the new one (doubling)
// or the same size; every old bucket below nevacuate is evacuated and is not read
// (its page may be unmapped); an evacuated old chain has a marker in every head
// slot and no overflow bucket, no kEvacuatedY in a same-size grow; an unevacuated
// old chain keeps the chain invariants for the old mask and its destination chains
// (X, and Y when doubling) hold no live entry, so a key is in exactly one place;
// the old array's overflow count equals the overflow buckets its chains link.
//
// Memory (AllocMode::kFresh, rehashlab's intervention): while growing, writes return
// the old array's pages wholly below bucket nevacuate to the OS, at most
// Release::per_write_bytes per write and once Release::batch_bytes are releasable.
// After completion the old array is either freed at once or, with Release::retire,
// "retired": later writes keep returning it in bounded chunks, and a grow that starts
// while one is retiring frees the rest at once (forced_old_array_frees). kSystem and
// kNaive free the old array whole when the grow completes.
//
// Deliberate differences from Go: no GC (the old array goes as above, evacuated
// overflow buckets are freed by the layout's mover); the overflow count is exact,
// so the same-size threshold is the 2^B that Go's sampled count amounts to
// (buckets::too_many_overflow_buckets); on std::bad_alloc the mover moves nothing
// and the bucket stays unevacuated (Go throws a fatal error).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <type_traits>
#include <utility>

#include "maps/bucket_layout.h"
#include "maps/map_api.h"
#include "maps/memory.h"

namespace rehashlab::go_growth {

// How the old array's memory goes back in AllocMode::kFresh (see the header).
struct Release {
  std::size_t batch_bytes;      // release once this much is releasable (0: every whole page at once)
  std::size_t per_write_bytes;  // at most this much per write
  bool retire;                  // after completion: return the rest in chunks (true) or free it at once
};

inline constexpr std::size_t kMaxEvacuationsPerGrowWork = 2;  // growWork
inline constexpr std::size_t kEvacuationScanBound = 1024;     // advanceEvacuationMark

// The two arrays, nevacuate and the counters of a map on Go's schedule. Array is the
// layout's bucket array: Array(MemoryCounter&, log2, AllocMode), bucket(i),
// bucket_count(), mask(), log2_buckets(), overflow_in_use(), storage(). A Layout
// argument supplies relocate(old, i, dst) (move old chain i, free its overflow
// buckets, return the entries moved; on std::bad_alloc move nothing), the bytes
// each moved entry costs (kPayloadBytesPerEntry, kIndexBytesPerEntry) and
// debug_check() (the map's REHASHLAB_DEBUG_CHECK).
template <class Array, Release kRelease>
class Schedule {
 public:
  using BucketT = std::remove_pointer_t<decltype(std::declval<const Array&>().bucket(0))>;

  Schedule(MemoryCounter& mem, AllocMode mode) : mem_(&mem), mode_(mode) {}

  Array& current() { return current_; }
  const Array& current() const { return current_; }
  const Array& old() const { return old_; }
  AllocMode alloc_mode() const { return mode_; }
  bool growing() const { return old_ && nevacuate_ < old_.bucket_count(); }
  std::size_t nevacuate() const { return growing() ? nevacuate_ : 0; }
  std::size_t old_bytes_held() const { return old_ ? old_.storage().size_bytes() - old_.storage().released_bytes() : 0; }

  // Go allocates the first bucket lazily, on the first insert.
  void ensure_array() {
    if (!current_) current_ = Array(*mem_, 0, mode_);
  }

  // evacuated reports whether old bucket i is done. Below nevacuate it is, without
  // reading the bucket (its page may be unmapped).
  bool evacuated(std::size_t i) const { return i < nevacuate_ || buckets::evacuated(old_.bucket(i)); }

  // The head of the chain that holds the key with hash h now (Go's mapaccess).
  BucketT* chain_of(std::uint64_t h) const {
    if (growing()) {
      const std::size_t i = h & old_.mask();
      if (!evacuated(i)) return old_.bucket(i);
    }
    return current_.bucket(h & current_.mask());
  }

  // Calls f(head) for every chain that can hold live entries: unevacuated old
  // chains, then the current array's.
  template <class F>
  void for_each_chain(F&& f) const {
    if (growing()) {
      for (std::size_t i = nevacuate_; i < old_.bucket_count(); ++i) {
        if (!buckets::evacuated(old_.bucket(i))) f(old_.bucket(i));
      }
    }
    if (!current_) return;
    for (std::size_t i = 0; i < current_.bucket_count(); ++i) f(current_.bucket(i));
  }

  // Every insert_or_assign and erase calls this first.
  void begin_write() { write_ = {}; }

  // Go's growWork for a write to current bucket `index`, then one bounded step of
  // returning the old array's memory.
  template <class Layout>
  void grow_work(Layout& layout, std::size_t index) {
    if (!old_) return;
    if (growing()) {
      evacuate(layout, index & old_.mask());
      if (growing()) evacuate(layout, nevacuate_);
    }
    release_step();
  }

  // Go's mapassign trigger and hashGrow, for an insert of a new key into a map of
  // `count` entries. True when a grow started: the caller retries ("goto again").
  // Throws std::bad_alloc with nothing changed but a retiring array freed.
  template <class Layout>
  bool grow_if_needed(Layout& layout, std::size_t count) {
    const std::uint8_t b = current_.log2_buckets();
    const bool doubling = buckets::over_load_factor(count + 1, b);
    if (growing() || !(doubling || buckets::too_many_overflow_buckets(current_.overflow_in_use(), b))) return false;
    if (old_) {  // still retiring
      free_old();
      ++forced_old_array_frees_;
    }
    Array fresh(*mem_, static_cast<std::uint8_t>(b + (doubling ? 1 : 0)), mode_);
    old_ = std::move(current_);
    current_ = std::move(fresh);
    nevacuate_ = 0;
    same_size_ = !doubling;
    ++counters_.grows_started;
    if (doubling) ++doubling_grows_;
    ++write_.grows_started;
    write_.this_grow = 0;
    layout.debug_check();  // debug builds: at each grow start and completion, not per op
    return true;
  }

  // Go's mapclear drops the old array; a grow in progress counts as completed.
  void drop_old() {
    if (growing()) ++counters_.migrations_completed;
    if (old_) free_old();
    nevacuate_ = 0;
    same_size_ = false;
  }

  ResizeCounters resize_counters() const {
    ResizeCounters c = counters_;
    c.migrating = growing();
    return c;
  }

  // Counters of the schedule, for the map's for_each_counter.
  template <class F>
  void for_each_counter(F& f) const {
    f("doubling_grows", doubling_grows_);
    f("same_size_grows", counters_.grows_started - doubling_grows_);
    f("buckets_evacuated", buckets_evacuated_);           // old buckets evacuated, all grows
    f("max_write_evacuations", max_write_evacuations_);   // most old buckets one write evacuated (<= 4)
    f("log2_buckets", current_ ? current_.log2_buckets() : 0);  // B of the current array
    f("growing", growing() ? 1 : 0);
    f("old_log2_buckets", growing() ? old_.log2_buckets() : 0);
    f("nevacuate", nevacuate());
    f("old_overflow_in_use", old_.overflow_in_use());     // overflow buckets of unevacuated old chains
    f("old_array_bytes_held", old_bytes_held());          // old array not yet returned (growing or retiring)
    f("forced_old_array_frees", forced_old_array_frees_);  // retiring arrays freed because a grow started
  }

  // The schedule's invariants (header). check_chain(head, index, mask) checks an
  // unevacuated old chain and returns its ChainCheck; chain walks chains. Returns
  // the live entries of the old array.
  template <class Chain, class CheckChain>
  std::size_t check_invariants(const Chain& chain, CheckChain&& check_chain) const {
    require_invariant(write_.grows_started <= 1, "a write started two grows");
    require_invariant(write_.most_for_one_grow <= kMaxEvacuationsPerGrowWork,
                      "a write evacuated more than 2 old buckets of one grow");
    require_invariant(write_.evacuated <= kMaxEvacuationsPerGrowWork * (1 + write_.grows_started),
                      "a write evacuated more than 2 old buckets per grow it worked on");
    require_invariant(counters_.grows_started == counters_.migrations_completed + (growing() ? 1 : 0),
                      "grows started != grows completed (+1 while growing)");
    if (!old_) {
      require_invariant(!same_size_, "same-size flag without an old array");
      return 0;
    }
    const std::size_t old_count = old_.bucket_count();
    const bool grow = growing();
    require_invariant(nevacuate_ <= old_count, "nevacuate beyond the old array");
    if (grow) {
      require_invariant(old_.log2_buckets() + (same_size_ ? 0 : 1) == current_.log2_buckets(),
                        "old array is neither half the size (doubling) nor the same size (same-size grow)");
      require_invariant(old_.storage().released_bytes() <= nevacuate_ * sizeof(BucketT),
                        "released pages reach beyond nevacuate");
    } else {
      require_invariant(!same_size_, "same-size flag set with no grow in progress");
      require_invariant(mode_ == AllocMode::kFresh && kRelease.retire, "an old array kept after completion");
    }
    std::size_t live = 0, overflow = 0;
    // Buckets that start in the released prefix are below nevacuate: not read.
    const std::size_t released = old_.storage().released_bytes();
    for (std::size_t i = (released + sizeof(BucketT) - 1) / sizeof(BucketT); i < old_count; ++i) {
      const BucketT* head = old_.bucket(i);
      if (!grow || evacuated(i)) {
        require_invariant(chain.next(head) == nullptr, "evacuated old chain still links overflow buckets");
        for (const std::uint8_t t : head->tophash) {
          require_invariant(t >= buckets::kEvacuatedX && t <= buckets::kEvacuatedEmpty,
                            "evacuated old bucket has a slot without an evacuation marker");
          require_invariant(!(grow && same_size_ && t == buckets::kEvacuatedY), "same-size grow used Y");
        }
        continue;
      }
      const buckets::ChainCheck c = check_chain(head, i, old_.mask());
      live += c.live;
      overflow += c.overflow;
      require_invariant(!buckets::chain_has_live(chain, current_.bucket(i)),
                        "new bucket X filled before its old bucket was evacuated");
      require_invariant(same_size_ || !buckets::chain_has_live(chain, current_.bucket(i + old_count)),
                        "new bucket Y filled before its old bucket was evacuated");
    }
    require_invariant(overflow == old_.overflow_in_use(), "old overflow_in_use differs from linked buckets");
    return live;
  }

 private:
  // Go's evacuate, bookkeeping: the layout moves the chain.
  template <class Layout>
  void evacuate(Layout& layout, std::size_t i) {
    if (!evacuated(i)) {
      const std::size_t moved = layout.relocate(old_, i, current_);  // throws before moving anything
      ++buckets_evacuated_;
      ++write_.evacuated;
      write_.most_for_one_grow = std::max(write_.most_for_one_grow, ++write_.this_grow);
      max_write_evacuations_ = std::max<std::uint64_t>(max_write_evacuations_, write_.evacuated);
      counters_.entries_moved += moved;
      counters_.payload_bytes_moved += moved * Layout::kPayloadBytesPerEntry;
      counters_.index_bytes_moved += moved * Layout::kIndexBytesPerEntry;
    }
    if (i == nevacuate_) advance_evacuation_mark(layout);
  }

  // Go's advanceEvacuationMark, with its bound; the single completion check.
  template <class Layout>
  void advance_evacuation_mark(Layout& layout) {
    const std::size_t old_count = old_.bucket_count();
    ++nevacuate_;
    const std::size_t stop = std::min(nevacuate_ + kEvacuationScanBound, old_count);
    while (nevacuate_ != stop && buckets::evacuated(old_.bucket(nevacuate_))) ++nevacuate_;
    if (nevacuate_ != old_count) return;
    ++counters_.migrations_completed;
    same_size_ = false;
    if (mode_ != AllocMode::kFresh || !kRelease.retire) free_old();
    layout.debug_check();
  }

  // Returns at most per_write_bytes of the old array: while growing, pages wholly
  // below bucket nevacuate; once retired, the rest, freeing it when little is left.
  void release_step() {
    if (!old_ || mode_ != AllocMode::kFresh) return;
    ZeroedArray& storage = old_.storage();
    if (growing()) {
      const std::size_t releasable = nevacuate_ * sizeof(BucketT);
      if (releasable >= storage.released_bytes() + kRelease.batch_bytes) {
        storage.release_prefix(releasable, kRelease.per_write_bytes);
      }
    } else if (storage.size_bytes() - storage.released_bytes() <= kRelease.per_write_bytes) {
      free_old();
    } else {
      storage.release_prefix(storage.size_bytes(), kRelease.per_write_bytes);
    }
  }

  void free_old() {
    old_ = Array();
    ++counters_.old_arrays_freed;
  }

  // What the current write did (check_invariants reads the last write's).
  struct WriteWork {
    std::size_t evacuated = 0;          // old buckets, all grows
    std::size_t this_grow = 0;          // old buckets of the grow in progress
    std::size_t most_for_one_grow = 0;
    std::size_t grows_started = 0;
  };

  MemoryCounter* mem_;
  AllocMode mode_;
  Array current_;                // Go's buckets (2^B); empty until the first insert
  Array old_;                    // Go's oldbuckets while growing; then retiring or empty
  std::size_t nevacuate_ = 0;    // old buckets below this are evacuated
  bool same_size_ = false;       // Go's sameSizeGrow, while growing
  WriteWork write_;
  ResizeCounters counters_;
  std::uint64_t doubling_grows_ = 0;
  std::uint64_t buckets_evacuated_ = 0;
  std::uint64_t max_write_evacuations_ = 0;
  std::uint64_t forced_old_array_frees_ = 0;
};

}  // namespace rehashlab::go_growth
