// Peers: the real systems the variants are named after, driven by the harness
// and reported in the same results schema as every map (results/README.md,
// "peer"). Each peer runs one RunConfig in this process and writes its results
// like run_map does.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/run_config.h"

namespace rehashlab {

struct PeerInfo {
  std::string name;
  std::string description;
  // Runs cfg (workload, mode, n, ...) against the real system and writes its
  // results files; returns the exit status.
  int (*run)(const RunConfig& cfg);
  // Replays a trace (workloads/trace.h) and prints the `replay` JSON line.
  int (*replay)(const std::string& trace, std::uint64_t hash_seed);
};

// Every peer, in `list` order.
const std::vector<PeerInfo>& peer_list();

// The peers (harness/peer_*.cc).
PeerInfo go_runtime_peer();
PeerInfo redis_server_peer();

}  // namespace rehashlab
