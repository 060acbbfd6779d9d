// Fresh anonymous memory for the page-fault benchmarks (page_fault_bench,
// release_after_fault_probe): what ZeroedArray maps in kFresh mode.
#pragma once

#include <sys/mman.h>

#include <cstddef>
#include <cstdio>
#include <cstdlib>

namespace rehashlab::bench {

#if defined(MADV_POPULATE_WRITE)
inline constexpr int kPopulateWrite = MADV_POPULATE_WRITE;
#else
inline constexpr int kPopulateWrite = 23;  // Linux >= 5.14
#endif

// A fresh private anonymous mapping of `bytes` (no page resident yet); exits on failure.
inline unsigned char* map_fresh(std::size_t bytes) {
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) {
    std::perror("mmap");
    std::exit(1);
  }
  return static_cast<unsigned char*>(p);
}

}  // namespace rehashlab::bench
