#include "peers/go_runtime_peer.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <utility>

namespace rehashlab::peers {
namespace {

constexpr char kOpsMagic[] = "RHLGOPS1";
constexpr char kResultsMagic[] = "RHLGORS2";
constexpr char kDumpMagic[] = "RHLGODS1";
constexpr char kLockstepMagic[] = "RHLGOLS1";
constexpr std::size_t kOpRecord = 17;
constexpr std::size_t kStateRecord = 40;
constexpr const char* kRunfilesPath = "rehashlab/peers/go_runtime/go_runtime";

std::string errno_text(const std::string& what) { return what + ": " + std::strerror(errno); }

// An owned file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// Three anonymous files (ops, results, child output): created in a private mkdtemp
// directory, then unlinked together with the directory at once, so only the open
// descriptors keep them alive. Nothing remains on disk after any exit.
struct TempFiles {
  Fd ops, out, log;

  TempFiles() {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ = std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/rehashlab-go-peer.XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw GoPeerError(errno_text("mkdtemp " + templ));
    const std::string dir = templ;
    std::string failure;
    Fd* files[] = {&ops, &out, &log};
    const char* names[] = {"/ops", "/results", "/output"};
    for (int i = 0; i < 3 && failure.empty(); ++i) {
      const std::string path = dir + names[i];
      const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
      if (fd < 0) failure = errno_text("create " + path);
      else *files[i] = Fd(fd);
      ::unlink(path.c_str());
    }
    ::rmdir(dir.c_str());
    if (!failure.empty()) throw GoPeerError(failure);
  }
};

void write_all(int fd, const void* data, std::size_t n, const char* what) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      throw GoPeerError(errno_text(std::string("write ") + what));
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

std::uint64_t file_size(int fd) {
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw GoPeerError(errno_text("fstat"));
  return static_cast<std::uint64_t>(st.st_size);
}

std::string read_text(int fd) {
  std::string s(std::min<std::uint64_t>(file_size(fd), 1 << 20), '\0');
  const ssize_t r = ::pread(fd, s.data(), s.size(), 0);
  s.resize(r > 0 ? static_cast<std::size_t>(r) : 0);
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

void put64(char* p, std::uint64_t x) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>(x >> (8 * i));
}

void encode_op(const GenOp& o, std::uint64_t index, char* rec);

// Writes the ops file (protocol: peers/go_runtime/main.go).
void write_ops(int fd, std::uint64_t load_ops, std::uint64_t total, const GoOpSource& op) {
  if (load_ops > total) throw GoPeerError("load ops exceed total ops");
  char header[32] = {};
  std::memcpy(header, kOpsMagic, 8);
  put64(header + 8, total);
  put64(header + 16, load_ops);
  write_all(fd, header, sizeof header, "ops file");
  std::vector<char> buf;
  buf.reserve(kOpRecord * 65536);
  for (std::uint64_t i = 0; i < total; ++i) {
    char rec[kOpRecord];
    encode_op(op(i), i, rec);
    buf.insert(buf.end(), rec, rec + kOpRecord);
    if (buf.size() >= kOpRecord * 65536) {
      write_all(fd, buf.data(), buf.size(), "ops file");
      buf.clear();
    }
  }
  write_all(fd, buf.data(), buf.size(), "ops file");
}

// Starts `path args...` with the given descriptors as its 0..4 (-1: /dev/null for
// 0, closed for 3 and 4); the child dies with this process (PR_SET_PDEATHSIG).
pid_t spawn_child(const std::string& path, const std::vector<std::string>& args, const int (&fds)[5]) {
  std::vector<std::string> argv_s = {path};
  argv_s.insert(argv_s.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_s) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) throw GoPeerError(errno_text("fork"));
  if (pid == 0) {
    // Only async-signal-safe calls from here on.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // the peer dies with the process that runs it
    if (::getppid() != parent) ::_exit(126);
    int moved[5];
    // Move every descriptor above 4 first, so the dup2s below cannot clobber one another.
    for (int i = 0; i < 5; ++i) {
      const int src = fds[i] >= 0 ? fds[i] : (i == 0 ? ::open("/dev/null", O_RDONLY | O_CLOEXEC) : -1);
      moved[i] = src >= 0 ? ::fcntl(src, F_DUPFD_CLOEXEC, 10) : -1;
      if (src >= 0 && moved[i] < 0) ::_exit(126);
    }
    for (int i = 0; i < 5; ++i) {
      if (moved[i] >= 0 && ::dup2(moved[i], i) < 0) ::_exit(126);
    }
    ::execv(path.c_str(), argv.data());
    const char msg[] = "exec of the go_runtime peer failed\n";
    (void)!::write(2, msg, sizeof msg - 1);
    ::_exit(127);
  }
  return pid;
}

// Waits for the child; returns its exit status (128 + signal if killed).
int wait_child(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw GoPeerError(errno_text("waitpid"));
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

// Runs `path args...` with fd 3 = ops, fd 4 = results (-1: none), stdout and
// stderr into `log`; returns the exit status.
int run_child(const std::string& path, const std::vector<std::string>& args, int ops_fd, int out_fd, int log_fd) {
  const int fds[5] = {-1, log_fd, log_fd, ops_fd, out_fd};
  return wait_child(spawn_child(path, args, fds));
}

// Decodes one 40-byte state record (protocol: peers/go_runtime/main.go).
GoState decode_state(const unsigned char* p) {
  GoState s;
  std::memcpy(&s.hash, p, 8);
  std::memcpy(&s.count, p + 8, 8);
  std::memcpy(&s.nevacuate, p + 16, 8);
  std::memcpy(&s.r, p + 24, 8);
  std::memcpy(&s.hash0, p + 32, 4);
  std::memcpy(&s.noverflow, p + 36, 2);
  s.b = p[38];
  s.growing = (p[39] & 1) != 0;
  s.same_size = (p[39] & 2) != 0;
  s.grows_started = (p[39] >> 2) & 3;
  s.migrations_ended = (p[39] >> 4) & 3;
  return s;
}

void encode_op(const GenOp& o, std::uint64_t index, char* rec) {
  switch (o.kind) {
    case OpKind::kInsert: rec[0] = 'I'; break;
    case OpKind::kFind: rec[0] = 'F'; break;
    case OpKind::kErase: rec[0] = 'E'; break;
    default: throw GoPeerError("op " + std::to_string(index) + " has an unknown kind");
  }
  put64(rec + 1, o.key);
  put64(rec + 9, o.kind == OpKind::kInsert ? o.value : 0);
}

// Sequential reader over a results/dump file, every read bounds-checked.
class FileReader {
 public:
  FileReader(int fd, std::string what) : fd_(fd), size_(file_size(fd)), what_(std::move(what)) {}

  void read(void* dst, std::uint64_t n) {
    if (n > size_ - off_) fail("truncated");
    auto* p = static_cast<char*>(dst);
    while (n > 0) {
      const ssize_t r = ::pread(fd_, p, std::min<std::uint64_t>(n, std::uint64_t{1} << 30), static_cast<off_t>(off_));
      if (r < 0 && errno == EINTR) continue;
      if (r <= 0) fail(r < 0 ? std::strerror(errno) : "unexpected end");
      p += r;
      off_ += static_cast<std::uint64_t>(r);
      n -= static_cast<std::uint64_t>(r);
    }
  }
  std::uint64_t u64() { return get<std::uint64_t>(); }
  std::uint32_t u32() { return get<std::uint32_t>(); }
  double f64() { return get<double>(); }
  std::string bytes(std::uint64_t n) {
    if (n > size_ - off_) fail("truncated");
    std::string s(n, '\0');
    read(s.data(), n);
    return s;
  }
  void expect_magic(const char* magic) {
    if (bytes(8) != magic) fail(std::string("bad magic (want ") + magic + ")");
  }
  // Checks that `count` records of `size` bytes fit in the rest of the file.
  void expect_room(std::uint64_t count, std::uint64_t size) {
    if (count > (size_ - off_) / size) fail("record count " + std::to_string(count) + " exceeds the file");
  }
  void expect_end() {
    if (off_ != size_) fail(std::to_string(size_ - off_) + " unexpected trailing bytes");
  }
  [[noreturn]] void fail(const std::string& why) const {
    throw GoPeerError(what_ + ": " + why + " at byte " + std::to_string(off_) + " of " + std::to_string(size_));
  }

 private:
  template <class T>
  T get() {
    T x;  // little-endian host (x86-64, aarch64): the file's byte order
    read(&x, sizeof x);
    return x;
  }
  int fd_;
  std::uint64_t off_ = 0;
  std::uint64_t size_;
  std::string what_;
};

GoMapInfo read_map_info(FileReader& in, std::string* version) {
  GoMapInfo m;
  m.gomaxprocs = in.u32();
  m.key_slot_bytes = in.u32();
  m.elem_slot_bytes = in.u32();
  m.bucket_bytes = in.u32();
  const std::uint32_t flags = in.u32();
  m.indirect_key = (flags & 1) != 0;
  m.indirect_elem = (flags & 2) != 0;
  const std::uint32_t len = in.u32();
  if (len > 256) in.fail("version string too long");
  *version = in.bytes(len);
  return m;
}

std::string hex64(std::uint64_t x) {
  char buf[19];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, x);
  return buf;
}

GoRunResult parse_results(int fd, std::uint64_t want_load, std::uint64_t want_ops) {
  FileReader in(fd, "go_runtime results file");
  in.expect_magic(kResultsMagic);
  GoRunResult r;
  r.load_ops = in.u64();
  r.ops = in.u64();
  if (r.load_ops != want_load || r.ops != want_ops) in.fail("op counts differ from the ops file");
  r.checksum_value = in.u64();
  r.checksum = hex64(r.checksum_value);
  const std::uint64_t flags = in.u64();
  r.gc = (flags & 1) != 0;
  r.open_loop = (flags & 2) != 0;
  r.gc_percent = static_cast<int>(static_cast<std::int64_t>(in.u64()));
  r.rate = in.f64();
  r.window = in.u64();
  r.elapsed_ns = in.u64();
  r.load_ns = in.u64();
  r.clock_overhead_median_ns = in.f64();
  r.clock_overhead_min_ns = in.f64();
  r.metrics_read_median_ns = in.f64();
  r.sampling_ns = in.u64();
  r.heap_baseline_bytes = in.u64();
  r.gc_cycles_load = in.u64();
  r.gc_cycles_measured = in.u64();
  r.map = read_map_info(in, &r.go_version);

  const std::uint64_t n_events = in.u64();
  in.expect_room(n_events, 24);
  r.events.reserve(n_events);
  for (std::uint64_t i = 0; i < n_events; ++i) {
    GoEvent e{};
    e.op = in.u64();
    std::uint8_t b[8];
    in.read(b, 8);
    if (b[0] != 1 && b[0] != 2) in.fail("event kind " + std::to_string(b[0]));
    e.kind = static_cast<GoEventKind>(b[0]);
    e.same_size = b[1] != 0;
    e.b = b[2];
    e.old_b = b[3];
    e.count = in.u64();
    r.events.push_back(e);
  }
  const std::uint64_t n_samples = in.u64();
  in.expect_room(n_samples, 56);
  r.memory.reserve(n_samples);
  for (std::uint64_t i = 0; i < n_samples; ++i) {
    GoMemorySample s{};
    s.ops_done = in.u64();
    s.count = in.u64();
    s.map_bytes = in.u64();
    s.heap_objects_bytes = in.u64();
    s.heap_bytes = static_cast<std::int64_t>(s.heap_objects_bytes - r.heap_baseline_bytes);
    s.gc_cycles = in.u64();
    std::uint8_t b[8];
    in.read(b, 8);
    s.b = b[0];
    s.growing = b[1] != 0;
    s.old_b = b[2];
    const std::uint64_t steal_us = in.u64();
    if (steal_us != ~std::uint64_t{0}) s.steal_ms = static_cast<double>(steal_us) / 1000.0;
    r.memory.push_back(s);
  }
  const std::uint64_t n = in.u64();
  if (n != r.ops) in.fail("per-op arrays hold " + std::to_string(n) + " ops, not " + std::to_string(r.ops));
  in.expect_room(n, 12);
  r.start_ns.resize(n);
  r.dur_ns.resize(n);
  in.read(r.start_ns.data(), n * 8);
  in.read(r.dur_ns.data(), n * 4);
  r.noise_every = in.u64();
  const std::uint64_t n_noise = in.u64();
  in.expect_room(n_noise, 4);
  r.noise_ns.resize(n_noise);
  in.read(r.noise_ns.data(), n_noise * 4);
  r.uninstrumented_ns = in.u64();
  in.expect_end();
  return r;
}

[[noreturn]] void child_failed(int status, int log_fd) {
  std::string text = read_text(log_fd);
  throw GoPeerError("go_runtime peer exited with status " + std::to_string(status) +
                    (text.empty() ? std::string(" and no output") : ": " + text));
}

}  // namespace

