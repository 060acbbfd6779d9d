#include "peers/redis_server.h"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <bit>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

namespace rehashlab {

void RedisReplyDeleter::operator()(redisReply* r) const noexcept {
  if (r != nullptr) freeReplyObject(r);
}

namespace {

// ---------------------------------------------------------------------------
// The live-server registry. Slots are claimed by the main thread; a signal handler
// takes a server out of it with one atomic exchange, so the handler and stop() never
// both reap (and so never signal a recycled pid).
constexpr int kRegistrySlots = 16;
constexpr std::size_t kDirMax = 200;
constexpr const char* kFilesInDir[] = {"redis.sock", "redis.log", "redis.stdout"};

struct RegistrySlot {
  std::atomic<int> claimed{0};  // 0 free, 1 owned by a RedisServer
  std::atomic<pid_t> pid{0};    // > 0 while the server is live and not yet taken by a handler
  char dir[kDirMax + 1] = {};
};
static_assert(std::atomic<pid_t>::is_always_lock_free && std::atomic<int>::is_always_lock_free);
RegistrySlot g_registry[kRegistrySlots];

int claim_slot(const std::string& dir) {
  if (dir.size() > kDirMax) return -1;
  for (int i = 0; i < kRegistrySlots; ++i) {
    int expected = 0;
    if (g_registry[i].claimed.compare_exchange_strong(expected, 1)) {
      std::memcpy(g_registry[i].dir, dir.c_str(), dir.size() + 1);
      return i;
    }
  }
  return -1;
}

void release_slot(int i) {
  g_registry[i].pid.store(0);
  g_registry[i].dir[0] = '\0';
  g_registry[i].claimed.store(0);
}

// Signal-safe "a/b" into out (no allocation, no libc string functions).
void join_path(char* out, std::size_t cap, const char* a, const char* b) {
  std::size_t n = 0;
  for (; *a != '\0' && n + 1 < cap; ++a) out[n++] = *a;
  if (n + 1 < cap) out[n++] = '/';
  for (; *b != '\0' && n + 1 < cap; ++b) out[n++] = *b;
  out[n] = '\0';
}

// Async-signal-safe: kill, reap, remove the directory's known files, rmdir.
void kill_and_clean_slot(RegistrySlot& s) noexcept {
  const pid_t p = s.pid.exchange(0);
  if (p <= 0) return;
  ::kill(p, SIGKILL);
  while (::waitpid(p, nullptr, 0) < 0 && errno == EINTR) {
  }
  char path[kDirMax + 32];
  for (const char* f : kFilesInDir) {
    join_path(path, sizeof path, s.dir, f);
    ::unlink(path);
  }
  ::rmdir(s.dir);
}

constexpr int kCleanupSignals[] = {SIGINT, SIGTERM, SIGHUP};
struct sigaction g_previous[3];
std::atomic<bool> g_handlers_installed{false};

void cleanup_signal_handler(int sig, siginfo_t* info, void* uctx) {
  const int saved_errno = errno;
  kill_live_redis_servers();
  for (int i = 0; i < 3; ++i) {
    if (kCleanupSignals[i] != sig) continue;
    const struct sigaction& prev = g_previous[i];
    if (prev.sa_flags & SA_SIGINFO) {
      if (prev.sa_sigaction != nullptr) prev.sa_sigaction(sig, info, uctx);
    } else if (prev.sa_handler == SIG_DFL) {
      ::signal(sig, SIG_DFL);
      ::raise(sig);  // delivered when this handler returns: the default action
    } else if (prev.sa_handler != SIG_IGN) {
      prev.sa_handler(sig);
    }
  }
  errno = saved_errno;
}

std::once_flag g_process_setup;
void process_setup() {
  // A dead server must surface as EPIPE, not kill the harness.
  struct sigaction cur {};
  if (::sigaction(SIGPIPE, nullptr, &cur) == 0 && !(cur.sa_flags & SA_SIGINFO) && cur.sa_handler == SIG_DFL) {
    ::signal(SIGPIPE, SIG_IGN);
  }
  // exit() skips the destructors of live objects: stop their servers anyway.
  std::atexit([] { kill_live_redis_servers(); });
}

std::string errno_text(int e) { return std::strerror(e); }

bool executable(const std::string& p) {
  struct stat st {};
  return !p.empty() && ::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0;
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// Has the child exited (without reaping it)? Fills *status_text.
bool child_exited(pid_t pid, std::string* status_text) {
  siginfo_t si {};
  if (::waitid(P_PID, static_cast<id_t>(pid), &si, WEXITED | WNOHANG | WNOWAIT) != 0) {
    if (status_text) *status_text = "gone (" + errno_text(errno) + ")";
    return errno == ECHILD;
  }
  if (si.si_pid == 0) return false;
  if (status_text) {
    *status_text = si.si_code == CLD_EXITED ? "exited with status " + std::to_string(si.si_status)
                                            : "killed by signal " + std::to_string(si.si_status);
  }
  return true;
}

std::uint64_t to_u64(std::string_view s, const char* what) {
  std::uint64_t v = 0;
  if (s.empty()) throw RedisServerError(std::string("redis: empty number in ") + what);
  for (char c : s) {
    if (c < '0' || c > '9') throw RedisServerError(std::string("redis: bad number '") + std::string(s) + "' in " + what);
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  return v;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\r' || s.back() == '\n' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string reply_string(const redisReply* r) {
  if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR) {
    return std::string(r->str, r->len);
  }
  if (r->type == REDIS_REPLY_INTEGER) return std::to_string(r->integer);
  return {};
}

std::string lower(std::string s) {
  for (char& c : s) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
  return s;
}

}  // namespace

// ---------------------------------------------------------------------------
void kill_live_redis_servers() noexcept {
  for (RegistrySlot& s : g_registry) kill_and_clean_slot(s);
}

int live_redis_server_count() noexcept {
  int n = 0;
  for (const RegistrySlot& s : g_registry) n += s.pid.load() > 0 ? 1 : 0;
  return n;
}

void install_redis_cleanup_signal_handlers() {
  if (g_handlers_installed.exchange(true)) return;
  for (int i = 0; i < 3; ++i) {
    struct sigaction sa {};
    sa.sa_sigaction = cleanup_signal_handler;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    for (int s : kCleanupSignals) sigaddset(&sa.sa_mask, s);  // one cleanup at a time
    if (::sigaction(kCleanupSignals[i], &sa, &g_previous[i]) != 0) {
      throw RedisServerError("redis: sigaction: " + errno_text(errno));
    }
  }
}

std::string find_redis_server(const std::string& explicit_path, const char* path_env, const std::string& fallback) {
  if (!explicit_path.empty()) {
    if (executable(explicit_path)) return explicit_path;
    throw RedisServerError("redis-server not found or not executable at " + explicit_path +
                           "; install it: " + kRedisInstallHint);
  }
  if (path_env != nullptr) {
    std::string_view rest(path_env);
    while (true) {
      const std::size_t colon = rest.find(':');
      const std::string_view d = rest.substr(0, colon);
      if (!d.empty()) {
        const std::string candidate = std::string(d) + "/redis-server";
        if (executable(candidate)) return candidate;
      }
      if (colon == std::string_view::npos) break;
      rest.remove_prefix(colon + 1);
    }
  }
  if (executable(fallback)) return fallback;
  throw RedisServerError(std::string("redis-server not found (searched PATH and ") + fallback +
                         "); install it: " + kRedisInstallHint);
}

// ---------------------------------------------------------------------------
HtStats parse_htstats(std::string_view text) {
  HtStats out;
  bool in_dict = false, seen_dict = false;
  HtStatsTable* cur = nullptr;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    line = trim(line);
    if (line.empty()) continue;
    if (line.front() == '[') {
      in_dict = line == "[Dictionary HT]";
      seen_dict = seen_dict || in_dict;
      cur = nullptr;
      continue;
    }
    if (!in_dict) continue;
    if (line.rfind("Hash table ", 0) == 0) {
      const char t = line.size() > 11 ? line[11] : '?';
      if (t != '0' && t != '1') throw RedisServerError("redis: DEBUG HTSTATS: bad table line: " + std::string(line));
      cur = &out.ht[t - '0'];
      cur->present = true;
      continue;
    }
    if (cur == nullptr) continue;
    if (line == "No stats available for empty dictionaries") {
      cur->empty = true;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const std::string_view key = trim(line.substr(0, colon)), val = trim(line.substr(colon + 1));
    if (key == "table size") cur->size = to_u64(val, "HTSTATS table size");
    else if (key == "number of elements") cur->elements = to_u64(val, "HTSTATS elements");
    else if (key == "different slots") cur->slots = to_u64(val, "HTSTATS slots");
    else if (key == "max chain length") cur->max_chain = to_u64(val, "HTSTATS max chain");
  }
  if (!seen_dict || !out.ht[0].present) throw RedisServerError("redis: DEBUG HTSTATS: no [Dictionary HT] hash table 0");
  for (const HtStatsTable& t : out.ht) {
    if (t.present && !t.empty && (t.size == 0 || !std::has_single_bit(t.size))) {
      throw RedisServerError("redis: DEBUG HTSTATS: table size is not a power of two");
    }
  }
  return out;
}

RedisMemoryInfo parse_info_memory(std::string_view text) {
  RedisMemoryInfo out;
  while (!text.empty()) {
    const std::size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.empty() || line.front() == '#') continue;
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    out.fields[std::string(line.substr(0, colon))] = std::string(line.substr(colon + 1));
  }
  auto num = [&](const char* k, std::uint64_t& dst) {
    auto it = out.fields.find(k);
    if (it == out.fields.end()) throw RedisServerError(std::string("redis: INFO memory has no ") + k);
    dst = to_u64(it->second, k);
  };
  num("used_memory", out.used_memory);
  num("used_memory_peak", out.used_memory_peak);
  num("used_memory_rss", out.used_memory_rss);
  num("allocator_allocated", out.allocator_allocated);
  num("allocator_active", out.allocator_active);
  num("allocator_resident", out.allocator_resident);
  return out;
}

// ---------------------------------------------------------------------------
RedisServer::RedisServer(const RedisServerOptions& options) : options_(options) {
  std::call_once(g_process_setup, process_setup);
  binary_ = find_redis_server(options_.binary, std::getenv("PATH"));
  start();
}

RedisServer::~RedisServer() { stop(); }

[[noreturn]] void RedisServer::fail(const std::string& what) {
  const std::string tail = log_tail();
  stop();
  throw RedisServerError(what + (tail.empty() ? std::string() : "\n--- redis log (" + log_ + ") ---\n" + tail));
}

std::string RedisServer::log_tail(std::size_t lines) const {
  std::string all;
  for (const std::string& p : {log_, stdout_path_}) {
    std::ifstream in(p);
    if (!in) continue;
    std::vector<std::string> v;
    for (std::string l; std::getline(in, l);) v.push_back(l);
    const std::size_t from = v.size() > lines ? v.size() - lines : 0;
    for (std::size_t i = from; i < v.size(); ++i) all += v[i] + "\n";
  }
  return all;
}

void RedisServer::start() {
  // The socket path must fit sockaddr_un (108 bytes): $TMPDIR if short, else /tmp.
  std::string base = "/tmp";
  if (const char* t = std::getenv("TMPDIR"); t != nullptr && t[0] == '/' && std::strlen(t) < 60) base = t;
  std::string templ = base + "/rehashlab-redis-XXXXXX";
  if (::mkdtemp(templ.data()) == nullptr) {
    throw RedisServerError("redis: mkdtemp(" + templ + "): " + errno_text(errno));
  }
  dir_ = templ;
  socket_ = dir_ + "/redis.sock";
  log_ = dir_ + "/redis.log";
  stdout_path_ = dir_ + "/redis.stdout";
  if (socket_.size() >= sizeof(sockaddr_un{}.sun_path)) fail("redis: socket path too long: " + socket_);

  std::vector<std::string> args = {
      binary_,
      "--port", "0",
      "--unixsocket", socket_,
      "--unixsocketperm", "700",
      "--save", "",
      "--appendonly", "no",
      "--dir", dir_,
      "--enable-debug-command", "local",
      "--slowlog-log-slower-than", options_.slowlog ? "0" : "-1",
      "--slowlog-max-len", std::to_string(options_.slowlog_max_len),
      "--daemonize", "no",
      "--activerehashing", options_.active_rehashing ? "yes" : "no",
      "--logfile", log_,
  };
  args.insert(args.end(), options_.extra_args.begin(), options_.extra_args.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const int out_fd = ::open(stdout_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  const int null_fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int exec_pipe[2] = {-1, -1};
  if (out_fd < 0 || null_fd < 0 || ::pipe2(exec_pipe, O_CLOEXEC) != 0) {
    const int e = errno;
    if (out_fd >= 0) ::close(out_fd);
    if (null_fd >= 0) ::close(null_fd);
    fail("redis: cannot prepare the child's files: " + errno_text(e));
  }
  registry_slot_ = claim_slot(dir_);
  if (registry_slot_ < 0) {
    ::close(out_fd), ::close(null_fd), ::close(exec_pipe[0]), ::close(exec_pipe[1]);
    fail("redis: too many live servers in this process (or directory name too long)");
  }

  // Block the cleanup signals across fork + registration: a handler then either
  // sees no child yet or a registered one.
  sigset_t block, old;
  sigemptyset(&block);
  for (int s : kCleanupSignals) sigaddset(&block, s);
  ::sigprocmask(SIG_BLOCK, &block, &old);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid == 0) {
    // Child: async-signal-safe calls only until exec.
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(126);  // the parent died before prctl
    for (int s = 1; s < NSIG; ++s) {
      if (s != SIGKILL && s != SIGSTOP) ::signal(s, SIG_DFL);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    ::dup2(null_fd, 0);
    ::dup2(out_fd, 1);
    ::dup2(out_fd, 2);
    const int keep = exec_pipe[1];
    ::close_range(3, static_cast<unsigned>(keep - 1), 0);
    ::close_range(static_cast<unsigned>(keep + 1), ~0U, 0);
    ::execv(argv[0], argv.data());
    const int e = errno;
    [[maybe_unused]] ssize_t w = ::write(keep, &e, sizeof e);
    ::_exit(127);
  }
  const int fork_errno = errno;
  if (pid > 0) {
    pid_ = pid;
    g_registry[registry_slot_].pid.store(pid);
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  ::close(out_fd);
  ::close(null_fd);
  ::close(exec_pipe[1]);
  if (pid < 0) {
    ::close(exec_pipe[0]);
    fail("redis: fork: " + errno_text(fork_errno));
  }
  int exec_errno = 0;
  ssize_t got;
  while ((got = ::read(exec_pipe[0], &exec_errno, sizeof exec_errno)) < 0 && errno == EINTR) {
  }
  ::close(exec_pipe[0]);
  if (got > 0) {
    fail("redis: cannot execute " + binary_ + ": " + errno_text(exec_errno) + "; install it: " + kRedisInstallHint);
  }

  // Wait until the server answers PING on its own socket.
  const auto t0 = std::chrono::steady_clock::now();
  while (true) {
    std::string status;
    if (child_exited(pid_, &status)) fail("redis: " + binary_ + " " + status + " during start-up");
    if (::access(socket_.c_str(), F_OK) == 0) {
      timeval tv{1, 0};
      redisContext* c = redisConnectUnixWithTimeout(socket_.c_str(), tv);
      if (c != nullptr && c->err == 0) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
        const bool pong = r != nullptr && r->type == REDIS_REPLY_STATUS && std::string(r->str, r->len) == "PONG";
        if (r != nullptr) freeReplyObject(r);
        if (pong) {
          ctx_ = c;
          break;
        }
      }
      if (c != nullptr) redisFree(c);
    }
    if (seconds_since(t0) > options_.start_timeout_seconds) {
      fail("redis: " + binary_ + " did not answer PING on " + socket_ + " within " +
           std::to_string(options_.start_timeout_seconds) + " s");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  connect_and_check();
}

void RedisServer::connect_and_check() {
  const double t = options_.command_timeout_seconds;
  timeval tv{static_cast<time_t>(t), static_cast<suseconds_t>((t - static_cast<double>(static_cast<time_t>(t))) * 1e6)};
  if (redisSetTimeout(ctx_, tv) != REDIS_OK) fail("redis: cannot set the command timeout");
  try {
    const std::string info = reply_string(command({"INFO", "server"}).get());
    const std::size_t at = info.find("redis_version:");
    if (at == std::string::npos) fail("redis: INFO server has no redis_version");
    version_ = std::string(trim(std::string_view(info).substr(at + 14, info.find('\n', at) - at - 14)));
    // The decoding of MEMORY STATS and HTSTATS was checked against 7.0's source.
    if (version_.rfind("7.0.", 0) != 0) {
      fail("redis: " + binary_ + " is version " + version_ +
           "; the redis_server peer reads 7.0's formats (Debian 12 ships 7.0.15): " + kRedisInstallHint);
    }
    RedisReply sizes = command({"DEBUG", "STRUCTSIZE"}, true);
    if (sizes->type == REDIS_REPLY_ERROR) {
      fail("redis: DEBUG is refused (" + reply_string(sizes.get()) + "); the peer needs --enable-debug-command local");
    }
    const std::string s = reply_string(sizes.get());
    auto field = [&](const char* name) -> std::uint64_t {
      const std::size_t p = s.find(name);
      if (p == std::string::npos) fail(std::string("redis: DEBUG STRUCTSIZE has no ") + name);
      const std::size_t b = p + std::strlen(name);
      return to_u64(s.substr(b, s.find(' ', b) - b), "DEBUG STRUCTSIZE");
    };
    entry_bytes_ = field("robj:") + field("dictentry:");
  } catch (const RedisServerError&) {
    if (running()) stop();
    throw;
  }
}

void RedisServer::stop() noexcept {
  if (ctx_ != nullptr) {
    redisFree(ctx_);
    ctx_ = nullptr;
  }
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);  // Redis: prepareForShutdown, no save (--save ""), exit
    const auto t0 = std::chrono::steady_clock::now();
    bool exited = false;
    while (!(exited = child_exited(pid_, nullptr)) && seconds_since(t0) < kStopGraceSeconds) {
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    if (!exited) ::kill(pid_, SIGKILL);
    siginfo_t si{};
    while (::waitid(P_PID, static_cast<id_t>(pid_), &si, WEXITED | WNOWAIT) != 0 && errno == EINTR) {
    }
    // Out of the registry before reaping: a handler can then no longer signal the pid.
    if (g_registry[registry_slot_].pid.exchange(0) == pid_) {
      while (::waitpid(pid_, nullptr, 0) < 0 && errno == EINTR) {
      }
    }
    pid_ = -1;
  }
  if (registry_slot_ >= 0) {
    release_slot(registry_slot_);
    registry_slot_ = -1;
  }
  if (!dir_.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
}

// ---------------------------------------------------------------------------
RedisReply RedisServer::check_reply(void* raw, bool allow_error, const char* what) {
  if (raw == nullptr) {
    std::string msg = std::string("redis: ") + what + ": " + (ctx_ ? ctx_->errstr : "not connected");
    std::string status;
    if (pid_ > 0 && child_exited(pid_, &status)) msg += " (the server " + status + ")";
    fail(msg);
  }
  RedisReply r(static_cast<redisReply*>(raw));
  if (r->type == REDIS_REPLY_ERROR && !allow_error) {
    throw RedisServerError(std::string("redis: ") + what + ": error reply: " + reply_string(r.get()));
  }
  return r;
}

namespace {

// A short command's arguments as hiredis's argv/argvlen arrays, on the stack (the
// timed path sends one command per op).
struct ShortArgv {
  static constexpr std::size_t kMax = 16;
  const char* argv[kMax];
  std::size_t lens[kMax];
  int n = 0;

  explicit ShortArgv(std::initializer_list<std::string_view> args) {
    if (args.size() > kMax) throw RedisServerError("redis: too many arguments");
    for (std::string_view a : args) {
      argv[n] = a.data();
      lens[n++] = a.size();
    }
  }
};

}  // namespace

RedisReply RedisServer::command(std::initializer_list<std::string_view> args, bool allow_error) {
  if (ctx_ == nullptr) throw RedisServerError("redis: the server is not running");
  ShortArgv a(args);  // not const: hiredis takes const char** argv
  return check_reply(redisCommandArgv(ctx_, a.n, a.argv, a.lens), allow_error, a.argv[0]);
}

RedisReply RedisServer::command(const std::vector<std::string>& args, bool allow_error) {
  if (ctx_ == nullptr) throw RedisServerError("redis: the server is not running");
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  for (const std::string& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  return check_reply(redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()), allow_error,
                     args.empty() ? "?" : args[0].c_str());
}

void RedisServer::append(std::initializer_list<std::string_view> args) {
  if (ctx_ == nullptr) throw RedisServerError("redis: the server is not running");
  ShortArgv a(args);  // not const: hiredis takes const char** argv
  if (redisAppendCommandArgv(ctx_, a.n, a.argv, a.lens) != REDIS_OK) fail(std::string("redis: append: ") + ctx_->errstr);
}

RedisReply RedisServer::read_reply(bool allow_error) {
  if (ctx_ == nullptr) throw RedisServerError("redis: the server is not running");
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK) raw = nullptr;
  return check_reply(raw, allow_error, "reply");
}

void RedisServer::append_formatted(std::string_view resp) {
  if (ctx_ == nullptr) throw RedisServerError("redis: the server is not running");
  if (redisAppendFormattedCommand(ctx_, resp.data(), resp.size()) != REDIS_OK) {
    fail(std::string("redis: append: ") + ctx_->errstr);
  }
}

RedisReply RedisServer::round_trip() {
  void* raw = nullptr;
  if (redisGetReply(ctx_, &raw) != REDIS_OK) [[unlikely]] {
    return check_reply(nullptr, false, "round trip");
  }
  return RedisReply(static_cast<redisReply*>(raw));
}

void RedisServer::set(std::string_view key, std::string_view value) {
  RedisReply r = command({"SET", key, value});
  if (r->type != REDIS_REPLY_STATUS) throw RedisServerError("redis: SET: unexpected reply");
}

std::optional<std::string> RedisServer::get(std::string_view key) {
  RedisReply r = command({"GET", key});
  if (r->type == REDIS_REPLY_NIL) return std::nullopt;
  if (r->type != REDIS_REPLY_STRING) throw RedisServerError("redis: GET: unexpected reply");
  return std::string(r->str, r->len);
}

bool RedisServer::del(std::string_view key) {
  RedisReply r = command({"DEL", key});
  if (r->type != REDIS_REPLY_INTEGER) throw RedisServerError("redis: DEL: unexpected reply");
  return r->integer > 0;
}

void RedisServer::flushall() {
  command({"FLUSHALL"});  // SYNC by default in 7.0 (lazyfree-lazy-user-flush no)
  last_ht0_ = 0;
}

std::uint64_t RedisServer::dbsize() {
  RedisReply r = command({"DBSIZE"});
  if (r->type != REDIS_REPLY_INTEGER) throw RedisServerError("redis: DBSIZE: unexpected reply");
  return static_cast<std::uint64_t>(r->integer);
}

void RedisServer::config_set(std::string_view name, std::string_view value) { command({"CONFIG", "SET", name, value}); }

std::string RedisServer::config_get(std::string_view name) {
  RedisReply r = command({"CONFIG", "GET", name});
  if (r->type != REDIS_REPLY_ARRAY || r->elements != 2) throw RedisServerError("redis: CONFIG GET: no such option");
  return reply_string(r->element[1]);
}

HtStats RedisServer::htstats(int db) {
  const std::string id = std::to_string(db);
  RedisReply r = command({"DEBUG", "HTSTATS", id});
  if (r->type != REDIS_REPLY_STRING) throw RedisServerError("redis: DEBUG HTSTATS: unexpected reply");
  return parse_htstats(std::string_view(r->str, r->len));
}

RedisMemoryInfo RedisServer::info_memory() {
  RedisReply r = command({"INFO", "memory"});
  if (r->type != REDIS_REPLY_STRING) throw RedisServerError("redis: INFO memory: unexpected reply");
  return parse_info_memory(std::string_view(r->str, r->len));
}

RedisTableState RedisServer::table_state() {
  RedisReply r = command({"MEMORY", "STATS"});
  if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0) throw RedisServerError("redis: MEMORY STATS: unexpected reply");
  RedisTableState st;
  std::optional<std::int64_t> main_overhead;
  std::int64_t rss_overhead = 0;
  auto as_int = [](const redisReply* v) -> std::int64_t {
    if (v->type == REDIS_REPLY_INTEGER) return v->integer;
    return 0;  // doubles (ratios) come as bulk strings in RESP2; we read none of them
  };
  for (std::size_t i = 0; i < r->elements; i += 2) {
    const std::string k = reply_string(r->element[i]);
    const redisReply* v = r->element[i + 1];
    if (k == "db.0" && v->type == REDIS_REPLY_ARRAY) {
      for (std::size_t j = 0; j + 1 < v->elements; j += 2) {
        if (reply_string(v->element[j]) == "overhead.hashtable.main") main_overhead = as_int(v->element[j + 1]);
      }
    } else if (k == "keys.count") {
      st.keys = static_cast<std::uint64_t>(as_int(v));
    } else if (k == "total.allocated") {
      st.used_memory = static_cast<std::uint64_t>(as_int(v));
    } else if (k == "peak.allocated") {
      st.peak_memory = static_cast<std::uint64_t>(as_int(v));
    } else if (k == "allocator.allocated") {
      st.allocator_allocated = static_cast<std::uint64_t>(as_int(v));
    } else if (k == "allocator.active") {
      st.allocator_active = static_cast<std::uint64_t>(as_int(v));
    } else if (k == "allocator.resident") {
      st.allocator_resident = static_cast<std::uint64_t>(as_int(v));
    } else if (k == "rss-overhead.bytes") {
      rss_overhead = as_int(v);
    }
  }
  st.rss = static_cast<std::uint64_t>(static_cast<std::int64_t>(st.allocator_resident) + rss_overhead);
  if (!main_overhead) {
    // db 0 holds no key: MEMORY STATS omits it (its table may still exist).
    if (st.keys != 0) throw RedisServerError("redis: MEMORY STATS: keys but no db.0 (another database in use?)");
    return st;
  }
  // overhead.hashtable.main = keys*(sizeof(dictEntry)+sizeof(robj)) + dictSlots*sizeof(dictEntry*).
  const std::int64_t table_bytes = *main_overhead - static_cast<std::int64_t>(st.keys * entry_bytes_);
  if (table_bytes <= 0 || table_bytes % 8 != 0) {
    throw RedisServerError("redis: MEMORY STATS: overhead.hashtable.main " + std::to_string(*main_overhead) +
                           " does not decode to a slot count for " + std::to_string(st.keys) + " keys");
  }
  st.slots = static_cast<std::uint64_t>(table_bytes / 8);
  const int bits = std::popcount(st.slots);
  if (bits == 1) {
    st.ht0_buckets = st.slots;
  } else if (bits == 2) {
    // Two distinct powers of two: rehashing. Which is ht[0]: the table seen last
    // if it is one of them; else a grow starts with keys > the smaller size and a
    // shrink with keys <= it (dictResize targets >= used).
    const std::uint64_t small = std::uint64_t{1} << std::countr_zero(st.slots);
    const std::uint64_t big = st.slots - small;
    st.rehashing = true;
    if (last_ht0_ == small || last_ht0_ == big) st.ht0_buckets = last_ht0_;
    else st.ht0_buckets = st.keys > small ? small : big;
    st.ht1_buckets = st.slots - st.ht0_buckets;
  } else {
    throw RedisServerError("redis: MEMORY STATS: " + std::to_string(st.slots) + " slots is not one or two tables");
  }
  last_ht0_ = st.ht0_buckets;
  return st;
}

std::vector<SlowlogEntry> RedisServer::slowlog_drain(bool data_only) {
  std::vector<SlowlogEntry> out;
  {
    RedisReply r = command({"SLOWLOG", "GET", "-1"});
    if (r->type != REDIS_REPLY_ARRAY) throw RedisServerError("redis: SLOWLOG GET: unexpected reply");
    out.reserve(r->elements);
    for (std::size_t i = r->elements; i-- > 0;) {  // newest first on the wire
      const redisReply* e = r->element[i];
      if (e->type != REDIS_REPLY_ARRAY || e->elements < 4 || e->element[0]->type != REDIS_REPLY_INTEGER ||
          e->element[2]->type != REDIS_REPLY_INTEGER || e->element[3]->type != REDIS_REPLY_ARRAY) {
        throw RedisServerError("redis: SLOWLOG GET: malformed entry");
      }
      const redisReply* argv = e->element[3];
      SlowlogEntry s;
      s.id = static_cast<std::uint64_t>(e->element[0]->integer);
      s.duration_us = static_cast<std::uint64_t>(e->element[2]->integer);
      if (argv->elements > 0) s.command = lower(reply_string(argv->element[0]));
      if (argv->elements > 1) s.key = reply_string(argv->element[1]);
      if (data_only && s.command != "set" && s.command != "get" && s.command != "del") continue;
      out.push_back(std::move(s));
    }
  }
  command({"SLOWLOG", "RESET"});
  return out;
}

}  // namespace rehashlab
