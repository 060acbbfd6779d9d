// The redis_server peer's lifecycle and commands, against a real redis-server:
//  * it starts on its own socket in a private directory and, after destruction,
//    an exception, a failed start, the signal-handler path or the harness's SIGKILL
//    (PDEATHSIG), the process is gone and (except after SIGKILL) the directory too;
//  * another redis-server running next to it is never touched;
//  * a missing binary names the install command;
//  * commands are binary-safe; HTSTATS / INFO / MEMORY STATS / SLOWLOG are parsed;
//  * the shared example traces give the expected checksums through the server,
//    for every key/value type encoding the harness uses.
// A missing redis-server fails these tests (with the install command); nothing skips.
#include "peers/redis_server.h"

#include <gtest/gtest.h>
#include <hiredis/hiredis.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include "peers/redis_server_map.h"
#include "workloads/apply.h"
#include "workloads/trace.h"

namespace rehashlab {
namespace {

namespace fs = std::filesystem;

bool process_gone(pid_t pid) {
  // Not ours any more (reaped) and no such process, or a zombie of someone else.
  if (::kill(pid, 0) != 0) return errno == ESRCH;
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string s;
  std::getline(stat, s);
  const std::size_t rp = s.rfind(')');
  return rp != std::string::npos && rp + 2 < s.size() && s[rp + 2] == 'Z';
}

// A private, short TMPDIR for the servers of one test, so "nothing left behind" can
// be checked exactly even with other test binaries running.
class PrivateTmp {
 public:
  PrivateTmp() {
    std::string t = "/tmp/rl-test-XXXXXX";
    if (::mkdtemp(t.data()) == nullptr) throw std::runtime_error("mkdtemp");
    path_ = t;
    const char* old = std::getenv("TMPDIR");
    had_old_ = old != nullptr;
    if (had_old_) old_ = old;
    ::setenv("TMPDIR", path_.c_str(), 1);
  }
  ~PrivateTmp() {
    if (had_old_) ::setenv("TMPDIR", old_.c_str(), 1);
    else ::unsetenv("TMPDIR");
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }
  std::size_t entries() const {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(path_)) ++n;
    return n;
  }

 private:
  std::string path_, old_;
  bool had_old_ = false;
};

RedisServerOptions quiet() {
  RedisServerOptions o;
  o.active_rehashing = false;
  return o;
}

TEST(RedisServerLifecycle, StartsOnItsOwnSocketAndIsGoneAfterDestruction) {
  PrivateTmp tmp;
  pid_t pid;
  std::string dir, sock;
  {
    RedisServer s(quiet());
    pid = s.pid();
    dir = s.dir();
    sock = s.socket_path();
    ASSERT_GT(pid, 0);
    EXPECT_EQ(live_redis_server_count(), 1);
    EXPECT_EQ(dir.rfind(tmp.path() + "/rehashlab-redis-", 0), 0u) << dir;
    EXPECT_EQ(sock, dir + "/redis.sock");
    struct stat st {};
    ASSERT_EQ(::stat(dir.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0700u);
    ASSERT_EQ(::stat(sock.c_str(), &st), 0);
    EXPECT_TRUE(S_ISSOCK(st.st_mode));
    EXPECT_EQ(st.st_mode & 0777, 0700u);  // --unixsocketperm 700
    EXPECT_EQ(s.version().rfind("7.0.", 0), 0u) << s.version();
    // It is the server we configured: no TCP port, no persistence, our socket.
    EXPECT_EQ(s.config_get("port"), "0");
    EXPECT_EQ(s.config_get("unixsocket"), sock);
    EXPECT_EQ(s.config_get("save"), "");
    EXPECT_EQ(s.config_get("appendonly"), "no");
    EXPECT_EQ(s.config_get("slowlog-log-slower-than"), "0");
    EXPECT_EQ(s.config_get("activerehashing"), "no");
    RedisReply info = s.command({"INFO", "server"});
    EXPECT_NE(std::string(info->str, info->len).find("process_id:" + std::to_string(pid)), std::string::npos);
  }
  EXPECT_TRUE(process_gone(pid));
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_EQ(tmp.entries(), 0u);
  EXPECT_EQ(live_redis_server_count(), 0);
}

TEST(RedisServerLifecycle, StopIsIdempotentAndCommandsThenFail) {
  PrivateTmp tmp;
  RedisServer s(quiet());
  const pid_t pid = s.pid();
  s.stop();
  EXPECT_FALSE(s.running());
  EXPECT_TRUE(process_gone(pid));
  s.stop();
  EXPECT_THROW(s.dbsize(), RedisServerError);
  EXPECT_EQ(tmp.entries(), 0u);
}

TEST(RedisServerLifecycle, GoneAfterAnException) {
  PrivateTmp tmp;
  pid_t pid = -1;
  try {
    RedisServer s(quiet());
    pid = s.pid();
    s.set("k", "v");
    throw std::runtime_error("harness failure");
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "harness failure");
  }
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(process_gone(pid));
  EXPECT_EQ(tmp.entries(), 0u);
  EXPECT_EQ(live_redis_server_count(), 0);
}

TEST(RedisServerLifecycle, FailedStartCleansUpAndShowsTheLog) {
  PrivateTmp tmp;
  RedisServerOptions o = quiet();
  o.extra_args = {"--no-such-directive", "1"};
  try {
    RedisServer s(o);
    FAIL() << "started with a bad directive";
  } catch (const RedisServerError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("during start-up"), std::string::npos) << msg;
    EXPECT_NE(msg.find("no-such-directive"), std::string::npos) << msg;  // the server's own complaint
  }
  EXPECT_EQ(tmp.entries(), 0u);
  EXPECT_EQ(live_redis_server_count(), 0);
}

