// Host steal time: CPU time the hypervisor gave to something else while this
// machine's CPUs had work (/proc/stat "steal", summed over all CPUs).
//
// Why it is recorded. On a shared VM the host can stop a CPU for milliseconds; an
// operation that is running at that moment looks like a resize spike. The noise
// floor (measured before the map is built) cannot see that, so the harness reads
// steal around every measured phase and the spike benchmark around every timed
// pass: a run with steal_ms > 0 had its maxima partly decided by the host. The
// kernel counts steal in clock ticks (10 ms at USER_HZ 100), so small values are
// coarse, and it is summed over all CPUs, not only the one the run used.
#pragma once

#include <optional>

namespace rehashlab {

// Cumulative steal time of all CPUs since boot, in ms; nullopt where /proc/stat
// is missing or has no steal column (not Linux, very old kernels).
std::optional<double> host_steal_ms();

// Steal since an earlier host_steal_ms() reading, or nullopt if either read failed.
inline std::optional<double> steal_since(std::optional<double> before) {
  const std::optional<double> now = host_steal_ms();
  if (!before || !now) return std::nullopt;
  return *now - *before;
}

}  // namespace rehashlab
