// Runs a plan of RunConfigs, each in its own child process (`rehashlab run-one`,
// fork + exec of /proc/self/exe), so one map's heap (fragmentation, RSS, page
// cache of freed arrays) cannot distort another map's numbers. After every run
// the manifest (results/README.md) is rewritten atomically; SIGINT/SIGTERM stop
// the current child and the plan, and the manifest then lists what was not run.
#pragma once

#include <string>
#include <vector>

#include "harness/run_config.h"

namespace rehashlab {

// Returns the exit status for the parent: 0 all ok, 1 some run failed,
// 130 interrupted.
int execute_plan(const std::string& suite_name, const std::vector<RunConfig>& plan, const std::string& out_dir,
                 const std::vector<std::string>& argv);

}  // namespace rehashlab
