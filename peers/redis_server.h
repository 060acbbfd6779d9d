// redis_server peer: a private, real redis-server (Debian 12's 7.0.15) that the
// harness starts, drives one command at a time through hiredis, and always stops.
//
// Lifecycle. The constructor makes a private directory (mkdtemp, mode 0700), forks
// and execs redis-server on a unix socket in it (no TCP port, no persistence, DEBUG
// allowed for local connections only, slowlog threshold 0), and waits until the
// server answers PING; on any failure it stops what it started, removes the
// directory and throws RedisServerError with the tail of the server's log. The
// destructor (or stop()) sends SIGTERM, escalates to SIGKILL after
// kStopGraceSeconds, reaps the process and removes the directory. The client only
// ever connects to its own socket path, so no other server is ever touched.
//   * The child runs in its own process group (a terminal's Ctrl-C reaches the
//     harness, which decides), with PR_SET_PDEATHSIG = SIGKILL: if the harness dies
//     even by SIGKILL, the kernel kills the server. (PDEATHSIG fires when the
//     *thread* that forked exits; the harness starts servers from its main thread.)
//     After a SIGKILL of the harness the directory (socket + log, a few KB) stays.
//   * Every live server is in a fixed-size, lock-free registry that
//     kill_live_redis_servers() walks from a signal handler (async-signal-safe:
//     kill, waitpid, unlink, rmdir only). install_redis_cleanup_signal_handlers()
//     installs that for SIGINT/SIGTERM/SIGHUP, then lets the signal do what it did
//     before (the previous handler, or the default action: the process dies).
//   * A pid leaves the registry before it is reaped (waitid WNOWAIT first), so the
//     handler can never signal a recycled pid.
//   * SIGPIPE is set to SIG_IGN (if it was SIG_DFL) when the first server starts: a
//     server that died makes a write fail with EPIPE -> RedisServerError, instead of
//     killing the harness.
//
// What is measured and read (Redis 7.0.15 source: src/server.c call(), slowlog.c,
// debug.c, object.c):
//   * SLOWLOG durations: call() times c->cmd->proc(c) alone, in whole microseconds
//     (ustime(): Debian's build has no hardware monotonic clock), so it excludes
//     reading and parsing the request, writing the reply and the slowlog push
//     itself; it includes everything the dict does inside the command (rehash steps,
//     the zcalloc of a new table, the zfree of the old one at completion).
//     Every command is logged at threshold 0 (none of ours has CMD_SKIP_SLOWLOG), so
//     entries include our own non-data commands; slowlog_drain() keeps SET/GET/DEL.
//     An entry copies the command's arguments: the slowlog holds memory
//     (~200-600 B per entry) until drained; drain before reading memory.
//   * DEBUG HTSTATS <db> (debug.c -> dict.c dictGetStats): for ht[0] and, while
//     rehashing, ht[1]: table size, number of elements, "different slots" (non-empty
//     buckets), max chain length. It WALKS EVERY BUCKET of both tables (O(slots)),
//     so it is a test/diagnostic read, not a per-window one at millions of keys. A
//     table with no elements prints no size ("No stats available").
//   * MEMORY STATS (object.c getMemoryOverheadData, O(number of databases)): the
//     cheap read for window boundaries. Its db.0 "overhead.hashtable.main" is
//     dictSize*sizeof(dictEntry) + dictSlots*8 + dictSize*sizeof(robj), so
//     dictSlots = ht[0].size + ht[1].size follows exactly (struct sizes from DEBUG
//     STRUCTSIZE at start-up); two distinct powers of two => rehashing. It also gives
//     used memory (total.allocated), the peak and the allocator's counters; the
//     allocator and RSS figures are refreshed by serverCron (every 100 ms at hz 10).
//   * None of these reads performs a rehash step in the keyspace dict (they use
//     dictSize/dictSlots or walk the arrays directly), so reading state between ops
//     does not change what the next op does.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct redisContext;
struct redisReply;