TEST(RedisServerLifecycle, StartTimeoutKillsTheChild) {
  PrivateTmp tmp;
  // A "server" that never opens its socket; it records its pid first.
  const std::string fake = tmp.path() + "/fake-redis";
  const std::string pidfile = "/tmp/rl-fake-" + std::to_string(::getpid()) + ".pid";
  {
    std::ofstream f(fake);
    f << "#!/bin/sh\necho $$ > " << pidfile << "\nexec sleep 60\n";
  }
  ::chmod(fake.c_str(), 0700);
  RedisServerOptions o = quiet();
  o.binary = fake;
  o.start_timeout_seconds = 0.5;
  try {
    RedisServer s(o);
    FAIL() << "a silent binary counted as started";
  } catch (const RedisServerError& e) {
    EXPECT_NE(std::string(e.what()).find("did not answer PING"), std::string::npos) << e.what();
  }
  fs::remove(fake);
  std::ifstream in(pidfile);
  pid_t pid = 0;
  in >> pid;
  fs::remove(pidfile);
  ASSERT_GT(pid, 0);
  EXPECT_TRUE(process_gone(pid));
  EXPECT_EQ(tmp.entries(), 0u);
  EXPECT_EQ(live_redis_server_count(), 0);
}

TEST(RedisServerLifecycle, MissingBinaryNamesTheInstallCommand) {
  RedisServerOptions o;
  o.binary = "/nonexistent/redis-server";
  try {
    RedisServer s(o);
    FAIL();
  } catch (const RedisServerError& e) {
    EXPECT_NE(std::string(e.what()).find("apt-get install -y redis-server"), std::string::npos) << e.what();
  }
  try {
    find_redis_server("", "/nonexistent-a:/nonexistent-b", "/nonexistent/fallback");
    FAIL();
  } catch (const RedisServerError& e) {
    EXPECT_NE(std::string(e.what()).find("apt-get install -y redis-server"), std::string::npos) << e.what();
  }
  EXPECT_EQ(find_redis_server("", "/nonexistent-a:/usr/bin", "/nonexistent/fallback"), "/usr/bin/redis-server");
  EXPECT_EQ(find_redis_server("", nullptr, "/usr/bin/redis-server"), "/usr/bin/redis-server");
  // The server this machine has must be usable at all (setup.sh installs it).
  EXPECT_NO_THROW(find_redis_server("", std::getenv("PATH"))) << kRedisInstallHint;
}

