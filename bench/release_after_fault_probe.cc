// What the first release of old pages costs after a large batch of page faults: the
// 4-6 ms op paced_flat showed ~5,500 writes after its last grow on the AMD host of
// 2026-12-07 (results/bench/README.md, "A second machine"), reproduced without a map.
//
// Maps and writes an "old" region (64 MiB), then, per round: maps a "new" region of
// --new-mb MiB and makes it resident in 64-page batches as paced_flat's prefault()
// does (MADV_POPULATE_WRITE, then one atomic no-op write per page), and times the next
// two releases of --batch-pages pages of the old region (munmap). With --flush, every
// pre-fault batch is followed by an mprotect round trip over a resident 64-page scratch
// region (a full TLB flush), and the time of those round trips is reported.
//
//   bazel run -c opt //bench:release_after_fault_probe -- --new-mb=512 --batch-pages=128 [--flush]
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench/fresh_pages.h"

namespace {

using rehashlab::bench::kPopulateWrite;
using rehashlab::bench::map_fresh;

double now_us() {
  return std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t new_mb = 512, batch_pages = 128;
  bool flush = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--new-mb=", 0) == 0) {
      new_mb = std::strtoull(arg.c_str() + 9, nullptr, 10);
    } else if (arg.rfind("--batch-pages=", 0) == 0) {
      batch_pages = std::strtoull(arg.c_str() + 14, nullptr, 10);
    } else if (arg == "--flush") {
      flush = true;
    } else {
      std::fprintf(stderr, "usage: release_after_fault_probe [--new-mb=MiB] [--batch-pages=N] [--flush]\n");
      return 2;
    }
  }
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t old_bytes = std::size_t{64} << 20, new_bytes = new_mb << 20, batch = batch_pages * page;
  if (new_bytes == 0 || batch == 0 || 6 * batch > old_bytes) {
    std::fprintf(stderr, "release_after_fault_probe: need --new-mb >= 1 and 1 <= --batch-pages <= %zu\n",
                 old_bytes / page / 6);
    return 2;
  }
  unsigned char* old_region = map_fresh(old_bytes);
  std::memset(old_region, 1, old_bytes);
  unsigned char* scratch = map_fresh(64 * page);
  std::memset(scratch, 1, 64 * page);
  std::printf("new region %zu MiB, release batch %zu pages, %s\n", new_mb, batch_pages,
              flush ? "full TLB flush after every pre-fault batch" : "no extra flush");
  for (int round = 0; round < 3; ++round) {
    unsigned char* fresh = map_fresh(new_bytes);
    std::vector<double> flushes;
    const double t0 = now_us();
    for (std::size_t off = 0; off + 64 * page <= new_bytes; off += 64 * page) {
      ::madvise(fresh + off, 64 * page, kPopulateWrite);
      for (std::size_t j = 0; j < 64; ++j) __atomic_fetch_or(fresh + off + j * page, 0, __ATOMIC_RELAXED);
      if (flush) {
        const double s = now_us();
        ::mprotect(scratch, 64 * page, PROT_READ);
        ::mprotect(scratch, 64 * page, PROT_READ | PROT_WRITE);
        flushes.push_back(now_us() - s);
      }
    }
    const double faulted_ms = (now_us() - t0) / 1e3;
    double release[2];
    for (double& r : release) {
      const double s = now_us();
      ::munmap(old_region, batch);
      r = now_us() - s;
      old_region += batch;
    }
    std::printf("round %d: pre-fault %.0f ms; first release %.0f us, second %.0f us", round, faulted_ms, release[0],
                release[1]);
    if (!flushes.empty()) {
      std::sort(flushes.begin(), flushes.end());
      std::printf("; flushes median %.0f us, max %.0f us", flushes[flushes.size() / 2], flushes.back());
    }
    std::printf("\n");
    ::munmap(fresh, new_bytes);
  }
  return 0;
}
