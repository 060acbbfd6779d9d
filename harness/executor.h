// Runs a plan of RunConfigs, each in its own child process (`rehashlab run-one`,
// fork + exec of /proc/self/exe), so one map's heap (fragmentation, RSS, page
// cache of freed arrays) cannot distort another map's numbers. A child dies with
// its parent (PR_SET_PDEATHSIG). After every run the manifest (results/README.md)
// is rewritten atomically; SIGINT/SIGTERM stop the current child and the plan,
// and the manifest then lists what was not run. At the end (also after an
// interrupt) aggregate.json summarizes the repetitions of every run group.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/run_config.h"

namespace rehashlab {

struct PlanInfo {
  std::string suite;           // suite name, or "run"
  unsigned reps = 1;           // largest repetition count in the plan
  std::uint64_t order_seed = 0;  // the seed of the map-order shuffle
  std::vector<std::string> argv;
};

// Returns the exit status for the parent: 0 all ok, 1 some run failed,
// 130 interrupted.
int execute_plan(const PlanInfo& info, const std::vector<RunConfig>& plan, const std::string& out_dir);

}  // namespace rehashlab
