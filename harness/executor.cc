#include "harness/executor.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "harness/aggregate.h"
#include "harness/atomic_file.h"
#include "harness/host_steal.h"
#include "harness/json.h"
#include "harness/provenance.h"
#include "harness/results_schema.h"

namespace rehashlab {
namespace {

volatile std::sig_atomic_t g_stop = 0;
volatile pid_t g_child = 0;

void on_signal(int sig) {
  g_stop = sig;
  const pid_t c = g_child;
  if (c > 0) ::kill(c, SIGTERM);
}

std::string self_exe() {
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0) throw std::runtime_error("cannot find own executable (/proc/self/exe)");
  return std::string(buf, static_cast<std::size_t>(n));
}

struct RunRecord {
  std::string status = "not_run";  // ok | failed | not_run
  int exit_status = -1;            // -1: none
  double seconds = -1;
  std::optional<double> steal_ms;
  std::string checksum;
};

std::string read_checksum(const std::string& json_path) {
  try {
    std::ifstream in(json_path);
    const Json j = Json::parse(in);
    return j.at("summary").at("checksum").get<std::string>();
  } catch (const std::exception&) {
    return "";
  }
}

void write_manifest(const std::string& out_dir, const PlanInfo& info, const std::string& status,
                    const std::string& started, const std::string& finished, double wall,
                    const std::vector<RunConfig>& plan, const std::vector<RunRecord>& recs) {
  Json m;
  m["schema"] = schema::kManifestSchema;
  m["suite"] = info.suite;
  m["status"] = status;
  m["started"] = started;
  m["finished"] = finished.empty() ? Json(nullptr) : Json(finished);
  m["wall_seconds"] = wall;
  m["command"] = info.argv;
  m["reps"] = info.reps;
  m["order_seed"] = info.order_seed;
  Json runs = Json::array(), not_run = Json::array(), failed = Json::array();
  struct Group {
    std::string first;
    bool agree = true;
    std::set<std::string> maps;
    int runs = 0;
  };
  std::map<std::string, Group> groups;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const RunConfig& c = plan[i];
    const RunRecord& r = recs[i];
    Json o;
    o["run_id"] = c.run_id();
    o["group"] = c.group();
    o["map"] = c.map;
    o["workload"] = workload_name(c.workload.kind);
    o["key"] = c.key;
    o["value_bytes"] = c.value_bytes;
    o["mode"] = c.mode_name();
    o["n"] = c.workload.n;
    o["alloc"] = c.alloc ? Json(alloc_mode_name(*c.alloc)) : Json(nullptr);
    o["rep"] = c.rep;
    o["status"] = r.status;
    o["result"] = r.status == "ok" ? Json(c.run_id() + ".json") : Json(nullptr);
    o["exit_status"] = r.exit_status >= 0 ? Json(r.exit_status) : Json(nullptr);
    o["seconds"] = r.seconds >= 0 ? Json(r.seconds) : Json(nullptr);
    o["steal_ms"] = number_or_null(r.steal_ms);
    runs.push_back(std::move(o));
    if (r.status == "not_run") not_run.push_back(c.run_id());
    if (r.status == "failed") failed.push_back(c.run_id());
    if (r.status == "ok" && !r.checksum.empty()) {
      Group& g = groups[c.checksum_group()];
      if (g.runs == 0) g.first = r.checksum;
      g.agree = g.agree && g.first == r.checksum;
      g.maps.insert(c.map);
      ++g.runs;
    }
  }
  m["runs"] = std::move(runs);
  m["not_run"] = std::move(not_run);
  m["failed"] = std::move(failed);
  Json checks = Json::object();
  for (const auto& [name, g] : groups) {
    checks[name] = {{"agree", g.agree}, {"maps", std::vector<std::string>(g.maps.begin(), g.maps.end())}, {"runs", g.runs}};
  }
  m["checksums"] = std::move(checks);
  write_file_atomically(out_dir + "/manifest.json", to_file_text(m));
}

