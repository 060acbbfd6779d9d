// redis_spike_probe: an insert_growth run (the harness's key sequence) against a
// private redis-server, one SET per round trip, reporting for every rehash of the
// keyspace dict the SET that starts it and the one that completes it (frees the
// old table): client-observed latency (steady_clock around the round trip) and the
// server's own execution time (SLOWLOG, µs), plus ops to complete, and what the
// between-window reads cost. A measurement tool for README_redis.md, not a test.
//
//   redis_spike_probe --n=4M [--active-rehashing=yes|no] [--exact=yes|no]
//                     [--window=4096] [--seed=1] [--value-bytes=8|64|256]
//                     [--slowlog=yes|no]   (no: no server times, no slowlog push per command)
//
// Starts: the SET of a new key while not rehashing with keys == ht[0] buckets
// (predicted, then confirmed by a state read right after it). Ends: --exact=yes
// (default) reads MEMORY STATS after every op while a rehash is in progress, so
// the completing op is exact (with activerehashing off, from the earliest op that
// can complete it: D/3 SETs after the start, D = ht[0]'s non-empty buckets read
// once with DEBUG HTSTATS); --exact=no reads only at window ends and names the op
// with the largest server time in the window where the rehash ended (then "ops"
// is approximate, and rehashes inside the first window are missed). With
// activerehashing on, the cron may complete a rehash between two commands: then
// no SET pays the free (the report says so: the end op's server time is small).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "peers/redis_server.h"
#include "peers/redis_server_map.h"
#include "workloads/workload.h"

namespace rehashlab {
namespace {

struct Args {
  std::uint64_t n = 1 << 20;
  bool active = true, exact = true, slowlog = true;
  std::uint64_t window = 4096, seed = 1;
  int value_bytes = 8;
};

std::uint64_t parse_count(const std::string& s) {
  char* end = nullptr;
  const double v = std::strtod(s.c_str(), &end);
  const std::string suf(end);
  const double m = suf == "K" || suf == "k" ? 1e3 : suf == "M" || suf == "m" ? 1e6 : 1;
  return static_cast<std::uint64_t>(v * m);
}

bool parse_bool(const std::string& s) { return s == "yes" || s == "on" || s == "1" || s == "true"; }

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string s = argv[i];
    const std::size_t eq = s.find('=');
    const std::string k = s.substr(0, eq), v = eq == std::string::npos ? "" : s.substr(eq + 1);
    if (k == "--n") a.n = parse_count(v);
    else if (k == "--active-rehashing") a.active = parse_bool(v);
    else if (k == "--exact") a.exact = parse_bool(v);
    else if (k == "--slowlog") a.slowlog = parse_bool(v);
    else if (k == "--window") a.window = parse_count(v);
    else if (k == "--seed") a.seed = parse_count(v);
    else if (k == "--value-bytes") a.value_bytes = std::atoi(v.c_str());
    else {
      std::fprintf(stderr, "unknown argument %s\n", s.c_str());
      std::exit(2);
    }
  }
  return a;
}

struct Rehash {
  std::uint64_t from = 0, to = 0;
  std::uint64_t start_op = 0, end_op = 0;  // end_op: first op after which it was seen complete
  bool ended = false;
  std::uint64_t start_client_ns = 0, start_server_us = 0;
  std::uint64_t end_client_ns = 0, end_server_us = 0;
  std::uint64_t max_client_ns = 0, max_client_op = 0, max_server_us = 0, max_server_op = 0;  // over [start, end]
};

struct Stats {
  std::vector<double> v;
  void add(double x) { v.push_back(x); }
  double pct(double p) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  }
};

double now_ns() {
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count());
}

