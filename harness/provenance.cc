#include "harness/provenance.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>

namespace rehashlab {
namespace {

bool run_capture(const std::string& cmd, std::string& out) {
  out.clear();
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return false;
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  return ::pclose(p) == 0;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return q + "'";
}

#define REHASHLAB_STR2(x) #x
#define REHASHLAB_STR(x) REHASHLAB_STR2(x)

}  // namespace

GitInfo read_git_info() {
  GitInfo g;
  if (const char* c = std::getenv("REHASHLAB_GIT_COMMIT")) {
    g.commit = c;
    const char* d = std::getenv("REHASHLAB_GIT_DIRTY");
    g.dirty = d == nullptr ? -1 : (std::string(d) == "1" ? 1 : (std::string(d) == "0" ? 0 : -1));
    const char* s = std::getenv("REHASHLAB_GIT_SOURCE");
    g.source = s ? s : "parent";
    return g;
  }
  std::vector<std::pair<std::string, std::string>> candidates;
  if (const char* r = std::getenv("REHASHLAB_REPO")) candidates.push_back({"REHASHLAB_REPO", r});
  if (const char* w = std::getenv("BUILD_WORKSPACE_DIRECTORY")) candidates.push_back({"BUILD_WORKSPACE_DIRECTORY", w});
  candidates.push_back({"cwd", "."});
  for (const auto& [source, dir] : candidates) {
    std::string out;
    if (!run_capture("git -C " + shell_quote(dir) + " rev-parse HEAD 2>/dev/null", out)) continue;
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
    if (out.size() != 40) continue;
    g.commit = out;
    g.source = source;
    std::string status;
    if (run_capture("git -C " + shell_quote(dir) + " status --porcelain --untracked-files=no 2>/dev/null", status)) {
      g.dirty = status.empty() ? 0 : 1;
    }
    return g;
  }
  return g;
}

void export_git_info(const GitInfo& g) {
  ::setenv("REHASHLAB_GIT_COMMIT", g.commit.c_str(), 1);
  ::setenv("REHASHLAB_GIT_DIRTY", g.dirty < 0 ? "unknown" : (g.dirty ? "1" : "0"), 1);
  ::setenv("REHASHLAB_GIT_SOURCE", g.source.c_str(), 1);
}

std::string utc_now_iso8601() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return line.substr(line.find_first_not_of(" \t", colon + 1));
    }
  }
  return "unknown";
}

int online_cores() { return static_cast<int>(::sysconf(_SC_NPROCESSORS_ONLN)); }

std::string kernel_version() {
  utsname u{};
  if (::uname(&u) != 0) return "unknown";
  return std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
}

void write_provenance(JsonWriter& out, const GitInfo& git, const std::string& date,
                      const std::vector<std::string>& argv) {
  out.key("provenance");
  out.begin_object();
  out.field("git_commit", git.commit);
  out.key("git_dirty");
  if (git.dirty < 0) out.null(); else out.value(git.dirty == 1);
  out.field("git_source", git.source);
#if defined(__clang__)
  out.field("compiler", std::string("clang ") + __VERSION__);
#elif defined(__GNUC__)
  out.field("compiler", std::string("gcc ") + __VERSION__);
#else
  out.field("compiler", "unknown");
#endif
#ifdef REHASHLAB_COMPILATION_MODE
  out.field("compilation_mode", REHASHLAB_STR(REHASHLAB_COMPILATION_MODE));
#else
  out.field("compilation_mode", "unknown");
#endif
  std::string flags = "-std=c++20";
#ifdef __OPTIMIZE__
  flags += " __OPTIMIZE__";
#endif
#ifdef NDEBUG
  flags += " NDEBUG";
#endif
#ifdef __SANITIZE_ADDRESS__
  flags += " -fsanitize=address";
#endif
#ifdef __AVX2__
  flags += " __AVX2__";
#endif
#if defined(REHASHLAB_CHECK_INVARIANTS) && REHASHLAB_CHECK_INVARIANTS
  flags += " REHASHLAB_CHECK_INVARIANTS";
#endif
  out.field("build_flags", flags + " (full copts: .bazelrc)");
  out.field("cpu_model", cpu_model());
  out.field("cores", online_cores());
  out.field("kernel", kernel_version());
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  out.field("hostname", std::string(host));
  out.field("date", date);
  out.field("pid", static_cast<std::int64_t>(::getpid()));
  out.key("argv");
  out.begin_array();
  for (const auto& a : argv) out.value(a);
  out.end_array();
  out.end_object();
}

unsigned long long rss_bytes() {
  std::ifstream in("/proc/self/statm");
  unsigned long long size = 0, resident = 0;
  if (!(in >> size >> resident)) return 0;
  return resident * static_cast<unsigned long long>(::sysconf(_SC_PAGESIZE));
}

unsigned long long rss_peak_bytes() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return static_cast<unsigned long long>(u.ru_maxrss) * 1024ULL;
}

}  // namespace rehashlab
