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

// Steal between two readings, or nullopt if either failed.
inline std::optional<double> steal_between(std::optional<double> before, std::optional<double> after) {
  if (!before || !after) return std::nullopt;
  return *after - *before;
}

}  // namespace rehashlab
