#include "harness/provenance.h"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
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

namespace {

std::vector<std::string> build_flags() {
  std::vector<std::string> flags = {"-std=c++20"};
#ifdef __OPTIMIZE__
  flags.push_back("__OPTIMIZE__");
#endif
#ifdef NDEBUG
  flags.push_back("NDEBUG");
#endif
#ifdef __SANITIZE_ADDRESS__
  flags.push_back("-fsanitize=address");
#endif
#ifdef __AVX2__
  flags.push_back("__AVX2__");
#endif
#if defined(REHASHLAB_CHECK_INVARIANTS) && REHASHLAB_CHECK_INVARIANTS
  flags.push_back("REHASHLAB_CHECK_INVARIANTS");
#endif
  return flags;
}

// First line of a file, without its newline; "" if unreadable.
std::string first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

// The value of the first "<key> : value" line of /proc/cpuinfo or "<key>: value"
// line of /proc/meminfo; "" if absent.
std::string proc_field(const std::string& path, const std::string& key) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(key, 0) != 0) continue;
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const auto start = line.find_first_not_of(" \t", colon + 1);
    return start == std::string::npos ? "" : line.substr(start);
  }
  return "";
}

// "L1d 48K, L1i 32K, L2 2048K, L3 107520K" from sysfs (cpu0).
std::string cache_sizes() {
  std::string out;
  for (int i = 0; i < 8; ++i) {
    const std::string dir = "/sys/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string level = first_line(dir + "level");
    if (level.empty()) break;
    const std::string type = first_line(dir + "type");
    const std::string size = first_line(dir + "size");
    if (!out.empty()) out += ", ";
    out += "L" + level + (type == "Data" ? "d" : type == "Instruction" ? "i" : "") + " " + size;
  }
  return out.empty() ? "unknown" : out;
}

// The hypervisor's CPUID vendor string ("KVMKVMKVM", ...), "none" on bare metal.
std::string hypervisor() {
#if defined(__x86_64__)
  unsigned a, b, c, d;
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
  if ((c & (1u << 31)) == 0) return "none";
  __asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x40000000), "c"(0));
  char vendor[13] = {};
  std::memcpy(vendor, &b, 4);
  std::memcpy(vendor + 4, &c, 4);
  std::memcpy(vendor + 8, &d, 4);
  std::string v(vendor);
  while (!v.empty() && v.back() == '\0') v.pop_back();
  return v.empty() ? "unknown" : v;
#else
  return "unknown";
#endif
}

}  // namespace

namespace {
std::vector<std::string>& argv_store() {
  static std::vector<std::string> argv;
  return argv;
}
}  // namespace

void record_argv(std::vector<std::string> argv) { argv_store() = std::move(argv); }
const std::vector<std::string>& recorded_argv() { return argv_store(); }

Json machine_json() {
  Json m;
  m["cpu_model"] = cpu_model();
  m["cpu_mhz"] = proc_field("/proc/cpuinfo", "cpu MHz");
  m["cores"] = online_cores();
  m["caches"] = cache_sizes();
  m["memory"] = proc_field("/proc/meminfo", "MemTotal");
  m["transparent_hugepage"] = first_line("/sys/kernel/mm/transparent_hugepage/enabled");
  m["kernel"] = kernel_version();
  m["hypervisor"] = hypervisor();
  return m;
}

Json provenance_json(const GitInfo& git, const std::string& date, const std::vector<std::string>& argv) {
  Json p;
  p["git_commit"] = git.commit;
  p["git_dirty"] = git.dirty < 0 ? Json(nullptr) : Json(git.dirty == 1);
  p["git_source"] = git.source;
#if defined(__clang__)
  p["compiler"] = std::string("clang ") + __VERSION__;
#elif defined(__GNUC__)
  p["compiler"] = std::string("gcc ") + __VERSION__;
#else
  p["compiler"] = "unknown";
#endif
#ifdef REHASHLAB_COMPILATION_MODE
  p["compilation_mode"] = REHASHLAB_STR(REHASHLAB_COMPILATION_MODE);
#else
  p["compilation_mode"] = "unknown";
#endif
  p["build_flags"] = build_flags();
  p["cpu_model"] = cpu_model();
  p["cores"] = online_cores();
  p["kernel"] = kernel_version();
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  p["hostname"] = std::string(host);
  p["date"] = date;
  p["pid"] = static_cast<std::int64_t>(::getpid());
  p["argv"] = argv;
  p["machine"] = machine_json();
  return p;
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
