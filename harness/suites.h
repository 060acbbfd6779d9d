// Named suites: fixed plans that cover every registered map (or the --maps subset).
#pragma once

#include <string>
#include <vector>

#include "harness/run_config.h"

namespace rehashlab {

struct SuiteOptions {
  std::uint64_t seed = 1;
  std::string timer = "auto";
};

const std::vector<std::string>& suite_names();
// The suites' contents, for --help.
extern const char* const kSuiteHelp;

// UsageError for an unknown name. With `materialize`, writes the replay trace the
// suite needs under OUT/traces/.
std::vector<RunConfig> build_suite(const std::string& name, const std::vector<std::string>& maps,
                                   const std::string& out_dir, const SuiteOptions& opt, bool materialize);

}  // namespace rehashlab
