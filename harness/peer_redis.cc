// The redis_server peer in the harness: a private real redis-server 7.0
// (peers/redis_server.h) driven through the same timed_loop as any map, one
// command per op (SET / GET / DEL), the timed part exactly one round trip
// (client-observed latency: the socket, the server's parsing and execution).
//
// Between ops, untimed: the reply is checked and folded into the checksum; the
// server's table state is read (MEMORY STATS, ~20 us) at every window end, every
// kPollWhileRehashing ops while a rehash runs, and right after the SET that must
// start a rehash (Redis 7.0 expands when a new key is added with used >= size), so
// a resize's start op is exact and its end op is exact to kPollWhileRehashing ops
// (a rehash can also end in the server's cron, between two ops); the slowlog
// (threshold 0) is drained every window into the server's own execution time per
// command, reported beside the client-observed one ("peer.server").
//
// The client and its server share one CPU (the one the run starts on; the server
// inherits the affinity when it is started). Across two CPUs every round trip
// wakes an idle vCPU twice, which on a KVM guest costs about 20 us each: measured
// here, a median round trip of 50 us across CPUs against 8 us on one, for the same
// 1 us of server time. Pinned, the round trip is two context switches, and what
// it measures is the server, not the hypervisor's wake-up path.
#include <sched.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <type_traits>
#include <vector>

#include "harness/cli.h"
#include "harness/peers.h"
#include "harness/report.h"
#include "harness/runner.h"
#include "peers/redis_server.h"
#include "peers/redis_server_map.h"
#include "workloads/trace.h"

namespace rehashlab {
namespace {

constexpr std::uint64_t kPollWhileRehashing = 64;

template <class K, class V>
class RedisProbe;

// prepare: the next op's command encoded (untimed); execute: its round trip.
template <class K, class V>
struct RedisOp {
  RedisServerMap<K, V>& map;
  Workload& w;
  OpKind kind_ = OpKind::kFind;
  void prepare(std::uint64_t) {
    const GenOp g = w.next();
    kind_ = g.kind;
    map.prepare(g.kind, g.key, g.value);
  }
  void execute() { map.execute(); }
  OpKind kind() const { return kind_; }
};

// The server's state between ops, and the slowlog drained per window.
template <class K, class V>
class RedisProbe {
 public:
  RedisProbe(RedisServer& server, RedisServerMap<K, V>& map, std::uint64_t window, std::uint64_t baseline)
      : server_(server), map_(map), window_(window), baseline_(baseline) {
    refresh();
    last_steal_ = steal_.read();
  }
  ResizeCounters counters() const { return counters_; }
  std::uint64_t entries() const { return map_.size(); }
  std::uint64_t live_bytes() const { return live_; }
  void maintenance(std::chrono::nanoseconds) {}  // the server's own cron does it
  // After each op: book its reply, then read the state where a resize can begin or end.
  void after_op() {
    const std::size_t before = map_.size();
    sum_.add(map_.finish());
    ++op_;
    const bool added = map_.size() > before;
    // No table yet (the first key creates one), or this SET had to start a rehash.
    const bool must_expand = added && !state_.rehashing && before >= state_.ht0_buckets;
    if (must_expand || (state_.rehashing && op_ % kPollWhileRehashing == 0)) refresh();
  }
  WindowSample window_sample() {
    for (const RedisServerTime& t : map_.drain_server_times()) {
      const std::uint64_t ns = t.duration_us * 1000;
      server_times_.record(ns);
      server_top_.record(t.op, ns);
    }
    refresh();
    WindowSample s;
    s.live_bytes = live_;
    s.peak_bytes = live_;
    s.rss_bytes = state_.rss;
    const std::optional<double> now = steal_.read();
    if (now && last_steal_) s.steal_ms = *now - *last_steal_;
    last_steal_ = now;
    return s;
  }
  const Checksum& checksum() const { return sum_; }
  // The load phase's results (inserts of new keys: r = 1 each), as every map folds them.
  void fold(std::uint64_t r) { sum_.add(r); }
  const LatencyHistogram& server_times() const { return server_times_; }
  const TopK& server_top() const { return server_top_; }
  std::uint64_t peak() const { return peak_; }
  std::uint64_t state_reads() const { return reads_; }

