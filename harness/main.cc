// rehashlab: benchmark harness for hash-table resize strategies.
// See `rehashlab help`.
#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <new>
#include <string>
#include <vector>

#include "harness/cli.h"
#include "harness/commands.h"
#include "harness/provenance.h"
#include "harness/suites.h"
#include "workloads/trace.h"

namespace {

constexpr const char* kUsage =
    "usage: rehashlab VERB [--flag=value ...]\n"
    "verbs: list, replay, run, suite, help (`rehashlab help` shows every flag; `rehashlab VERB --help` one verb's)\n"
    "Exit status: 0 success, 1 failure while running, 2 bad command line or input, 130 interrupted.\n";

}  // namespace

int main(int argc, char** argv) {
  using namespace rehashlab;
  // A file size limit (ulimit -f) must make writes fail with EFBIG, reported like
  // any other write error, instead of killing the process mid-file with SIGXFSZ.
  // Ignored dispositions survive exec, so `run-one` children inherit this.
  std::signal(SIGXFSZ, SIG_IGN);
  record_argv(std::vector<std::string>(argv, argv + argc));
  try {
    CLI::App app{"rehashlab: benchmark harness for hash-table resize strategies", "rehashlab"};
    app.footer("\n" + suites_help() +
               "\nProgress goes to stderr. Interrupting a run keeps finished results; manifest.json lists what was "
               "not run.\nExit status: 0 success, 1 failure while running, 2 bad command line or input, 130 "
               "interrupted.");
    app.require_subcommand(0, 1);
    auto cmds = add_commands(app);
    if (argc < 2) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    if (!cli::parse(app, argc, argv, std::cout)) return 0;  // --help
    if (app.get_subcommands().empty()) {
      std::fputs(kUsage, stderr);
      return 2;
    }
    return run_parsed(app, *cmds, std::vector<std::string>(argv, argv + argc));
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "rehashlab: %s\n(see rehashlab help)\n", e.what());
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
