// rehashlab: benchmark harness for hash-table resize strategies.
// See `rehashlab --help`.
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>

#include "harness/cli.h"
#include "harness/commands.h"
#include "maps/registry.h"
#include "workloads/trace.h"

namespace rehashlab {
namespace {

constexpr const char* kUsage = R"(usage: rehashlab VERB [--flag=value ...]

verbs:
  list                              print every map variant name, one per line
  replay --map=NAME --trace=FILE    replay an operation trace through one map and
         [--seed=N]                 print {map, ops, size, checksum, ...} as JSON
  help                              this text

Exit status: 0 success, 1 failure while running, 2 bad command line or input.
)";

}  // namespace

int list_command(const cli::Args& args) {
  args.allow_only({});
  for (auto name : AllMaps::names()) std::cout << name << "\n";
  return 0;
}

void require_map_name(const std::string& name) {
  for (auto n : AllMaps::names()) {
    if (n == name) return;
  }
  throw cli::UsageError("unknown map '" + name + "' (valid maps: " + map_names_joined() + ")");
}

}  // namespace rehashlab

int main(int argc, char** argv) {
  using namespace rehashlab;
  try {
    const cli::Args args = cli::parse(argc, argv);
    if (args.verb.empty() || args.verb == "help" || args.has("help")) {
      std::fputs(kUsage, args.verb.empty() && !args.has("help") ? stderr : stdout);
      return args.verb.empty() && !args.has("help") ? 2 : 0;
    }
    if (args.verb == "list") return list_command(args);
    if (args.verb == "replay") return replay_command(args);
    throw cli::UsageError("unknown verb '" + args.verb + "' (valid: list, replay, help)");
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "rehashlab: %s\n(see rehashlab --help)\n", e.what());
    return 2;
  } catch (const TraceError& e) {
    std::fprintf(stderr, "rehashlab: %s\n", e.what());
    return 2;
  } catch (const std::bad_alloc&) {
    std::fprintf(stderr, "rehashlab: out of memory\n");
    return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rehashlab: %s\n", e.what());
    return 1;
  }
}