 private:
  void refresh() {
    const RedisTableState s = server_.table_state();
    ++reads_;
    // Between two reads a rehash can end and the next one begin: the table sizes tell.
    if (state_.rehashing && (!s.rehashing || s.ht0_buckets != state_.ht0_buckets)) {
      ++counters_.migrations_completed;
      ++counters_.old_arrays_freed;
    }
    if (s.rehashing && (!state_.rehashing || s.ht1_buckets != state_.ht1_buckets)) ++counters_.grows_started;
    counters_.migrating = s.rehashing;
    state_ = s;
    live_ = s.used_memory > baseline_ ? s.used_memory - baseline_ : 0;
    peak_ = std::max(peak_, live_);
  }

  RedisServer& server_;
  RedisServerMap<K, V>& map_;
  std::uint64_t window_, baseline_;
  RedisTableState state_;
  ResizeCounters counters_;
  std::uint64_t live_ = 0, peak_ = 0, op_ = 0, reads_ = 0;
  Checksum sum_;
  LatencyHistogram server_times_;
  TopK server_top_{16};
  StealReader steal_;
  std::optional<double> last_steal_;
};

Json percentiles_of(const LatencyHistogram& h) {
  const Percentiles p = Percentiles::of(h);
  return {{"count", h.count()}, {"p50_ns", p.p50},   {"p90_ns", p.p90}, {"p99_ns", p.p99}, {"p999_ns", p.p999},
          {"p9999_ns", p.p9999}, {"max_ns", p.max}, {"min_ns", p.min}, {"mean_ns", p.mean}};
}

RedisServerOptions server_options(bool active_rehashing) {
  RedisServerOptions o;
  o.active_rehashing = active_rehashing;
  o.slowlog = true;
  o.slowlog_max_len = 1 << 16;
  return o;
}

// Pins this process (and so the server it starts) to the CPU it runs on; returns it.
int pin_to_current_cpu() {
  const int cpu = ::sched_getcpu();
  if (cpu < 0) return -1;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return ::sched_setaffinity(0, sizeof set, &set) == 0 ? cpu : -1;
}

template <class K, class V>
int run_typed(const RunConfig& cfg) {
  install_redis_cleanup_signal_handlers();
  const int cpu = pin_to_current_cpu();
  if (cfg.window > (1u << 16)) throw cli::UsageError("redis_server: --window must be <= 65536 (the slowlog's length)");
  RunContext ctx;
  prepare_context(cfg, ctx);
  MapOutcome out;
  out.rss_baseline = RssReader().read();
  LoopResult result(cfg.top_k);
  Json peer;
  {
    RedisServer server(server_options(cfg.maintenance));
    Workload w(cfg.workload);
    RedisServerMap<K, V> map(server, w.load_ops() + w.ops());
    const std::uint64_t baseline = server.table_state().used_memory;
    std::uint64_t i = 0;
    map.load(w.load_ops(), [&] {
      const GenOp g = w.load_op(i++);
      return std::pair<std::uint64_t, std::uint64_t>{g.key, g.value};
    });
    out.load_ops = w.load_ops();
    RedisProbe<K, V> probe(server, map, cfg.window, baseline);
    for (std::uint64_t k = 0; k < out.load_ops; ++k) probe.fold(1);
    out.counters_start = probe.counters();
    out.ops = w.ops();
    RedisOp<K, V> op{map, w};
    const std::optional<double> steal_before = host_steal_ms();
    LoopConfig l = loop_config(cfg, out.ops, cfg.run_id().c_str());
    l.maintenance = false;  // the server's cron runs active rehash itself (--maintenance=on|off: activerehashing)
    const std::string label = cfg.run_id();
    l.label = label.c_str();
    timed_loop(ctx.clock, l, op, probe, result);
    out.steal_ms = steal_since(steal_before);
    out.peak_bytes = probe.peak();
    out.final_bytes = probe.live_bytes();
    out.final_entries = map.size();
    out.counters_end = probe.counters();
    out.payload_bytes_per_entry = 0;  // not observable in the server: write amplification is null
    out.checksum = probe.checksum().hex();
    const RedisTableState st = server.table_state();
    out.map_counters = {{"ht0_buckets", st.ht0_buckets},
                        {"ht1_buckets", st.ht1_buckets},
                        {"rehashing", st.rehashing ? 1 : 0},
                        {"used_memory", st.used_memory},
                        {"state_reads", probe.state_reads()}};
    peer["kind"] = "redis_server";
    peer["version"] = server.version();
    peer["active_rehashing"] = cfg.maintenance;
    peer["cpu"] = cpu >= 0 ? Json(cpu) : Json(nullptr);  // client and server pinned to this CPU
    peer["cpu_note"] = "client and server share one CPU: a round trip is two context switches, not two "
                       "wake-ups of an idle vCPU";
    peer["latency"] = "client-observed: one command's round trip over a unix socket (hiredis)";
    peer["server"] = percentiles_of(probe.server_times());
    Json top = Json::array();
    for (const auto& e : probe.server_top().sorted()) top.push_back({{"op", e.op}, {"ns", e.ns}});
    peer["server_top_k"] = std::move(top);
    peer["server_source"] = "SLOWLOG (threshold 0), whole microseconds of the command's execution in the server";
    peer["resize_end_granularity_ops"] = kPollWhileRehashing;
    peer["memory_source"] = "MEMORY STATS total.allocated minus its value before the load; rss: the server's";
    out.rss_final = st.rss;
    out.rss_peak = st.rss;
  }
  if (!cfg.open_loop && cfg.uninstrumented) {
    // The same ops on a fresh server, timed as a whole (no per-op clock, no state reads).
    RedisServerOptions o = server_options(cfg.maintenance);
    o.slowlog = false;
    RedisServer server(o);
    Workload w(cfg.workload);
    RedisServerMap<K, V> map(server, w.load_ops() + w.ops());
    std::uint64_t i = 0;
    map.load(w.load_ops(), [&] {
      const GenOp g = w.load_op(i++);
      return std::pair<std::uint64_t, std::uint64_t>{g.key, g.value};
    });
    const std::uint64_t t0 = ctx.clock.now();
    for (std::uint64_t k = 0; k < w.ops(); ++k) {
      const GenOp g = w.next();
      map.prepare(g.kind, g.key, g.value);
      map.execute();
      map.finish();
    }
    const double seconds = static_cast<double>(ctx.clock.now() - t0) * ctx.clock.ns_per_tick() / 1e9;
    if (seconds > 0) out.ops_per_sec_uninstrumented = static_cast<double>(w.ops()) / seconds;
  }
  out.peer = std::move(peer);
  return write_run_results(cfg, ctx, result, out);
}

int run_redis(const RunConfig& cfg) {
  if (cfg.key == "u64" && cfg.value_bytes == 8) return run_typed<std::uint64_t, std::uint64_t>(cfg);
  if (cfg.key == "u64" && cfg.value_bytes == 64) return run_typed<std::uint64_t, Blob<64>>(cfg);
  if (cfg.key == "u64" && cfg.value_bytes == 256) return run_typed<std::uint64_t, Blob<256>>(cfg);
  if (cfg.key == "str16") return run_typed<FixedString<16>, std::uint64_t>(cfg);
  return run_typed<FixedString<64>, std::uint64_t>(cfg);
}

int replay_redis(const std::string& trace, std::uint64_t hash_seed) {
  install_redis_cleanup_signal_handlers();
  const std::vector<Op> ops = load_trace(trace);  // TraceError -> exit 2 in main
  RedisServerOptions o = server_options(true);
  o.slowlog = false;
  RedisServer server(o);
  RedisServerMap<std::uint64_t, std::uint64_t> map(server, ops.size());
  Checksum sum;
  for (const Op& op : ops) {
    map.prepare(op.kind, op.key, op.value);
    map.execute();
    sum.add(map.finish());
  }
  Json out;
  out["map"] = "redis_server";
  out["trace"] = trace;
  out["ops"] = ops.size();
  out["size"] = server.dbsize();
  out["checksum"] = sum.hex();
  out["hash_seed"] = hash_seed;
  out["hash_seed_used"] = false;  // the server seeds its own SipHash
  out["version"] = server.version();
  cli::write_stdout(out.dump() + "\n");
  return 0;
}

}  // namespace

PeerInfo redis_server_peer() {
  return {"redis_server",
          "a real redis-server 7.0 (Debian) on a private unix socket, one SET/GET/DEL per op; "
          "--maintenance=on|off: its activerehashing",
          &run_redis, &replay_redis};
}

}  // namespace rehashlab
