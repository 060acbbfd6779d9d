// The one interface through which the harness, the tests and the fuzzer use every
// map: the in-house resize strategies and the production-map adapters alike.
//
// A map type M is a class template instance M<K, V, Hash> that satisfies
// ResizableMap below. The contract, operation by operation:
//
//   M(const Hash& hash, MemoryCounter& mem, AllocMode mode = AllocMode::kFresh, ...)
//       Constructs an empty map (the in-house maps take the AllocMode of their
//       large arrays, maps/memory.h, and may take further options). Every byte the map allocates goes through `mem`
//       (directly, or through CountingAllocator for production maps), which must
//       outlive the map. The map hashes keys with `hash` (the run's seeded hash);
//       a map may derive a per-instance seed from it (Go's hash0) but not replace it.
//   bool insert_or_assign(const K&, const V&)
//       true if the key was new, false if an existing value was overwritten.
//       On std::bad_alloc the map is unchanged except for migration work already
//       done (every entry it held is still there with its value) and the
//       exception propagates; for an overwrite that needs no allocation it cannot
//       throw.
//   const V* find(const K&)
//       Pointer to the value, or nullptr when absent. Valid until the next
//       non-const call. Non-const because some strategies (Redis) do migration
//       work on reads; it never changes the contents.
//   bool erase(const K&)           true if the key was present and is now gone.
//   std::size_t size() const       live entries.
//   void clear()                   removes everything; the map stays usable.
//   void for_each(F&& f) const     calls f(key, value) once per live entry, in no
//       particular order, also while a migration is in progress.
//   ResizeCounters resize_counters() const
//       Growth bookkeeping the harness reads between operations (below).
//   void for_each_counter(F&& f) const
//       f(std::string_view name, std::uint64_t value) for every map-specific counter
//       (documented in the map's header); the harness copies them into results.
//   void maintenance(std::chrono::nanoseconds budget)
//       Idle-time hook, called on the schedule a run sets (default 1 ms every
//       100 ms). Maps without idle work do nothing. Redis-style: active rehash.
//   void check_invariants() const
//       Walks the whole structure and throws InvariantViolation naming the first
//       broken invariant. O(n): tests call it; hot paths call it only in builds
//       with REHASHLAB_CHECK_INVARIANTS (--config=debug, asan, fuzz).
//   static constexpr std::string_view kName     the name the CLI uses.
//   static constexpr bool kInHouse               true for rehashlab's own variants.
//
// Keys and values: any K with operator== and a SeededHash<K>, any V that is
// nothrow-move-constructible. The harness instantiates uint64_t -> uint64_t and
// FixedString<16|64> keys with Blob<8|64|256> values (maps/types.h).
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

#include "maps/hash.h"
#include "maps/memory.h"

namespace rehashlab {

// What the harness needs to know about resizing, as plain counters so that reading
// them between operations costs a few loads. All are cumulative since construction.
struct ResizeCounters {
  std::uint64_t grows_started = 0;         // resizes begun (grow, same-size or shrink)
  std::uint64_t migrations_completed = 0;  // resizes whose old array is no longer read
  std::uint64_t old_arrays_freed = 0;      // old arrays fully returned to the allocator
  std::uint64_t entries_moved = 0;         // entries relocated because of resizing
  std::uint64_t payload_bytes_moved = 0;   // key+value bytes copied because of resizing
  std::uint64_t index_bytes_moved = 0;     // metadata bytes (fingerprints, indices,
                                           // pointers) written because of resizing
  bool migrating = false;                  // an old array is still being read
};

struct InvariantViolation : std::logic_error {
  using std::logic_error::logic_error;
};

// Throws InvariantViolation with `what` when `ok` is false. For check_invariants().
inline void require_invariant(bool ok, const char* what) {
  if (!ok) throw InvariantViolation(what);
}

namespace detail {
template <class K, class V>
struct EntryVisitor {
  void operator()(const K&, const V&) const {}
};
struct CounterVisitor {
  void operator()(std::string_view, std::uint64_t) const {}
};
}  // namespace detail

template <class M>
concept ResizableMap =
    std::constructible_from<M, const typename M::hasher&, MemoryCounter&> &&
    requires(M& m, const M& cm, const typename M::key_type& k, const typename M::mapped_type& v,
             detail::EntryVisitor<typename M::key_type, typename M::mapped_type> visit,
             detail::CounterVisitor counter_visit, std::chrono::nanoseconds budget) {
      { M::kName } -> std::convertible_to<std::string_view>;
      { M::kInHouse } -> std::convertible_to<bool>;
      { m.insert_or_assign(k, v) } -> std::same_as<bool>;
      { m.find(k) } -> std::same_as<const typename M::mapped_type*>;
      { m.erase(k) } -> std::same_as<bool>;
      { cm.size() } -> std::same_as<std::size_t>;
      m.clear();
      cm.for_each(visit);
      { cm.resize_counters() } -> std::same_as<ResizeCounters>;
      cm.for_each_counter(counter_visit);
      m.maintenance(budget);
      cm.check_invariants();
    };

// Debug-build hook for the hot paths of the in-house maps.
#if defined(REHASHLAB_CHECK_INVARIANTS) && REHASHLAB_CHECK_INVARIANTS
#define REHASHLAB_DEBUG_CHECK(map) (map).check_invariants()
#else
#define REHASHLAB_DEBUG_CHECK(map) ((void)0)
#endif

// For the one probe loop of each bucket layout, which GCC would keep out of line
// (measured: results/bench/README.md, find_hot_path_ab).
#define REHASHLAB_ALWAYS_INLINE [[gnu::always_inline]] inline

}  // namespace rehashlab
