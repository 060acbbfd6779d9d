// What a first touch of a fresh page costs on this machine, the number paced_flat's
// pre-faulting is designed around (maps/paced_flat.h, "Residual spikes").
//
// Maps --mb MiB of fresh anonymous memory (as ZeroedArray does in kFresh mode) and
// times, with the harness's TSC clock:
//   first_write        one byte written to each page in address order: one page
//                      fault each (the cost a random insert pays on a fresh page)
//   first_write_random the same in a random page order
//   second_write       the same bytes again: no fault (the baseline)
//   populate_<k>       madvise(MADV_POPULATE_WRITE) of k pages at once (k = 1, 16,
//                      64)
//   write_after_populate  one byte written to each page populated by populate_64:
//                      free where the populate did the whole fault, microseconds
//                      where the host still backs the page on the first write
//   populate_write_64  populate 64 pages, then one atomic no-op write to each:
//                      paced_flat's pre-faulting batch (prefault() in
//                      maps/paced_flat.h); write_after_pw_64 the writes after it
//   munmap_<k>         munmap of k resident pages at once (k = 16, 128): what a
//                      chunked release batch costs
// and prints, per experiment, the number of samples and the median, p99, p99.9 and
// max in nanoseconds (per sample; the batched rows also per page). Not a test: the
// numbers are the machine's, and vary with host load.
//
//   bazel run //bench:page_fault_bench -- --mb=256
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "bench/fresh_pages.h"
#include "harness/timer.h"

namespace {

using rehashlab::bench::kPopulateWrite;
using rehashlab::bench::map_fresh;

struct Stats {
  std::vector<double> ns;
  void report(const char* what, std::size_t pages_per_sample) {
    if (ns.empty()) return;
    std::sort(ns.begin(), ns.end());
    auto q = [&](double p) {
      return ns[std::min(ns.size() - 1, static_cast<std::size_t>(p * static_cast<double>(ns.size())))];
    };
    std::printf("%-20s samples=%7zu median=%9.0f p99=%9.0f p99.9=%9.0f max=%9.0f ns", what, ns.size(), q(0.5),
                q(0.99), q(0.999), ns.back());
    if (pages_per_sample > 1) {
      std::printf("  (median %.0f ns per page)", q(0.5) / static_cast<double>(pages_per_sample));
    }
    std::printf("\n");
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::size_t mb = 256;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg.rfind("--mb=", 0) == 0) {
      mb = std::strtoull(arg.c_str() + 5, nullptr, 10);
    } else {
      std::fprintf(stderr, "usage: page_fault_bench [--mb=MiB]\n");
      return 2;
    }
  }
  const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  const std::size_t bytes = mb << 20, pages = bytes / page;
  const rehashlab::Clock clock = rehashlab::Clock::calibrate(rehashlab::Clock::Want::kAuto);
  const double npt = clock.ns_per_tick();
  std::printf("page size %zu, %zu MiB per experiment, clock %s\n", page, mb, clock.source_name());

  auto timed_touch = [&](unsigned char* p, const std::vector<std::size_t>& order, Stats& st) {
    st.ns.reserve(order.size());
    for (std::size_t i : order) {
      const std::uint64_t s = clock.start();
      p[i * page + 64] = 1;
      const std::uint64_t e = clock.stop();
      st.ns.push_back(static_cast<double>(e - s) * npt);
    }
  };
  std::vector<std::size_t> in_order(pages);
  for (std::size_t i = 0; i < pages; ++i) in_order[i] = i;
  {
    unsigned char* p = map_fresh(bytes);
    Stats first, second;
    timed_touch(p, in_order, first);
    timed_touch(p, in_order, second);
    first.report("first_write", 1);
    second.report("second_write", 1);
    ::munmap(p, bytes);
  }
  {
    std::vector<std::size_t> shuffled = in_order;
    std::shuffle(shuffled.begin(), shuffled.end(), std::mt19937_64(1));
    unsigned char* p = map_fresh(bytes);
    Stats st;
    timed_touch(p, shuffled, st);
    st.report("first_write_random", 1);
    ::munmap(p, bytes);
  }
  for (std::size_t k : {std::size_t{1}, std::size_t{16}, std::size_t{64}}) {
    unsigned char* p = map_fresh(bytes);
    Stats st;
    for (std::size_t i = 0; i + k <= pages; i += k) {
      const std::uint64_t s = clock.start();
      const int rc = ::madvise(p + i * page, k * page, kPopulateWrite);
      const std::uint64_t e = clock.stop();
      if (rc != 0) {
        std::perror("madvise(MADV_POPULATE_WRITE)");
        break;
      }
      st.ns.push_back(static_cast<double>(e - s) * npt);
    }
    st.report(("populate_" + std::to_string(k)).c_str(), k);
    if (k == 64) {  // the pages are populated now: what does the first real write still cost?
      Stats after;
      timed_touch(p, in_order, after);
      after.report("write_after_populate", 1);
    }
    ::munmap(p, bytes);
  }
  {  // paced_flat's pre-fault batch (maps/paced_flat.h, prefault()): populate 64 pages, write each
    unsigned char* p = map_fresh(bytes);
    Stats st;
    constexpr std::size_t k = 64;
    for (std::size_t i = 0; i + k <= pages; i += k) {
      const std::uint64_t s = clock.start();
      if (::madvise(p + i * page, k * page, kPopulateWrite) != 0) {
        std::perror("madvise(MADV_POPULATE_WRITE)");
        break;
      }
      for (std::size_t j = 0; j < k; ++j) __atomic_fetch_or(p + (i + j) * page, 0, __ATOMIC_RELAXED);
      const std::uint64_t e = clock.stop();
      st.ns.push_back(static_cast<double>(e - s) * npt);
    }
    st.report("populate_write_64", k);
    Stats after;
    timed_touch(p, in_order, after);
    after.report("write_after_pw_64", 1);
    ::munmap(p, bytes);
  }
  for (std::size_t k : {std::size_t{16}, std::size_t{128}}) {
    unsigned char* p = map_fresh(bytes);
    std::memset(p, 1, bytes);
    Stats st;
    for (std::size_t i = 0; i + k <= pages; i += k) {
      const std::uint64_t s = clock.start();
      ::munmap(p + i * page, k * page);
      const std::uint64_t e = clock.stop();
      st.ns.push_back(static_cast<double>(e - s) * npt);
    }
    st.report(("munmap_" + std::to_string(k)).c_str(), k);
  }
  return 0;
}
