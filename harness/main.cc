// rehashlab: benchmark harness for hash-table resize strategies.
// See `rehashlab --help`.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <iostream>
#include <new>

#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/suites.h"
#include "maps/registry.h"
#include "workloads/trace.h"

namespace rehashlab {
namespace {

constexpr const char* kUsage = R"(usage: rehashlab VERB [--flag=value ...]

verbs:
  list                              print every map variant name, one per line
  replay --map=NAME --trace=FILE    replay an operation trace through one map and
         [--seed=N]                 print {map, ops, size, checksum, ...} as JSON
  run --maps=LIST --workload=LIST --n=N --out=DIR [flags below]
                                    measure maps x workloads x modes; each pair runs in
                                    its own process; results as in results/README.md
  suite --name=smoke|quick|paper --out=DIR [--maps=LIST] [--seed=N] [--timer=...] [--dry-run]
                                    a named plan over every map (--dry-run: print run ids)
  run-one --map=NAME --workload=W ...   (internal) one run in this process; `run` uses it
  help                              this text

run flags:
  --maps=a,b|all          maps to run (names from `list`; all = every registered map)
  --workload=a,b          insert_growth | mixed | churn | shrink | replay (list allowed)
  --mode=closed|open|closed,open   closed loop (back to back) and/or open loop (default closed)
  --rate=OPS              open loop: operation i is scheduled at t0 + i/OPS; response time =
                          end - scheduled start (required with --mode=open)
  --n=N                   entries (k/M/G suffixes): insert_growth inserts N; mixed/churn/shrink
                          load N keys untimed first; replay: not allowed (N = trace length)
  --ops=N                 measured ops for mixed/churn, reads after the erases for shrink (default N)
  --out=DIR               results directory (created; files replaced atomically)
  --seed=S                workload seed (default 1): same seed, same ops, same checksum
  --hash-seed=S           seed of the maps' SeededHash (default 0x5eed5eed5eed5eed)
  --key=u64|str16|str64   key type (default u64)
  --value-bytes=8|64|256  value size (default 8); string keys: 8 only
  --read=P --update=P --insert=P   mixed: percentages, sum 100 (default 50/45/5)
  --dist=uniform|zipfian  mixed: key choice for reads/updates (default uniform)
  --theta=T               zipfian exponent (default 0.99)
  --trace=FILE            replay: the trace (format in workloads/trace.h)
  --window=OPS            timeline window (default 4096)
  --top-k=K               slowest ops kept with their index (default 16, max 256)
  --noise-ops=N           ops of the empty-op noise-floor loop (default 200000)
  --maintenance=on|off    call map.maintenance(budget) on a schedule (default on)
  --maintenance-interval-ms=MS   run time between calls (default 100)
  --maintenance-budget-us=US     budget per call (default 1000)
  --timer=auto|tsc|steady clock source (default auto: TSC if invariant)
  --calibration-ms=MS     TSC calibration against CLOCK_MONOTONIC (default 20)
  --alloc=fresh|system|naive   in-house maps only: large arrays from fresh zero pages, the old
                          one returned in bounded chunks (fresh, default: rehashlab's own); the
                          platform allocator, calloc + one free (system: as the real systems);
                          operator new + memset + one free (naive); system/naive runs get the
                          suffix .system/.naive in their run id

)" R"(Progress goes to stderr. Interrupting a suite keeps finished results; manifest.json
lists what was not run.

Exit status: 0 success, 1 failure while running, 2 bad command line or input,
130 interrupted.
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
  // A file size limit (ulimit -f) must make writes fail with EFBIG, reported like
  // any other write error, instead of killing the process mid-file with SIGXFSZ.
  // Ignored dispositions survive exec, so `run-one` children inherit this.
  std::signal(SIGXFSZ, SIG_IGN);
  try {
    const cli::Args args = cli::parse(argc, argv);
    if (args.verb.empty() || args.verb == "help" || args.has("help")) {
      std::fputs(kUsage, args.verb.empty() && !args.has("help") ? stderr : stdout);
      std::fputs(kSuiteHelp, args.verb.empty() && !args.has("help") ? stderr : stdout);
      return args.verb.empty() && !args.has("help") ? 2 : 0;
    }
    if (args.verb == "list") return list_command(args);
    if (args.verb == "replay") return replay_command(args);
    if (args.verb == "run") return run_command(args, argc, argv);
    if (args.verb == "run-one") return run_one_command(args, argc, argv);
    if (args.verb == "suite") return suite_command(args, argc, argv);
    throw cli::UsageError("unknown verb '" + args.verb + "' (valid: list, replay, run, suite, help)");
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