std::string locate_go_runtime() {
  std::vector<std::string> tried;
  auto executable = [](const std::string& p) { return ::access(p.c_str(), X_OK) == 0; };
  if (const char* env = std::getenv(kGoPeerEnv); env != nullptr && *env != '\0') {
    if (executable(env)) return env;
    throw GoPeerError(std::string("$") + kGoPeerEnv + "=" + env + " is not an executable file");
  }
  for (const char* var : {"RUNFILES_DIR", "TEST_SRCDIR"}) {
    if (const char* dir = std::getenv(var); dir != nullptr && *dir != '\0') {
      const std::string p = std::string(dir) + "/" + kRunfilesPath;
      if (executable(p)) return p;
      tried.push_back(p + " ($" + var + ")");
    }
  }
  char buf[4096];
  const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  if (n > 0) {
    const std::string p = std::string(buf, static_cast<std::size_t>(n)) + ".runfiles/" + kRunfilesPath;
    if (executable(p)) return p;
    tried.push_back(p);
  }
  std::string msg = "cannot find the go_runtime peer binary (build //peers/go_runtime: it needs Debian's Go 1.19, "
                    "apt-get install golang-go; or set $" + std::string(kGoPeerEnv) + "); tried:";
  for (const auto& t : tried) msg += " " + t;
  throw GoPeerError(msg);
}

