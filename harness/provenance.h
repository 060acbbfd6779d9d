// Where a result came from: source revision, build, machine, date. Written into
// every results file ("provenance" object, results/README.md).
#pragma once

#include <string>
#include <vector>

#include "harness/json.h"

namespace rehashlab {

struct GitInfo {
  std::string commit = "unknown";
  int dirty = -1;  // -1 unknown
  std::string source = "unavailable";
};

// From env REHASHLAB_GIT_COMMIT/REHASHLAB_GIT_DIRTY (set by a parent run for its
// children), else `git` in REHASHLAB_REPO, BUILD_WORKSPACE_DIRECTORY or the cwd.
GitInfo read_git_info();
// Exports the info to the environment for child processes.
void export_git_info(const GitInfo& g);

std::string utc_now_iso8601();
std::string cpu_model();
int online_cores();
std::string kernel_version();

// The process's command line, recorded once by main for every results file.
void record_argv(std::vector<std::string> argv);
const std::vector<std::string>& recorded_argv();

// The "provenance" object of a results file (results/README.md).
Json provenance_json(const GitInfo& git, const std::string& date, const std::vector<std::string>& argv);
// The machine a run ran on: CPU model and MHz, caches, memory, transparent huge
// pages, kernel, hypervisor (provenance.machine).
Json machine_json();

// Resident set size now, and the peak (getrusage), in bytes.
unsigned long long rss_bytes();
unsigned long long rss_peak_bytes();

}  // namespace rehashlab
