// Host steal time: CPU time the hypervisor gave to something else while this
// machine's CPUs had work (/proc/stat "steal", summed over all CPUs).
//
// Why it is recorded. On a shared VM the host can stop a CPU for milliseconds; an
// operation that is running at that moment looks like a resize spike. The harness
// therefore reads steal for every timeline window and the spike benchmark around
// every timed pass: a maximum from a window with steal is partly the host's. The
// kernel counts steal in clock ticks (10 ms at USER_HZ 100), so small values are
// coarse, and it is summed over all CPUs, not only the one the run used.
#pragma once

#include <optional>

namespace rehashlab {

// Cumulative steal time of all CPUs since boot, in ms; nullopt where /proc/stat
// is missing or has no steal column (not Linux, very old kernels).
std::optional<double> host_steal_ms();

// Reads the same number through one open file descriptor (a pread of the first
// line per call), cheap enough for every timeline window.
class StealReader {
 public:
  StealReader();
  ~StealReader();
  StealReader(const StealReader&) = delete;
  StealReader& operator=(const StealReader&) = delete;
  std::optional<double> read() const;  // as host_steal_ms()

 private:
  int fd_;
};

// Steal since an earlier host_steal_ms() reading, or nullopt if either read failed.
inline std::optional<double> steal_since(std::optional<double> before) {
  const std::optional<double> now = host_steal_ms();
  if (!before || !now) return std::nullopt;
  return *now - *before;
}

}  // namespace rehashlab