// Child process: starts a server, reports "pid dir" on `fd`, then waits for a signal.
[[noreturn]] void child_with_server(int fd, bool install_handlers) {
  try {
    if (install_handlers) install_redis_cleanup_signal_handlers();
    RedisServer s(quiet());
    s.set("k", "v");
    const std::string msg = std::to_string(s.pid()) + " " + s.dir() + "\n";
    if (::write(fd, msg.data(), msg.size()) < 0) ::_exit(3);
    ::close(fd);
    while (true) ::pause();
  } catch (...) {
    ::_exit(2);
  }
}

std::pair<pid_t, std::string> read_report(int fd) {
  std::string text;
  char buf[512];
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0) {
    text.append(buf, static_cast<std::size_t>(n));
    if (text.find('\n') != std::string::npos) break;
  }
  const std::size_t sp = text.find(' ');
  if (sp == std::string::npos) return {-1, ""};
  return {static_cast<pid_t>(std::stol(text.substr(0, sp))), text.substr(sp + 1, text.find('\n') - sp - 1)};
}

void signal_path(int sig) {
  PrivateTmp tmp;
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(p[0]);
    child_with_server(p[1], true);
  }
  ::close(p[1]);
  const auto [server_pid, dir] = read_report(p[0]);
  ::close(p[0]);
  ASSERT_GT(server_pid, 0) << "the child could not start a server";
  EXPECT_TRUE(fs::exists(dir + "/redis.sock"));
  ::kill(child, sig);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  // The handler cleaned up, then the signal's default action ended the process.
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == sig) << "status " << status;
  EXPECT_TRUE(process_gone(server_pid));
  EXPECT_FALSE(fs::exists(dir)) << dir;
  EXPECT_EQ(tmp.entries(), 0u);
}

TEST(RedisServerLifecycle, SignalHandlerPathSigterm) { signal_path(SIGTERM); }
TEST(RedisServerLifecycle, SignalHandlerPathSigint) { signal_path(SIGINT); }

