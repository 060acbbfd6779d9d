// go_runtime_report: runs the real Go map (the go_runtime peer) on one of the
// harness's workloads and prints where its slow operations are: per grow, the
// insert that started it and the largest op of its migration (and where in the
// migration it landed), the slowest ops overall, and the peer's own costs (clock,
// memory sampling). A diagnostic for the peer; the harness's `run` verb is what
// produces results files.
//
//   bazel run //peers:go_runtime_report -- --n=20000000 --gc=off
//   flags: --workload=insert_growth|mixed|churn|shrink (default insert_growth)
//          --n=N --ops=N --seed=S --key=u64|str16|str64 --value-bytes=8|64|256
//          --gc=on|off --rate=R (open loop; default closed) --window=W --top=K
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <vector>

#include "peers/go_runtime_peer.h"
#include "workloads/workload.h"

namespace rehashlab::peers {
namespace {

struct Args {
  WorkloadSpec spec;
  GoRunConfig cfg;
  int top = 10;
};

std::uint64_t parse_count(const std::string& s) {
  std::size_t end = 0;
  double v = std::stod(s, &end);
  const std::string suffix = s.substr(end);
  if (suffix == "K" || suffix == "k") v *= 1e3;
  else if (suffix == "M" || suffix == "m") v *= 1e6;
  else if (!suffix.empty()) throw std::invalid_argument("bad count " + s);
  return static_cast<std::uint64_t>(v);
}

Args parse(int argc, char** argv) {
  Args a;
  a.spec.n = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const auto eq = arg.find('=');
    const std::string key = arg.substr(0, eq), val = eq == std::string::npos ? "" : arg.substr(eq + 1);
    if (key == "--workload") a.spec.kind = parse_workload(val);
    else if (key == "--n") a.spec.n = parse_count(val);
    else if (key == "--ops") a.spec.ops = parse_count(val);
    else if (key == "--seed") a.spec.seed = std::stoull(val);
    else if (key == "--key") a.cfg.key = val;
    else if (key == "--value-bytes") a.cfg.value_bytes = std::stoi(val);
    else if (key == "--gc") a.cfg.gc = val != "off";
    else if (key == "--rate") a.cfg.rate = std::stod(val);
    else if (key == "--window") a.cfg.window = parse_count(val);
    else if (key == "--top") a.top = std::stoi(val);
    else throw std::invalid_argument("unknown flag " + arg + " (see the comment in peers/go_runtime_report.cc)");
  }
  return a;
}

int report(const Args& a) {
  Workload w(a.spec);
  const std::uint64_t load = w.load_ops(), total = load + w.ops();
  const GoRunResult r = run_go_runtime(a.cfg, load, total, [&](std::uint64_t i) {
    return i < load ? w.load_op(i) : w.next();
  });
  std::printf("%s, map[%s]%dB, %s, GC %s (GOGC %d), GOMAXPROCS %u, %s\n", r.go_version.c_str(), a.cfg.key.c_str(),
              a.cfg.value_bytes, workload_name(a.spec.kind), r.gc ? "on" : "off", r.gc_percent, r.map.gomaxprocs,
              r.open_loop ? "open loop" : "closed loop");
  std::printf("ops %llu load + %llu measured, checksum %s, elapsed %.3f s (load %.3f s)\n",
              static_cast<unsigned long long>(r.load_ops), static_cast<unsigned long long>(r.ops), r.checksum.c_str(),
              r.elapsed_ns / 1e9, r.load_ns / 1e9);
  std::printf("clock: back-to-back runtime.nanotime() median %.0f ns, min %.0f ns; memory sample (runtime/metrics.Read, "
              "2 metrics) median %.0f ns, %.3f ms over %zu samples\n",
              r.clock_overhead_median_ns, r.clock_overhead_min_ns, r.metrics_read_median_ns, r.sampling_ns / 1e6,
              r.memory.size());
  std::printf("GC cycles: %llu in the load, %llu measured\n", static_cast<unsigned long long>(r.gc_cycles_load),
              static_cast<unsigned long long>(r.gc_cycles_measured));
  if (!r.memory.empty()) {
    const GoMemorySample& m = r.memory.back();
    std::printf("at the end: count %llu, B %u, map structure %.1f MiB, heap objects above baseline %.1f MiB\n",
                static_cast<unsigned long long>(m.count), m.b, m.map_bytes / 1048576.0, m.heap_bytes / 1048576.0);
  }

  // Per grow (measured phase): the starting op, and the largest op of its migration.
  std::printf("\n%-6s %-9s %12s %12s %12s %12s %14s %10s\n", "B", "kind", "start op", "start ns", "migr. ops",
              "max ns", "max at op+", "at %");
  const std::uint64_t n = r.ops;
  std::vector<std::pair<std::uint64_t, std::uint64_t>> grows;  // [start, end] measured indexes
  for (std::size_t e = 0; e < r.events.size(); ++e) {
    const GoEvent& ev = r.events[e];
    if (ev.kind != GoEventKind::kGrowStart || ev.op < load) continue;
    std::uint64_t end = n - 1;
    bool ended = false;
    for (std::size_t f = e + 1; f < r.events.size(); ++f) {
      if (r.events[f].kind == GoEventKind::kMigrationEnd) {
        end = r.events[f].op - load;
        ended = true;
        break;
      }
    }
    const std::uint64_t s = ev.op - load;
    grows.push_back({s, end});
    std::uint64_t max_ns = 0, max_at = s;
    for (std::uint64_t i = s + 1; i <= end; ++i) {
      if (r.dur_ns[i] > max_ns) {
        max_ns = r.dur_ns[i];
        max_at = i;
      }
    }
    const double len = static_cast<double>(end - s);
    std::printf("%2u->%-2u %-9s %12llu %12u %12llu%s %12llu %14llu %9.1f%%\n", ev.old_b, ev.b,
                ev.same_size ? "same-size" : "doubling", static_cast<unsigned long long>(s), r.dur_ns[s],
                static_cast<unsigned long long>(end - s), ended ? " " : "+", static_cast<unsigned long long>(max_ns),
                static_cast<unsigned long long>(max_at - s), len > 0 ? 100.0 * (max_at - s) / len : 0.0);
  }

  // The slowest ops overall, and where they are.
  std::vector<std::uint64_t> idx(n);
  for (std::uint64_t i = 0; i < n; ++i) idx[i] = i;
  const std::size_t k = std::min<std::size_t>(a.top, n);
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](std::uint64_t x, std::uint64_t y) { return r.dur_ns[x] > r.dur_ns[y]; });
  std::printf("\nslowest %zu measured ops:\n", k);
  for (std::size_t j = 0; j < k; ++j) {
    const std::uint64_t i = idx[j];
    std::string where = "no migration";
    for (const auto& [s, e] : grows) {
      if (i == s) where = "starts a grow";
      else if (i > s && i <= e) where = "migration op +" + std::to_string(i - s) + " of " + std::to_string(e - s);
    }
    std::printf("  op %10llu  %10u ns  %s\n", static_cast<unsigned long long>(i), r.dur_ns[i], where.c_str());
  }
  return 0;
}

}  // namespace
}  // namespace rehashlab::peers

int main(int argc, char** argv) {
  try {
    return rehashlab::peers::report(rehashlab::peers::parse(argc, argv));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "go_runtime_report: %s\n", e.what());
    return 1;
  }
}