int run_go_runtime_binary(const std::vector<std::string>& args, std::string* output) {
  const std::string path = locate_go_runtime();
  TempFiles files;
  const int status = run_child(path, args, -1, -1, files.log.get());
  if (output != nullptr) *output = read_text(files.log.get());
  return status;
}

GoRunResult run_go_runtime(const GoRunConfig& cfg, std::uint64_t load_ops, std::uint64_t total, const GoOpSource& op) {
  if (cfg.rate < 0) throw GoPeerError("rate must be >= 0");
  const std::string path = locate_go_runtime();
  TempFiles files;
  write_ops(files.ops.get(), load_ops, total, op);
  char rate[64];
  std::snprintf(rate, sizeof rate, "%.17g", cfg.rate);
  const std::vector<std::string> args = {"run",
                                         "--ops=/dev/fd/3",
                                         "--out=/dev/fd/4",
                                         "--key=" + cfg.key,
                                         "--value-bytes=" + std::to_string(cfg.value_bytes),
                                         std::string("--gc=") + (cfg.gc ? "on" : "off"),
                                         std::string("--rate=") + rate,
                                         "--window=" + std::to_string(cfg.window),
                                         "--noise-every=" + std::to_string(cfg.noise_every),
                                         std::string("--uninstrumented=") + (cfg.uninstrumented ? "true" : "false")};
  const int status = run_child(path, args, files.ops.get(), files.out.get(), files.log.get());
  if (status != 0) child_failed(status, files.log.get());
  return parse_results(files.out.get(), load_ops, total - load_ops);
}

