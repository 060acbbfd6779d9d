#include "maps/memory.h"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

namespace rehashlab {
namespace {

std::size_t page_size() {
  static const std::size_t size = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  return size;
}

// Arrays smaller than this gain nothing from mmap (and would waste a page each).
constexpr std::size_t kMmapThreshold = 64 * 1024;

}  // namespace

void MemoryCounter::count_allocation() {
  if (fail_countdown_ != 0 && --fail_countdown_ == 0) throw std::bad_alloc();
}

void* MemoryCounter::allocate(std::size_t bytes, std::size_t align) {
  count_allocation();
  void* p = align > __STDCPP_DEFAULT_NEW_ALIGNMENT__
                ? ::operator new(bytes, std::align_val_t(align))
                : ::operator new(bytes);
  live_ += bytes;
  peak_ = std::max(peak_, live_);
  ++allocations_;
  return p;
}

void MemoryCounter::deallocate(void* p, std::size_t bytes, std::size_t align) noexcept {
  if (p == nullptr) return;
  if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    ::operator delete(p, bytes, std::align_val_t(align));
  } else {
    ::operator delete(p, bytes);
  }
  credit(bytes);
  ++deallocations_;
}

void* MemoryCounter::allocate_zeroed(std::size_t bytes, std::size_t slack) {
  count_allocation();
  void* p = std::calloc(1, bytes + slack);
  if (p == nullptr) throw std::bad_alloc();
  live_ += bytes;
  peak_ = std::max(peak_, live_);
  ++allocations_;
  return p;
}

void MemoryCounter::free_zeroed(void* p, std::size_t bytes) noexcept {
  if (p == nullptr) return;
  std::free(p);
  credit(bytes);
  ++deallocations_;
}

void MemoryCounter::charge(std::size_t bytes) {
  count_allocation();
  live_ += bytes;
  peak_ = std::max(peak_, live_);
  ++allocations_;
}

void MemoryCounter::credit(std::size_t bytes) noexcept { live_ -= bytes; }

ZeroedArray::ZeroedArray(MemoryCounter& counter, std::size_t bytes, AllocMode mode)
    : counter_(&counter), bytes_(bytes) {
  if (bytes == 0) return;
  if (mode == AllocMode::kFresh && bytes >= kMmapThreshold) {
    counter.charge(bytes);  // fault injection happens before the mapping exists
    mapped_ = (bytes + page_size() - 1) / page_size() * page_size();
    void* p = ::mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
      counter.credit(bytes);
      throw std::bad_alloc();
    }
    data_ = static_cast<unsigned char*>(p);
  } else if (mode == AllocMode::kSystem) {
    // calloc aligns to 16; one cache line of slack keeps the kCacheLine guarantee
    // without touching the zeroing behaviour calloc chooses.
    system_block_ = counter.allocate_zeroed(bytes, kCacheLine);
    const auto addr = reinterpret_cast<std::uintptr_t>(system_block_);
    data_ = reinterpret_cast<unsigned char*>((addr + kCacheLine - 1) & ~std::uintptr_t{kCacheLine - 1});
  } else {  // kNaive, and small kFresh arrays (mmap would waste a page each)
    data_ = static_cast<unsigned char*>(counter.allocate(bytes, kCacheLine));
    std::memset(data_, 0, bytes);
  }
}

ZeroedArray& ZeroedArray::operator=(ZeroedArray&& other) noexcept {
  if (this != &other) {
    reset();
    counter_ = other.counter_;
    data_ = other.data_;
    bytes_ = other.bytes_;
    mapped_ = other.mapped_;
    released_ = other.released_;
    system_block_ = other.system_block_;
    other.data_ = nullptr;
    other.system_block_ = nullptr;
    other.bytes_ = other.mapped_ = other.released_ = 0;
  }
  return *this;
}

std::size_t ZeroedArray::release_prefix(std::size_t offset, std::size_t max_bytes) {
  if (data_ == nullptr || mapped_ == 0) return 0;  // not mmapped: released by reset()
  std::size_t end = std::min(offset, bytes_) / page_size() * page_size();
  std::size_t limit = released_ + max_bytes / page_size() * page_size();
  end = std::min(end, limit);
  if (end <= released_) return 0;
  std::size_t n = end - released_;
  ::munmap(data_ + released_, n);
  released_ = end;
  counter_->credit(n);
  return n;
}

void ZeroedArray::reset() noexcept {
  if (data_ == nullptr) return;
  if (mapped_ != 0) {
    if (released_ < mapped_) ::munmap(data_ + released_, mapped_ - released_);
    // The counter was charged `bytes_`; released pages were credited already.
    counter_->credit(bytes_ > released_ ? bytes_ - released_ : 0);
    counter_->count_free();
  } else if (system_block_ != nullptr) {
    counter_->free_zeroed(system_block_, bytes_);
    system_block_ = nullptr;
  } else {
    counter_->deallocate(data_, bytes_, kCacheLine);
  }
  data_ = nullptr;
  bytes_ = mapped_ = released_ = 0;
}

}  // namespace rehashlab