// True if `path` was (re)written at or after `since` (by this run's child, not a
// stale file from an earlier run into the same directory).
bool written_since(const std::string& path, const struct timespec& since) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  return st.st_mtim.tv_sec > since.tv_sec ||
         (st.st_mtim.tv_sec == since.tv_sec && st.st_mtim.tv_nsec >= since.tv_nsec);
}

// Removes "<file>.tmp.<pid>" files of atomic writes that were cut short: those of
// `pid`, or (pid == 0) those of any process that no longer exists (a child
// killed with its parent by an earlier SIGKILL). Complete files are never touched.
void remove_temp_files(const std::string& out_dir, pid_t pid) {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(out_dir, ec)) {
    const std::string name = entry.path().filename().string();
    const auto at = name.rfind(".tmp.");
    if (at == std::string::npos) continue;
    const std::string digits = name.substr(at + 5);
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) continue;
    const pid_t owner = static_cast<pid_t>(std::stol(digits));
    const bool stale = pid != 0 ? owner == pid : (::kill(owner, 0) != 0 && errno == ESRCH);
    if (stale) std::filesystem::remove(entry.path(), ec);
  }
}

// The closed-loop twin of an open-loop run at a share of the map's own throughput:
// same map, workload, key, value, n, allocation and repetition (any repetition if
// that one has no result). Returns its ops_per_sec: the instrumented throughput,
// because the open loop carries the same per-op instrument, so that is the rate it
// can sustain (a share of the uninstrumented one can exceed it and would measure
// the instrument's overload, not the map). 0 if there is none.
double own_throughput(const std::string& out_dir, const std::vector<RunConfig>& plan,
                      const std::vector<RunRecord>& recs, const RunConfig& c) {
  double any = 0;
  for (std::size_t j = 0; j < plan.size(); ++j) {
    const RunConfig& o = plan[j];
    if (recs[j].status != "ok" || o.open_loop || o.map != c.map || o.workload.kind != c.workload.kind ||
        o.workload.n != c.workload.n || o.key != c.key || o.value_bytes != c.value_bytes || o.alloc != c.alloc ||
        o.go_gc != c.go_gc) {
      continue;
    }
    try {
      std::ifstream in(out_dir + "/" + o.run_id() + ".json");
      const Json j = Json::parse(in);
      const Json& v = j.at("summary").at("ops_per_sec");
      if (!v.is_number()) continue;
      if (o.rep == c.rep) return v.get<double>();
      any = v.get<double>();
    } catch (const std::exception&) {
    }
  }
  return any;
}

