#include "harness/executor.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>

#include "harness/atomic_file.h"
#include "harness/host_steal.h"
#include "harness/json.h"
#include "harness/provenance.h"

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
  std::string checksum;
};

std::string read_checksum(const std::string& json_path) {
  std::ifstream in(json_path);
  std::stringstream ss;
  ss << in.rdbuf();
  static const std::regex re("\"checksum\": \"(0x[0-9a-f]{16})\"");
  std::smatch m;
  const std::string s = ss.str();
  return std::regex_search(s, m, re) ? m[1].str() : "";
}

void write_manifest(const std::string& out_dir, const std::string& suite, const std::string& status,
                    const std::string& started, const std::string& finished, double wall,
                    const std::vector<std::string>& argv, const std::vector<RunConfig>& plan,
                    const std::vector<RunRecord>& recs) {
  JsonWriter o(true);
  o.begin_object();
  o.field("schema", "rehashlab-manifest/1");
  o.field("suite", suite);
  o.field("status", status);
  o.field("started", started);
  o.key("finished");
  if (finished.empty()) o.null(); else o.value(finished);
  o.field("wall_seconds", wall);
  o.key("command");
  o.begin_array();
  for (const auto& a : argv) o.value(a);
  o.end_array();
  o.key("runs");
  o.begin_array();
  std::vector<std::string> not_run, failed;
  std::map<std::string, std::pair<std::string, bool>> groups;  // group -> (first checksum, agree)
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const RunConfig& c = plan[i];
    const RunRecord& r = recs[i];
    o.begin_object();
    o.field("run_id", c.run_id());
    o.field("map", c.map);
    o.field("workload", workload_name(c.workload.kind));
    o.field("key", c.key);
    o.field("value_bytes", c.value_bytes);
    o.field("mode", c.mode_name());
    o.field("n", c.workload.n);
    o.field("status", r.status);
    o.key("result");
    if (r.status == "ok") o.value(c.run_id() + ".json"); else o.null();
    o.key("exit_status");
    if (r.exit_status >= 0) o.value(r.exit_status); else o.null();
    o.key("seconds");
    if (r.seconds >= 0) o.value(r.seconds); else o.null();
    o.end_object();
    if (r.status == "not_run") not_run.push_back(c.run_id());
    if (r.status == "failed") failed.push_back(c.run_id());
    if (r.status == "ok" && !r.checksum.empty()) {
      auto [it, fresh] = groups.emplace(c.checksum_group(), std::make_pair(r.checksum, true));
      if (!fresh && it->second.first != r.checksum) it->second.second = false;
    }
  }
  o.end_array();
  o.key("not_run");
  o.begin_array();
  for (const auto& s : not_run) o.value(s);
  o.end_array();
  o.key("failed");
  o.begin_array();
  for (const auto& s : failed) o.value(s);
  o.end_array();
  o.key("checksums_agree");
  o.begin_object();
  for (const auto& [g, v] : groups) o.field(g, v.second);
  o.end_object();
  o.end_object();
  write_file_atomically(out_dir + "/manifest.json", o.str() + "\n");
}

// True if `path` was (re)written at or after `since` (by this run's child, not a
// stale file from an earlier run into the same directory).
bool written_since(const std::string& path, const struct timespec& since) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return false;
  return st.st_mtim.tv_sec > since.tv_sec ||
         (st.st_mtim.tv_sec == since.tv_sec && st.st_mtim.tv_nsec >= since.tv_nsec);
}

// A child killed in the middle of an atomic write leaves "<file>.tmp.<pid>" behind
// (the complete files are never touched): remove them.
void remove_child_temp_files(const std::string& out_dir, pid_t pid) {
  const std::string suffix = ".tmp." + std::to_string(pid);
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(out_dir, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.size() > suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
      std::filesystem::remove(entry.path(), ec);
    }
  }
}

}  // namespace

int execute_plan(const std::string& suite_name, const std::vector<RunConfig>& plan, const std::string& out_dir,
                 const std::vector<std::string>& argv) {
  make_directories(out_dir);
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
  write_manifest(out_dir, suite_name, "running", started, "", 0, argv, plan, recs);
  bool any_failed = false;

  for (std::size_t i = 0; i < plan.size() && g_stop == 0; ++i) {
    const RunConfig& c = plan[i];
    std::fprintf(stderr, "[%zu/%zu] %s ... ", i + 1, plan.size(), c.run_id().c_str());
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
    const std::string json = out_dir + "/" + c.run_id() + ".json";
    if (WIFEXITED(wstatus)) r.exit_status = WEXITSTATUS(wstatus);
    const bool clean_exit = WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0;
    if (!clean_exit) remove_child_temp_files(out_dir, pid);
    // A child interrupted after its last (atomic) rename still completed its run.
    if ((clean_exit || g_stop != 0) && written_since(json, started_at)) {
      r.status = "ok";
      r.checksum = read_checksum(json);
      // Whole child (load, noise floor, measured phase); the result file has the
      // measured phase's own host.steal_ms.
      const double steal = steal_since(steal0).value_or(0);
      if (steal > 0) {
        std::fprintf(stderr, "ok %.1fs (host steal %.0f ms)\n", r.seconds, steal);
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
    write_manifest(out_dir, suite_name, "running", started, "", wall(), argv, plan, recs);
  }
  const std::string status = g_stop != 0 ? "interrupted" : (any_failed ? "failed" : "complete");
  write_manifest(out_dir, suite_name, status, started, utc_now_iso8601(), wall(), argv, plan, recs);
  std::size_t ok = 0;
  for (const auto& r : recs) ok += r.status == "ok";
  std::fprintf(stderr, "%s: %zu/%zu runs ok, %.1f s, results in %s (manifest.json)\n", status.c_str(), ok,
               plan.size(), wall(), out_dir.c_str());
  if (g_stop != 0) {
    std::fprintf(stderr, "not run: %zu (listed in manifest.json \"not_run\")\n", plan.size() - ok);
    return 130;
  }
  return any_failed ? 1 : 0;
}

}  // namespace rehashlab