namespace rehashlab {

inline constexpr const char* kRedisInstallHint = "sudo apt-get install -y redis-server   (or run scripts/setup.sh)";

// Anything that went wrong starting, talking to, or stopping the server.
struct RedisServerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct RedisServerOptions {
  // Empty: "redis-server" on PATH, else /usr/bin/redis-server.
  std::string binary;
  bool active_rehashing = true;  // --activerehashing yes|no (CONFIG SET can change it later)
  bool slowlog = true;           // threshold 0 (log every command) or -1 (off)
  std::uint64_t slowlog_max_len = 1 << 16;  // must exceed the commands between two drains
  double start_timeout_seconds = 20;        // until PING answers
  double command_timeout_seconds = 120;     // any one reply (FLUSHALL of 20M keys is seconds)
  std::vector<std::string> extra_args;      // appended to the command line (tests)
};

// A reply, owned.
struct RedisReplyDeleter {
  void operator()(redisReply* r) const noexcept;
};
using RedisReply = std::unique_ptr<redisReply, RedisReplyDeleter>;

// DEBUG HTSTATS <db>, [Dictionary HT] section.
struct HtStatsTable {
  bool present = false;  // the section exists (ht[1]: only while rehashing)
  bool empty = false;    // "No stats available for empty dictionaries": size unknown
  std::uint64_t size = 0, elements = 0, slots = 0, max_chain = 0;  // slots: non-empty buckets
};
struct HtStats {
  HtStatsTable ht[2];
  bool rehashing() const { return ht[1].present; }
  std::uint64_t elements() const { return ht[0].elements + ht[1].elements; }
};
HtStats parse_htstats(std::string_view text);  // throws RedisServerError on a malformed text

// MEMORY STATS, with the keyspace table decoded from overhead.hashtable.main.
struct RedisTableState {
  std::uint64_t keys = 0;         // keys.count (all databases; we only use db 0)
  std::uint64_t slots = 0;        // ht[0].size + ht[1].size of db 0; 0 when db 0 has no key
  std::uint64_t ht0_buckets = 0;  // decoded from slots (see RedisServer::table_state)
  std::uint64_t ht1_buckets = 0;
  bool rehashing = false;
  std::uint64_t used_memory = 0;       // total.allocated (zmalloc_used_memory)
  std::uint64_t peak_memory = 0;       // peak.allocated
  std::uint64_t allocator_allocated = 0, allocator_active = 0, allocator_resident = 0;  // cron-refreshed
  std::uint64_t rss = 0;               // allocator.resident + rss-overhead.bytes (cron-refreshed)
};

// INFO memory, all fields; the common ones typed.
struct RedisMemoryInfo {
  std::map<std::string, std::string> fields;
  std::uint64_t used_memory = 0, used_memory_peak = 0, used_memory_rss = 0;
  std::uint64_t allocator_allocated = 0, allocator_active = 0, allocator_resident = 0;
};
RedisMemoryInfo parse_info_memory(std::string_view text);

struct SlowlogEntry {
  std::uint64_t id = 0;
  std::uint64_t duration_us = 0;
  std::string command;  // argv[0], lower case
  std::string key;      // argv[1] (the slowlog trims strings to 128 bytes), empty if none
};

// The live-server registry, for signal handlers: SIGKILLs and reaps every server
// this process started and removes their directories. Async-signal-safe.
void kill_live_redis_servers() noexcept;
// SIGINT/SIGTERM/SIGHUP: kill_live_redis_servers(), then the previous disposition
// (its handler, or the default action re-raised). Idempotent.
void install_redis_cleanup_signal_handlers();
// Live servers this process started (tests).
int live_redis_server_count() noexcept;

// Resolves the binary: `explicit_path` if non-empty, else redis-server on `path_env`,
// else `fallback`. Throws RedisServerError naming kRedisInstallHint if none is executable.
std::string find_redis_server(const std::string& explicit_path, const char* path_env,
                              const std::string& fallback = "/usr/bin/redis-server");

class RedisServer {
 public:
  static constexpr double kStopGraceSeconds = 10;

  explicit RedisServer(const RedisServerOptions& options = {});
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;
  ~RedisServer();

  // Stops the server (SIGTERM, then SIGKILL), reaps it, removes the directory.
  // Idempotent; never throws.
  void stop() noexcept;
  bool running() const { return pid_ > 0; }

  pid_t pid() const { return pid_; }
  const std::string& dir() const { return dir_; }
  const std::string& socket_path() const { return socket_; }
  const std::string& log_path() const { return log_; }
  const std::string& binary() const { return binary_; }
  const std::string& version() const { return version_; }  // INFO server redis_version
  std::string log_tail(std::size_t lines = 20) const;

  // One command, one round trip. Arguments are binary-safe. An error reply throws
  // unless allow_error.
  RedisReply command(std::initializer_list<std::string_view> args, bool allow_error = false);
  RedisReply command(const std::vector<std::string>& args, bool allow_error = false);

  // Pipelining (bulk loading in tests; never for measured ops): append, then read
  // the replies in order.
  void append(std::initializer_list<std::string_view> args);
  RedisReply read_reply(bool allow_error = false);

  // The measured path (RedisServerMap): append a pre-formatted RESP command to the
  // output buffer (untimed), then one write + read of its reply (timed).
  void append_formatted(std::string_view resp);
  RedisReply round_trip();

  void set(std::string_view key, std::string_view value);
  std::optional<std::string> get(std::string_view key);
  bool del(std::string_view key);
  void flushall();
  std::uint64_t dbsize();
  void config_set(std::string_view name, std::string_view value);
  std::string config_get(std::string_view name);

  HtStats htstats(int db = 0);         // O(buckets): see the header comment
  RedisMemoryInfo info_memory();
  RedisTableState table_state();       // MEMORY STATS: O(databases)
  // SLOWLOG GET -1 then SLOWLOG RESET; entries in execution order (id ascending).
  // data_only: SET, GET and DEL only.
  std::vector<SlowlogEntry> slowlog_drain(bool data_only = true);
  std::uint64_t slowlog_max_len() const { return options_.slowlog_max_len; }
  const RedisServerOptions& options() const { return options_; }

 private:
  void start();
  void connect_and_check();
  RedisReply check_reply(void* raw, bool allow_error, const char* what);
  [[noreturn]] void fail(const std::string& what);

  RedisServerOptions options_;
  std::string binary_, dir_, socket_, log_, stdout_path_, version_;
  pid_t pid_ = -1;
  int registry_slot_ = -1;
  redisContext* ctx_ = nullptr;
  std::uint64_t entry_bytes_ = 0;  // sizeof(dictEntry) + sizeof(robj), DEBUG STRUCTSIZE
  std::uint64_t last_ht0_ = 0;     // for decoding which table is which in table_state()
};

}  // namespace rehashlab
