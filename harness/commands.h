// The verbs of the rehashlab binary. Each returns the process exit status;
// cli::UsageError and TraceError thrown from them become exit status 2 in main.
#pragma once

#include <cstdint>
#include <string>

#include "harness/cli.h"

namespace rehashlab {

// The run's default hash seed (all maps in a run share one seeded hash).
inline constexpr std::uint64_t kDefaultHashSeed = 0x5eed5eed5eed5eedULL;

int list_command(const cli::Args& args);
int replay_command(const cli::Args& args);
int run_command(const cli::Args& args, int argc, char** argv);
int run_one_command(const cli::Args& args, int argc, char** argv);
int suite_command(const cli::Args& args, int argc, char** argv);

// UsageError listing the valid names unless `name` is a registered map.
void require_map_name(const std::string& name);

}  // namespace rehashlab
