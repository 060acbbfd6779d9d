// Exact, per-map memory accounting.
//
// Every map in rehashlab allocates through one MemoryCounter that the harness owns:
// the in-house maps call it directly, the production maps reach it through
// CountingAllocator<T> (their allocator template parameter). Live and peak bytes
// are therefore the bytes each map asked for, not an estimate; RSS is reported
// beside them by the harness as a cross-check.
//
// Two features exist for the resize-spike experiments:
//  * ZeroedArray: a large zero-filled array, allocated in one of three AllocModes
//    (below): the intervention (fresh pages, chunked release), the platform
//    allocator as the real systems use it, or an explicit memset.
//  * Fault injection: fail_allocation_at(n) makes the n-th allocation from now
//    throw std::bad_alloc, for the allocation-failure tests.
//
// Not thread-safe: one map, one thread, as in every experiment here.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <new>
#include <type_traits>

namespace rehashlab {

class MemoryCounter {
 public:
  MemoryCounter() = default;
  MemoryCounter(const MemoryCounter&) = delete;
  MemoryCounter& operator=(const MemoryCounter&) = delete;

  // Counted allocation; throws std::bad_alloc on failure or at the injected point.
  void* allocate(std::size_t bytes, std::size_t align);
  // calloc(bytes + slack), counting `bytes` (the platform allocator's zeroed
  // allocation; `slack` lets the caller align the start). Free with free_zeroed.
  // Throws std::bad_alloc.
  void* allocate_zeroed(std::size_t bytes, std::size_t slack);
  void free_zeroed(void* p, std::size_t bytes) noexcept;
  void deallocate(void* p, std::size_t bytes, std::size_t align) noexcept;

  // Bookkeeping for memory obtained outside allocate() (ZeroedArray's mmap).
  void charge(std::size_t bytes);   // may throw std::bad_alloc (fault injection)
  void credit(std::size_t bytes) noexcept;  // partial release: not a free
  void count_free() noexcept { ++deallocations_; }

  std::uint64_t live_bytes() const { return live_; }
  std::uint64_t peak_bytes() const { return peak_; }
  // Starts a new peak from the current live size (the harness's per-window peak).
  void reset_peak() { peak_ = live_; }
  std::uint64_t allocations() const { return allocations_; }
  std::uint64_t deallocations() const { return deallocations_; }

  // The n-th allocation from now (n >= 1) throws std::bad_alloc; 0 disarms.
  void fail_allocation_at(std::uint64_t n) { fail_countdown_ = n; }
  bool failure_armed() const { return fail_countdown_ != 0; }

 private:
  void count_allocation();  // fault injection point; throws

  std::uint64_t live_ = 0;           // bytes currently allocated
  std::uint64_t peak_ = 0;           // max of live_ since construction or reset_peak()
  std::uint64_t allocations_ = 0;    // successful allocations (incl. charges)
  std::uint64_t deallocations_ = 0;  // frees (a chunked release counts once)
  std::uint64_t fail_countdown_ = 0; // 0: off; else allocations left until one fails
};

// std-compatible allocator over a MemoryCounter, for the production-map adapters.
template <class T>
class CountingAllocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;

  explicit CountingAllocator(MemoryCounter& counter) noexcept : counter_(&counter) {}
  template <class U>
  CountingAllocator(const CountingAllocator<U>& other) noexcept : counter_(other.counter()) {}

  T* allocate(std::size_t n) {
    if (n > std::numeric_limits<std::size_t>::max() / sizeof(T)) throw std::bad_array_new_length();
    return static_cast<T*>(counter_->allocate(n * sizeof(T), alignof(T)));
  }
  void deallocate(T* p, std::size_t n) noexcept { counter_->deallocate(p, n * sizeof(T), alignof(T)); }

  MemoryCounter* counter() const noexcept { return counter_; }
  template <class U>
  bool operator==(const CountingAllocator<U>& o) const noexcept { return counter_ == o.counter(); }

 private:
  MemoryCounter* counter_;
};

// How an in-house map gets and returns its large zero-filled arrays.
enum class AllocMode : std::uint8_t {
  // rehashlab's intervention (neither Go nor Redis does this): an anonymous mmap,
  // so the kernel supplies zero pages lazily and no O(n) fill runs on the op that
  // allocates; the old array goes back to the OS in bounded chunks (release_prefix).
  kFresh,
  // The platform allocator, as Redis uses jemalloc's zcalloc: calloc (glibc serves
  // large requests from fresh mmapped pages without a memset, smaller ones from the
  // heap, zeroed), and one free() of the whole array when the map retires it.
  kSystem,
  // operator new + memset + one free: an explicit O(n) zero fill on the op that
  // allocates, as libstdc++'s std::unordered_map does for its bucket array.
  kNaive,
};

// "fresh" | "system" | "naive".
constexpr const char* alloc_mode_name(AllocMode m) {
  return m == AllocMode::kFresh ? "fresh" : m == AllocMode::kSystem ? "system" : "naive";
}

// A zero-initialized byte array of fixed size, counted by a MemoryCounter.
// Its start is aligned to kCacheLine (page-aligned when mmapped), so arrays of
// cache-line-sized buckets put each bucket on exactly one line. Move-only. In
// kFresh mode (arrays of at least 64 KiB), release_prefix() returns whole pages
// below a byte offset to the OS (and uncounts them) so a migration can free the
// old array as it goes; otherwise release_prefix() does nothing and everything is
// freed by reset()/the destructor at once.
class ZeroedArray {
 public:
  static constexpr std::size_t kCacheLine = 64;

  ZeroedArray() = default;
  ZeroedArray(MemoryCounter& counter, std::size_t bytes, AllocMode mode);  // throws std::bad_alloc
  ZeroedArray(ZeroedArray&& other) noexcept { *this = static_cast<ZeroedArray&&>(other); }
  ZeroedArray& operator=(ZeroedArray&& other) noexcept;
  ~ZeroedArray() { reset(); }

  void* data() const { return data_; }
  std::size_t size_bytes() const { return bytes_; }
  std::size_t released_bytes() const { return released_; }  // prefix already returned
  explicit operator bool() const { return data_ != nullptr; }

  // Returns the pages entirely below `offset` that are not yet released, at most
  // `max_bytes` of them per call (bounded work per operation). Returns bytes released.
  std::size_t release_prefix(std::size_t offset, std::size_t max_bytes);
  void reset() noexcept;  // frees what is left

 private:
  MemoryCounter* counter_ = nullptr;
  unsigned char* data_ = nullptr;
  std::size_t bytes_ = 0;     // requested size
  std::size_t mapped_ = 0;    // mmap length (page-rounded) in kFreshPages mode
  std::size_t released_ = 0;  // bytes at the front already unmapped (page multiple)
  void* system_block_ = nullptr;  // kSystem: what calloc returned (data_ is aligned up)
};

}  // namespace rehashlab