template <class V>
int run(const Args& a) {
  install_redis_cleanup_signal_handlers();
  RedisServerOptions o;
  o.active_rehashing = a.active;
  o.slowlog = a.slowlog;
  o.slowlog_max_len = std::max<std::uint64_t>(1 << 16, 4 * a.window);
  RedisServer server(o);
  RedisServerMap<std::uint64_t, V> map(server, a.n);
  WorkloadSpec spec;
  spec.kind = WorkloadKind::kInsertGrowth;
  spec.n = a.n;
  spec.seed = a.seed;
  Workload w(spec);
  const std::uint64_t ops = w.ops();
  std::vector<std::uint32_t> client(ops), srv(ops, 0);
  std::vector<Rehash> rehashes;
  Stats state_ns, drain_ns;
  RedisTableState cur = map.state();
  auto read_state = [&] {
    const double t0 = now_ns();
    RedisTableState s = map.state();
    state_ns.add(now_ns() - t0);
    return s;
  };
  auto drain = [&] {
    const double t0 = now_ns();
    for (const RedisServerTime& t : map.drain_server_times()) srv[t.op] = static_cast<std::uint32_t>(t.duration_us);
    drain_ns.add(now_ns() - t0);
  };
  // Compares a new state with `cur` after op i; books starts and ends.
  auto observe = [&](std::uint64_t i, const RedisTableState& s) {
    if (!rehashes.empty() && !rehashes.back().ended && !(s.rehashing && s.ht0_buckets == rehashes.back().from)) {
      rehashes.back().ended = true;
      rehashes.back().end_op = i;
    }
    if (s.rehashing && (rehashes.empty() || rehashes.back().ended || rehashes.back().from != s.ht0_buckets)) {
      Rehash r;
      r.from = s.ht0_buckets;
      r.to = s.ht1_buckets;
      r.start_op = i;
      rehashes.push_back(r);
    }
    cur = s;
  };
  const double t_run = now_ns();
  std::uint64_t window_end_ops = 0;
  // With activerehashing off only commands move buckets, at most 3 per SET: after
  // reading ht[0]'s non-empty buckets D at the start (one HTSTATS), the rehash
  // cannot complete before D/3 more SETs, so per-op reads start there (still exact).
  std::uint64_t reads_from_op = 0;
  for (std::uint64_t i = 0; i < ops; ++i) {
    const GenOp g = w.next();
    map.prepare(g.kind, g.key, g.value);
    const bool predicted_start = !cur.rehashing && cur.keys != 0 && cur.keys == cur.ht0_buckets;
    const auto t0 = std::chrono::steady_clock::now();
    map.execute();
    const auto t1 = std::chrono::steady_clock::now();
    map.finish();
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(t1 - t0).count();
    client[i] = static_cast<std::uint32_t>(std::min<long long>(ns, 0xffffffffLL));
    cur.keys = map.size();
    if (i == 0 || predicted_start || (a.exact && cur.rehashing && i >= reads_from_op)) {
      observe(i, read_state());
      if (predicted_start && a.exact && !a.active && cur.rehashing && cur.ht0_buckets >= (1u << 16)) {
        const std::uint64_t d = server.htstats().ht[0].slots;
        reads_from_op = i + d / 3 > 2 ? i + d / 3 - 2 : 0;
      }
    }
    if ((i + 1) % a.window == 0 || i + 1 == ops) {
      drain();
      observe(i, read_state());
      window_end_ops = i + 1;
    }
  }
  const double run_s = (now_ns() - t_run) * 1e-9;
  drain();
  // Server-side and client-side values of the boundary ops, and the maxima inside.
  for (Rehash& r : rehashes) {
    r.start_client_ns = client[r.start_op];
    r.start_server_us = srv[r.start_op];
    const std::uint64_t last = r.ended ? r.end_op : ops - 1;
    for (std::uint64_t i = r.start_op; i <= last; ++i) {
      if (client[i] > r.max_client_ns) r.max_client_ns = client[i], r.max_client_op = i;
      if (srv[i] > r.max_server_us) r.max_server_us = srv[i], r.max_server_op = i;
    }
    if (r.ended && !a.exact) {
      // The window where it ended: the op with the largest server time.
      const std::uint64_t w0 = r.end_op + 1 >= a.window ? r.end_op + 1 - a.window : 0;
      std::uint64_t best = r.end_op;
      for (std::uint64_t i = std::max(w0, r.start_op + 1); i <= r.end_op; ++i) {
        if (srv[i] > srv[best]) best = i;
      }
      r.end_op = best;
    }
    if (r.ended) {
      r.end_client_ns = client[r.end_op];
      r.end_server_us = srv[r.end_op];
    }
  }
  // The reads themselves, at the final size.
  Stats hts;
  for (int k = 0; k < 3; ++k) {
    const double t0 = now_ns();
    server.htstats();
    hts.add(now_ns() - t0);
  }
  const RedisMemoryInfo mi = server.info_memory();
  std::printf("# redis_server %s, n=%llu, value %d B, activerehashing %s, slowlog %s, %s ends, window %llu, %llu ops in %.1f s\n",
              server.version().c_str(), static_cast<unsigned long long>(a.n), a.value_bytes, a.active ? "yes" : "no",
              a.slowlog ? "on" : "off",
              a.exact ? "exact" : "window", static_cast<unsigned long long>(a.window),
              static_cast<unsigned long long>(window_end_ops), run_s);
  std::printf("# used_memory %.1f MiB, rss %.1f MiB\n", static_cast<double>(mi.used_memory) / 1048576.0,
              static_cast<double>(mi.used_memory_rss) / 1048576.0);
  std::printf("%10s %10s | %11s %9s %9s | %11s %9s %9s | %9s | %12s %12s\n", "from", "to", "start_op", "start_us",
              "start_srv", "end_op", "end_us", "end_srv", "ops", "max_us@op", "max_srv@op");
  for (const Rehash& r : rehashes) {
    char maxc[48], maxs[48];
    std::snprintf(maxc, sizeof maxc, "%.0f@%llu", r.max_client_ns / 1e3, static_cast<unsigned long long>(r.max_client_op));
    std::snprintf(maxs, sizeof maxs, "%llu@%llu", static_cast<unsigned long long>(r.max_server_us),
                  static_cast<unsigned long long>(r.max_server_op));
    std::printf("%10llu %10llu | %11llu %9.1f %9llu | ", static_cast<unsigned long long>(r.from),
                static_cast<unsigned long long>(r.to), static_cast<unsigned long long>(r.start_op),
                r.start_client_ns / 1e3, static_cast<unsigned long long>(r.start_server_us));
    if (r.ended) {
      std::printf("%11llu %9.1f %9llu | %9llu | %12s %12s\n", static_cast<unsigned long long>(r.end_op),
                  r.end_client_ns / 1e3, static_cast<unsigned long long>(r.end_server_us),
                  static_cast<unsigned long long>(r.end_op - r.start_op), maxc, maxs);
    } else {
      std::printf("%11s %9s %9s | %9s | %12s %12s\n", "-", "-", "-", "-", maxc, maxs);
    }
  }
  Stats all;
  for (std::uint64_t i = 0; i < ops; i += 16) all.add(client[i]);
  std::printf("# SET round trip (every 16th op): p50 %.1f us, p99 %.1f us\n", all.pct(0.5) / 1e3, all.pct(0.99) / 1e3);
  std::printf("# state read (MEMORY STATS round trip, %zu reads): p50 %.1f us, p99 %.1f us, max %.1f us\n",
              state_ns.v.size(), state_ns.pct(0.5) / 1e3, state_ns.pct(0.99) / 1e3, state_ns.pct(1.0) / 1e3);
  std::printf("# slowlog drain per window (GET -1 + RESET): p50 %.1f us, p99 %.1f us\n", drain_ns.pct(0.5) / 1e3,
              drain_ns.pct(0.99) / 1e3);
  std::printf("# DEBUG HTSTATS 0 at the end (%llu slots): min %.1f ms of 3\n",
              static_cast<unsigned long long>(server.table_state().slots), hts.pct(0) / 1e6);
  return 0;
}

}  // namespace
}  // namespace rehashlab

int main(int argc, char** argv) {
  const rehashlab::Args a = rehashlab::parse(argc, argv);
  try {
    switch (a.value_bytes) {
      case 8: return rehashlab::run<std::uint64_t>(a);
      case 64: return rehashlab::run<rehashlab::Blob<64>>(a);
      case 256: return rehashlab::run<rehashlab::Blob<256>>(a);
      default: std::fprintf(stderr, "--value-bytes: 8, 64 or 256\n"); return 2;
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "redis_spike_probe: %s\n", e.what());
    return 1;
  }
}