// Measured ops of an open-loop run, for the duration it announces.
double expected_open_seconds(const RunConfig& c) {
  try {
    return static_cast<double>(Workload(c.workload).ops()) / c.rate;
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

int execute_plan(const PlanInfo& info, const std::vector<RunConfig>& planned, const std::string& out_dir) {
  std::vector<RunConfig> plan = planned;  // open-loop rates at a share of throughput are set as the plan runs
  make_directories(out_dir);
  remove_temp_files(out_dir, 0);
  const std::string exe = self_exe();
  export_git_info(read_git_info());  // once, for every child

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);

  const std::string started = utc_now_iso8601();
  const auto t0 = std::chrono::steady_clock::now();
  auto wall = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::vector<RunRecord> recs(plan.size());
  write_manifest(out_dir, info, "running", started, "", 0, plan, recs);
  bool any_failed = false;
  const pid_t parent = ::getpid();

  for (std::size_t i = 0; i < plan.size() && g_stop == 0; ++i) {
    RunConfig& c = plan[i];
    std::fprintf(stderr, "[%zu/%zu] %s ... ", i + 1, plan.size(), c.run_id().c_str());
    if (c.open_loop && c.load > 0) {
      const double own = own_throughput(out_dir, plan, recs, c);
      if (own <= 0) {
        recs[i].status = "failed";
        any_failed = true;
        std::fprintf(stderr, "FAILED (no closed-loop throughput of %s at this workload and n to take %.0f%% of)\n",
                     c.map.c_str(), c.load * 100);
        write_manifest(out_dir, info, "running", started, "", wall(), plan, recs);
        continue;
      }
      c.rate = c.load * own;
    }
    if (c.open_loop) {
      const double s = expected_open_seconds(c);
      if (s >= 5) std::fprintf(stderr, "(open loop: about %.0f s) ", s);
    }
    std::fflush(stderr);
    std::vector<std::string> args = {exe, "run-one"};
    for (auto& a : c.to_child_args()) args.push_back(a);
    std::vector<char*> cargv;
    for (auto& a : args) cargv.push_back(a.data());
    cargv.push_back(nullptr);
    const auto r0 = std::chrono::steady_clock::now();
    const std::optional<double> steal0 = host_steal_ms();
    struct timespec started_at {};
    ::clock_gettime(CLOCK_REALTIME_COARSE, &started_at);  // the clock file times use
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {
      // The run dies with its parent, even with a SIGKILL the parent cannot handle.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);
      ::execv(exe.c_str(), cargv.data());
      std::fprintf(stderr, "exec %s failed: %s\n", exe.c_str(), std::strerror(errno));
      ::_exit(127);
    }
    g_child = pid;
    int wstatus = 0;
    while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    g_child = 0;
    RunRecord& r = recs[i];
    r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - r0).count();
    r.steal_ms = steal_since(steal0);
    const std::string json = out_dir + "/" + c.run_id() + ".json";
    if (WIFEXITED(wstatus)) r.exit_status = WEXITSTATUS(wstatus);
    const bool clean_exit = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    if (!clean_exit) remove_temp_files(out_dir, pid);
    // A child interrupted after its last (atomic) rename still completed its run.
    if ((clean_exit || g_stop != 0) && written_since(json, started_at)) {
      r.status = "ok";
      r.checksum = read_checksum(json);
      // Whole child (load, measured phase, uninstrumented pass); the result file
      // has the measured phase's own host.steal_ms and the steal of every window.
      if (r.steal_ms.value_or(0) > 0) {
        std::fprintf(stderr, "ok %.1fs (host steal %.0f ms)\n", r.seconds, *r.steal_ms);
      } else {
        std::fprintf(stderr, "ok %.1fs\n", r.seconds);
      }
    } else if (g_stop != 0) {
      r.status = "not_run";  // killed by our own interrupt before its result existed
      r.exit_status = -1;
      std::fprintf(stderr, "interrupted\n");
    } else {
      r.status = "failed";
      any_failed = true;
      if (WIFSIGNALED(wstatus)) {
        std::fprintf(stderr, "FAILED (signal %d)\n", WTERMSIG(wstatus));
      } else {
        std::fprintf(stderr, "FAILED (exit %d)\n", r.exit_status);
      }
    }
    write_manifest(out_dir, info, "running", started, "", wall(), plan, recs);
  }
  const std::string status = g_stop != 0 ? "interrupted" : (any_failed ? "failed" : "complete");
  write_manifest(out_dir, info, status, started, utc_now_iso8601(), wall(), plan, recs);
  std::size_t ok = 0;
  std::vector<std::string> ok_files;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    if (recs[i].status != "ok") continue;
    ++ok;
    ok_files.push_back(plan[i].run_id() + ".json");
  }
  try {
    write_aggregate(out_dir, ok_files, info.reps);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "aggregate.json not written: %s\n", e.what());
    any_failed = true;
  }
  std::fprintf(stderr, "%s: %zu/%zu runs ok, %.1f s, results in %s (manifest.json, aggregate.json)\n",
               status.c_str(), ok, plan.size(), wall(), out_dir.c_str());
  if (g_stop != 0) {
    std::fprintf(stderr, "not run: %zu (listed in manifest.json \"not_run\")\n", plan.size() - ok);
    return 130;
  }
  return any_failed ? 1 : 0;
}

}  // namespace rehashlab