GoRunResult run_go_runtime(const GoRunConfig& cfg, std::uint64_t load_ops, std::span<const GenOp> ops) {
  return run_go_runtime(cfg, load_ops, ops.size(), [&](std::uint64_t i) { return ops[i]; });
}

GoStateDump dump_go_runtime_state(const std::string& key, int value_bytes, std::span<const GenOp> ops) {
  const std::string path = locate_go_runtime();
  TempFiles files;
  write_ops(files.ops.get(), 0, ops.size(), [&](std::uint64_t i) { return ops[i]; });
  const std::vector<std::string> args = {"dump-state", "--ops=/dev/fd/3", "--out=/dev/fd/4", "--key=" + key,
                                         "--value-bytes=" + std::to_string(value_bytes)};
  const int status = run_child(path, args, files.ops.get(), files.out.get(), files.log.get());
  if (status != 0) child_failed(status, files.log.get());

  FileReader in(files.out.get(), "go_runtime state dump");
  in.expect_magic(kDumpMagic);
  GoStateDump d;
  const std::uint64_t n = in.u64();
  if (n != ops.size()) in.fail("dump has " + std::to_string(n) + " ops, not " + std::to_string(ops.size()));
  d.map = read_map_info(in, &d.go_version);
  in.expect_room(n, kStateRecord);
  std::vector<unsigned char> raw(n * kStateRecord);
  in.read(raw.data(), raw.size());
  in.expect_end();
  d.states.reserve(n);
  for (std::uint64_t i = 0; i < n; ++i) d.states.push_back(decode_state(raw.data() + i * kStateRecord));
  return d;
}