TEST(RedisServerLifecycle, HarnessSigkillTakesTheServerWithIt) {
  PrivateTmp tmp;
  // Orphans re-parent to this test process, so it can see how the server ended.
  ASSERT_EQ(::prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int p[2];
  ASSERT_EQ(::pipe(p), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(p[0]);
    child_with_server(p[1], false);
  }
  ::close(p[1]);
  const auto [server_pid, dir] = read_report(p[0]);
  ::close(p[0]);
  ASSERT_GT(server_pid, 0);
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  // PR_SET_PDEATHSIG: the kernel SIGKILLs the server when its parent dies.
  const auto t0 = std::chrono::steady_clock::now();
  pid_t got = 0;
  while ((got = ::waitpid(server_pid, &status, WNOHANG)) == 0 &&
         std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  if (got != server_pid) {  // do not leak it: this test process is its parent now
    ::kill(server_pid, SIGKILL);
    ::waitpid(server_pid, nullptr, 0);
    fs::remove_all(dir);
    ::prctl(PR_SET_CHILD_SUBREAPER, 0);
    FAIL() << "the server outlived its harness";
  }
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
  // Documented: after SIGKILL of the harness its directory (socket, log) stays.
  EXPECT_TRUE(fs::exists(dir));
  fs::remove_all(dir);
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
}

TEST(RedisServerLifecycle, NeverTouchesAnotherServer) {
  PrivateTmp tmp;
  // A "foreign" redis-server started by hand, with a key of its own.
  const std::string fdir = tmp.path() + "/foreign";
  fs::create_directory(fdir);
  const std::string fsock = fdir + "/foreign.sock";
  const pid_t foreign = ::fork();
  ASSERT_GE(foreign, 0);
  if (foreign == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::execl("/usr/bin/redis-server", "redis-server", "--port", "0", "--unixsocket", fsock.c_str(), "--save", "",
            "--appendonly", "no", "--dir", fdir.c_str(), "--logfile", (fdir + "/log").c_str(), nullptr);
    ::_exit(127);
  }
  redisContext* c = nullptr;
  for (int i = 0; i < 2000 && c == nullptr; ++i) {
    if (fs::exists(fsock)) {
      c = redisConnectUnix(fsock.c_str());
      if (c != nullptr && c->err != 0) {
        redisFree(c);
        c = nullptr;
      }
    }
    if (c == nullptr) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_NE(c, nullptr) << "the foreign server did not start";
  auto run = [&](const char* fmt, const char* arg = nullptr) {
    auto* r = static_cast<redisReply*>(arg ? redisCommand(c, fmt, arg) : redisCommand(c, fmt));
    EXPECT_NE(r, nullptr);
    std::string s = r ? (r->type == REDIS_REPLY_INTEGER ? std::to_string(r->integer) : std::string(r->str ? r->str : "", r->len)) : "";
    if (r) freeReplyObject(r);
    return s;
  };
  ASSERT_EQ(run("SET %s foreign-value", "foreign-key"), "OK");

  {
    RedisServer ours(quiet());
    EXPECT_NE(ours.socket_path(), fsock);
    ours.set("foreign-key", "ours");
    ours.flushall();
    EXPECT_EQ(ours.dbsize(), 0u);
    RedisServer second(quiet());  // and the signal path kills only what this process started
    kill_live_redis_servers();
    EXPECT_EQ(live_redis_server_count(), 0);
  }
  // Still alive, still holding its key.
  EXPECT_EQ(::waitpid(foreign, nullptr, WNOHANG), 0);
  EXPECT_EQ(run("GET %s", "foreign-key"), "foreign-value");
  EXPECT_EQ(run("DBSIZE"), "1");
  redisFree(c);
  ::kill(foreign, SIGTERM);
  ::waitpid(foreign, nullptr, 0);
}

// ---------------------------------------------------------------------------
TEST(RedisServerCommands, BinarySafeDataCommands) {
  RedisServer s(quiet());
  const std::string key("a\0b\r\n\x01\xff", 7), value("\0\0\r\n$3\r\n", 8);
  EXPECT_FALSE(s.get(key).has_value());
  s.set(key, value);
  EXPECT_EQ(s.get(key), value);
  EXPECT_FALSE(s.get(std::string("a\0c\r\n\x01\xff", 7)).has_value());
  EXPECT_EQ(s.dbsize(), 1u);
  EXPECT_TRUE(s.del(key));
  EXPECT_FALSE(s.del(key));
  s.set("x", "1");
  s.flushall();
  EXPECT_EQ(s.dbsize(), 0u);
  s.config_set("activerehashing", "yes");
  EXPECT_EQ(s.config_get("activerehashing"), "yes");
  EXPECT_THROW(s.config_set("no-such-option", "1"), RedisServerError);
  EXPECT_EQ(s.dbsize(), 0u);  // an error reply leaves the connection usable
}

TEST(RedisServerCommands, StateReadsAgreeWithTheDict) {
  RedisServer s(quiet());
  // Redis 7.0: 4 buckets at the first key; the 5th key starts a rehash to 8 (the
  // SET that starts it does one rehash step).
  for (int i = 0; i < 5; ++i) s.set("k" + std::to_string(i), "v");
  const HtStats h = s.htstats();
  ASSERT_TRUE(h.rehashing());
  EXPECT_EQ(h.ht[0].size, 4u);
  EXPECT_EQ(h.ht[1].size, 8u);
  EXPECT_EQ(h.elements(), 5u);
  const RedisTableState st = s.table_state();
  EXPECT_EQ(st.keys, 5u);
  EXPECT_EQ(st.slots, 12u);
  EXPECT_TRUE(st.rehashing);
  EXPECT_EQ(st.ht0_buckets, 4u);
  EXPECT_EQ(st.ht1_buckets, 8u);
  EXPECT_GT(st.used_memory, 0u);
  EXPECT_GE(st.peak_memory, st.used_memory);
  const RedisMemoryInfo m = s.info_memory();
  EXPECT_GT(m.used_memory, 0u);
  EXPECT_GT(m.used_memory_rss, 0u);
  EXPECT_GT(m.allocator_resident, 0u);
  EXPECT_EQ(m.fields.at("mem_allocator").rfind("jemalloc", 0), 0u);
  s.flushall();
  const RedisTableState empty = s.table_state();
  EXPECT_EQ(empty.keys, 0u);
  EXPECT_EQ(empty.slots, 0u);
}

TEST(RedisServerCommands, SlowlogDrainKeepsDataCommandsInOrder) {
  RedisServer s(quiet());
  s.slowlog_drain(false);
  s.set("a", "1");
  s.dbsize();
  s.get("a");
  s.del("a");
  s.get("missing");
  const std::vector<SlowlogEntry> e = s.slowlog_drain();
  ASSERT_EQ(e.size(), 4u);
  EXPECT_EQ(e[0].command, "set");
  EXPECT_EQ(e[1].command, "get");
  EXPECT_EQ(e[2].command, "del");
  EXPECT_EQ(e[3].command, "get");
  EXPECT_EQ(e[3].key, "missing");
  for (std::size_t i = 1; i < e.size(); ++i) EXPECT_GT(e[i].id, e[i - 1].id);
  // Drained: only the non-data commands issued since (SLOWLOG RESET) remain.
  EXPECT_TRUE(s.slowlog_drain().empty());
}

TEST(HtStatsParser, ParsesBothTablesAndEmptyOnes) {
  const HtStats h = parse_htstats(
      "[Dictionary HT]\nHash table 0 stats (main hash table):\n table size: 4\n number of elements: 3\n"
      " different slots: 3\n max chain length: 1\n avg chain length (counted): 1.00\n Chain length distribution:\n"
      "   0: 1 (25.00%)\n   1: 3 (75.00%)\nHash table 1 stats (rehashing target):\n"
      "No stats available for empty dictionaries\n[Expires HT]\nHash table 0 stats (main hash table):\n"
      " table size: 64\n number of elements: 9\n");
  EXPECT_EQ(h.ht[0].size, 4u);
  EXPECT_EQ(h.ht[0].elements, 3u);
  EXPECT_EQ(h.ht[0].slots, 3u);
  EXPECT_EQ(h.ht[0].max_chain, 1u);
  EXPECT_TRUE(h.rehashing());
  EXPECT_TRUE(h.ht[1].empty);
  EXPECT_EQ(h.ht[1].size, 0u);  // the expires dict's 64 is not the keyspace's
  EXPECT_THROW(parse_htstats("[Expires HT]\nHash table 0 stats:\n"), RedisServerError);
  EXPECT_THROW(parse_htstats("[Dictionary HT]\nHash table 0 stats:\n table size: 6\n"), RedisServerError);
}

// ---------------------------------------------------------------------------
// The shared traces, through the real server, give the expected checksums; the
// same holds for every key/value type's wire encoding (value_word reads the first
// 8 bytes of any value, so r is the same number).
struct Expected {
  std::string checksum;
  std::size_t size = 0, ops = 0;
};
std::map<std::string, Expected> load_expected() {
  std::ifstream in("workloads/testdata/EXPECTED");
  EXPECT_TRUE(in) << "workloads/testdata/EXPECTED";
  std::map<std::string, Expected> out;
  std::string name, sum, size, ops;
  while (in >> name >> sum >> size >> ops) out[name] = {sum, std::stoul(size.substr(5)), std::stoul(ops.substr(4))};
  return out;
}

// The map form: insert_or_assign / find / erase, as the harness's MapOp uses them.
template <class M>
std::uint64_t apply_map_form(M& m, const Op& op) {
  using V = typename M::mapped_type;
  if constexpr (std::is_same_v<V, std::uint64_t> && std::is_same_v<typename M::key_type, std::uint64_t>) {
    return apply_op(m, op);  // workloads/trace.h's own replay step
  } else {
    switch (op.kind) {
      case OpKind::kInsert: return m.insert_or_assign(op.key, op.value) ? 1 : 0;
      case OpKind::kFind: {
        const V* v = m.find(op.key);
        return v != nullptr ? value_word(*v) : kFindMiss;
      }
      case OpKind::kErase: return m.erase(op.key) ? 1 : 0;
    }
    return 0;
  }
}

template <class K, class V>
void replay_traces(RedisServer& s) {
  const auto expected = load_expected();
  ASSERT_GE(expected.size(), 2u);
  for (const auto& [file, want] : expected) {
    s.flushall();
    RedisServerMap<K, V> m(s);
    const std::vector<Op> ops = load_trace("workloads/testdata/" + file);
    Checksum sum;
    std::size_t i = 0;
    for (const Op& op : ops) {
      if (i++ % 2 == 0) {
        sum.add(apply_map_form(m, op));
      } else {
        m.prepare(op.kind, op.key, op.value);  // the split form
        m.execute();
        sum.add(m.finish());
      }
    }
    EXPECT_EQ(sum.hex(), want.checksum) << file << " K=" << sizeof(K) << " V=" << sizeof(V);
    EXPECT_EQ(m.size(), want.size) << file;
    EXPECT_EQ(s.dbsize(), want.size) << file;
    EXPECT_EQ(ops.size(), want.ops) << file;
    const auto times = m.drain_server_times();
    ASSERT_EQ(times.size(), ops.size()) << file;
    for (std::size_t j = 0; j < times.size(); ++j) {
      EXPECT_EQ(times[j].op, j);
      EXPECT_EQ(times[j].kind, ops[j].kind);
    }
  }
}

TEST(RedisServerTraces, SharedExamplesMatchExpected) {
  RedisServer s(quiet());
  replay_traces<std::uint64_t, std::uint64_t>(s);
  replay_traces<FixedString<16>, Blob<8>>(s);
  replay_traces<FixedString<64>, Blob<256>>(s);
  replay_traces<std::uint64_t, Blob<64>>(s);
}

TEST(RedisServerMapWire, KeysAndValuesAreTheHarnessBytes) {
  RedisServer s(quiet());
  RedisServerMap<std::uint64_t, std::uint64_t> u(s);
  EXPECT_TRUE(u.insert_or_assign(0x0102030405060708ULL, 0x1112131415161718ULL));
  EXPECT_EQ(s.get(std::string("\x08\x07\x06\x05\x04\x03\x02\x01", 8)), std::string("\x18\x17\x16\x15\x14\x13\x12\x11", 8));
  EXPECT_FALSE(u.insert_or_assign(0x0102030405060708ULL, 7));
  EXPECT_EQ(*u.find(0x0102030405060708ULL), 7u);
  s.flushall();
  RedisServerMap<FixedString<16>, Blob<8>> f(s);
  f.insert_or_assign(0xabcULL, 0x41ULL);
  EXPECT_EQ(s.get("0000000000000abc"), std::string("A\0\0\0\0\0\0\0", 8));
  RedisServerMap<FixedString<64>, Blob<256>> g(s);
  g.insert_or_assign(0xffULL, 1);
  const auto v = s.get(std::string(62, '0') + "ff");
  ASSERT_TRUE(v.has_value());
  EXPECT_EQ(v->size(), 256u);
  EXPECT_EQ((*v)[0], '\x01');
}

TEST(RedisServerMapWire, DetectsAServerThatDisagreesWithTheRecord) {
  RedisServer s(quiet());
  RedisServerMap<std::uint64_t, std::uint64_t> m(s);
  m.insert_or_assign(1, 1);
  s.flushall();  // behind the map's back
  EXPECT_THROW(m.find(1), RedisServerError);
}

TEST(RedisServerMapWire, LostSlowlogEntriesAreAnErrorNotAMisalignment) {
  RedisServerOptions o = quiet();
  o.slowlog_max_len = 8;
  RedisServer s(o);
  RedisServerMap<std::uint64_t, std::uint64_t> m(s);
  m.discard_server_times();
  for (std::uint64_t i = 0; i < 20; ++i) m.insert_or_assign(i, i);
  EXPECT_THROW(m.drain_server_times(), RedisServerError);
  for (std::uint64_t i = 0; i < 5; ++i) m.insert_or_assign(i, i);
  const auto t = m.drain_server_times();
  ASSERT_EQ(t.size(), 5u);
  EXPECT_EQ(t[0].op, 20u);
}

TEST(RedisServerMapWire, PipelinedLoadIsNotCountedAndLeavesTheKeys) {
  RedisServer s(quiet());
  RedisServerMap<std::uint64_t, std::uint64_t> m(s);
  std::uint64_t i = 0;
  m.load(5000, [&] { ++i; return std::pair<std::uint64_t, std::uint64_t>{i, i * 2}; }, 700);
  EXPECT_EQ(s.dbsize(), 5000u);
  EXPECT_EQ(m.size(), 5000u);
  EXPECT_EQ(m.ops_executed(), 0u);
  EXPECT_FALSE(m.insert_or_assign(77, 1));
  EXPECT_EQ(*m.find(78), 156u);
  EXPECT_EQ(m.drain_server_times().size(), 2u);
}

}  // namespace
}  // namespace rehashlab