struct GoLockstep::Child {
  pid_t pid = -1;
  Fd sock;          // our end of the socket pair that is the child's stdin and stdout
  TempFiles files;  // files.log: the child's stderr
};

namespace {
void read_exact(int fd, void* dst, std::size_t n, const char* what) {
  auto* p = static_cast<char*>(dst);
  while (n > 0) {
    const ssize_t r = ::read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      throw GoPeerError(std::string("lockstep: ") + what + (r == 0 ? ": the peer closed its output" : ": read failed"));
    }
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

// send() rather than write(): a peer that died must not raise SIGPIPE here.
void send_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
    if (w < 0 && errno == EINTR) continue;
    if (w < 0) throw GoPeerError(errno_text("lockstep: send"));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}
}  // namespace

GoLockstep::GoLockstep(const std::string& key, int value_bytes) : child_(std::make_unique<Child>()) {
  const std::string path = locate_go_runtime();
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) throw GoPeerError(errno_text("socketpair"));
  Fd ours(sv[0]), theirs(sv[1]);
  const int fds[5] = {theirs.get(), theirs.get(), child_->files.log.get(), -1, -1};
  child_->pid = spawn_child(path, {"lockstep", "--key=" + key, "--value-bytes=" + std::to_string(value_bytes)}, fds);
  child_->sock = std::move(ours);
  try {
    const int fd = child_->sock.get();
    char magic[8];
    read_exact(fd, magic, 8, "header");
    if (std::memcmp(magic, kLockstepMagic, 8) != 0) throw GoPeerError("lockstep: bad magic");
    std::uint32_t words[6];
    read_exact(fd, words, sizeof words, "header");
    map_.gomaxprocs = words[0];
    map_.key_slot_bytes = words[1];
    map_.elem_slot_bytes = words[2];
    map_.bucket_bytes = words[3];
    map_.indirect_key = (words[4] & 1) != 0;
    map_.indirect_elem = (words[4] & 2) != 0;
    if (words[5] > 256) throw GoPeerError("lockstep: version string too long");
    go_version_.resize(words[5]);
    read_exact(fd, go_version_.data(), words[5], "header");
  } catch (const GoPeerError&) {
    fail();
  }
}

GoLockstep::~GoLockstep() {
  if (child_->pid > 0) {
    child_->sock.reset();  // EOF on its stdin: the peer exits
    (void)wait_child(child_->pid);
  }
}

GoState GoLockstep::apply(const GenOp& op) {
  char rec[kOpRecord];
  encode_op(op, ops_, rec);
  unsigned char state[kStateRecord];
  try {
    send_all(child_->sock.get(), rec, sizeof rec);
    read_exact(child_->sock.get(), state, sizeof state, "state");
  } catch (const GoPeerError&) {
    fail();
  }
  ++ops_;
  return decode_state(state);
}

void GoLockstep::fail() {
  child_->sock.reset();
  const int status = wait_child(child_->pid);
  child_->pid = -1;
  child_failed(status, child_->files.log.get());
}

}  // namespace rehashlab::peers
