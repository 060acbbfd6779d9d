#include "harness/suites.h"

#include <algorithm>
#include <cstdio>
#include <random>
#include <string>

#include "harness/atomic_file.h"
#include "harness/catalog.h"
#include "maps/hash.h"
#include "workloads/workload.h"

namespace rehashlab {
namespace {

using W = WorkloadKind;

// Open-loop rate: below every map's sustained insert rate at these sizes (timer
// included), so the queue drains between spikes and response time shows them.
constexpr double kOpenRate = 5e5;

// Every entry feeds a figure, table or claim (`feeds`); scripts/figures.py,
// paper_data.py and check_claims.py select runs by the same configurations.
std::vector<Suite> make_suites() {
  const std::vector<std::string> redis = {"redis_dual", "redis_server"};
  return {
      {.name = "smoke",
       .summary = "seconds; the schema and pipeline tests: every workload, both modes, 2 repetitions",
       .entries =
           {
               {.n = 3000, .reps = 2, .peers = true, .feeds = "schema test"},
               {.open = true, .rate = kOpenRate, .n = 3000, .reps = 2, .feeds = "schema test (open loop)"},
               {.open = true, .load = 0.5, .n = 3000, .reps = 1, .feeds = "schema test (rate sweep)"},
               {.n = 3000, .alloc = AllocMode::kSystem, .reps = 2, .feeds = "schema test (allocation modes)"},
               {.workload = W::kMixed, .n = 2000, .ops = 4000, .zipfian = true, .reps = 1, .feeds = "schema test"},
               {.workload = W::kChurn, .n = 2000, .ops = 4000, .reps = 1, .feeds = "schema test"},
               {.workload = W::kShrink, .n = 2000, .ops = 2000, .reps = 1, .feeds = "schema test"},
               {.workload = W::kReplay, .reps = 1, .feeds = "schema test"},
               {.workload = W::kGrowRead, .n = 3000, .read_pct = 50, .reps = 1, .feeds = "schema test"},
           },
       .trace_n = 2000,
       .trace_ops = 4000,
       .noise_ops = 2000,
       .calibration_ms = 5},
      {.name = "quick",
       .summary = "about 5 minutes on 2 cores; the README's first command: the claims checkable at small n",
       .entries =
           {
               // 5 repetitions where the claims compare tails: under the 80% rule 3 repetitions
               // mean all 3, so one spell of host noise would fail a claim; 5 tolerate one.
               {.n = 1000000, .reps = 5, .feeds = "growth table, spike claims, Go fidelity"},
               {.n = 1000000, .reps = 5, .peers = true, .only = {"go_runtime"}, .feeds = "Go fidelity"},
               {.n = 1000000, .alloc = AllocMode::kSystem, .reps = 5, .maps_only_in_house = true,
                .feeds = "allocation claims"},
               {.n = 200000, .reps = 3, .feeds = "write amplification (8-byte values), open-loop reference"},
               {.value_bytes = 64, .n = 200000, .reps = 3, .feeds = "write amplification"},
               {.value_bytes = 256, .n = 200000, .reps = 3, .feeds = "write amplification"},
               {.n = 200000, .alloc = AllocMode::kSystem, .reps = 3, .peers = true, .only = redis,
                .feeds = "Redis fidelity"},
               {.open = true, .load = 0.7, .n = 200000, .reps = 3, .feeds = "open-loop claims"},
               {.workload = W::kGrowRead, .n = 200000, .read_pct = 50, .reps = 3, .feeds = "lookups during migration"},
               {.workload = W::kShrink, .n = 200000, .ops = 100000, .reps = 3, .feeds = "shrink claims"},
           },
       .trace_n = 100000,
       .trace_ops = 200000},
      {.name = "paper",
       .summary = "about an hour on 2 cores; the reference results",
       .entries =
           {
               {.n = 20000000, .reps = 5, .feeds = "growth table, spike and tail claims, figures 1-4, Go fidelity, scaling"},
               {.n = 20000000, .reps = 5, .peers = true, .only = {"go_runtime"}, .feeds = "Go fidelity figure"},
               {.n = 10000000, .reps = 5, .maps_only_in_house = true, .feeds = "allocation claims, scaling"},
               {.n = 10000000, .alloc = AllocMode::kSystem, .reps = 5, .maps_only_in_house = true,
                .feeds = "allocation claims, fidelity figures"},
               {.n = 4000000, .reps = 3, .feeds = "scaling"},
               {.n = 4000000, .alloc = AllocMode::kSystem, .reps = 3, .peers = true, .only = redis,
                .feeds = "Redis fidelity figure"},
               {.n = 20000000, .alloc = AllocMode::kSystem, .reps = 5, .only = {"go_incremental"},
                .feeds = "Go fidelity figure"},
               {.n = 1000000, .reps = 3, .feeds = "scaling, write amplification (8-byte values), rate sweep reference"},
               {.value_bytes = 64, .n = 1000000, .reps = 3, .feeds = "write amplification"},
               {.value_bytes = 256, .n = 1000000, .reps = 3, .feeds = "write amplification"},
               {.open = true, .load = 0.5, .n = 1000000, .reps = 3, .feeds = "open-loop rate sweep"},
               {.open = true, .load = 0.7, .n = 1000000, .reps = 3, .feeds = "open-loop rate sweep"},
               {.open = true, .load = 0.9, .n = 1000000, .reps = 3, .feeds = "open-loop rate sweep"},
               {.open = true, .rate = kOpenRate, .n = 1000000, .reps = 3, .feeds = "open-loop rate sweep, claims"},
               {.key = "str16", .n = 1000000, .reps = 3, .feeds = "key types table"},
               {.key = "str64", .n = 1000000, .reps = 3, .feeds = "key types table"},
               {.workload = W::kGrowRead, .n = 2000000, .read_pct = 50, .reps = 3, .feeds = "lookups during migration"},
               {.workload = W::kMixed, .n = 1000000, .ops = 2000000, .zipfian = true, .reps = 3,
                .feeds = "workloads table"},
               {.workload = W::kChurn, .n = 1000000, .ops = 2000000, .reps = 3, .feeds = "workloads table"},
               {.workload = W::kShrink, .n = 1000000, .ops = 1000000, .reps = 3, .feeds = "shrink claims"},
           },
       .trace_n = 100000,
       .trace_ops = 200000},
  };
}

std::string human(std::uint64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return std::to_string(n / 1000000) + "M";
  if (n >= 1000 && n % 1000 == 0) return std::to_string(n / 1000) + "k";
  return std::to_string(n);
}

std::string describe(const SuiteEntry& e) {
  std::string s = std::string(workload_name(e.workload)) + " " + e.key + "/v" + std::to_string(e.value_bytes);
  if (e.workload != W::kReplay) s += " N=" + human(e.n);
  if (e.ops != 0) s += " x " + human(e.ops) + " ops";
  if (e.workload == W::kMixed) s += e.zipfian ? " zipfian" : " uniform";
  if (!e.open) s += " closed";
  else if (e.load > 0) s += " open loop at " + std::to_string(static_cast<int>(e.load * 100 + 0.5)) + "% of each map's own (instrumented) throughput";
  else s += " open loop at " + human(static_cast<std::uint64_t>(e.rate)) + " ops/s";
  if (e.alloc != AllocMode::kFresh) s += std::string(" --alloc=") + alloc_mode_name(e.alloc);
  if (e.workload == W::kGrowRead) s += " (" + std::to_string(e.read_pct) + "% finds)";
  if (e.maps_only_in_house) s += ", in-house maps";
  if (!e.only.empty()) {
    s += ", only";
    for (const auto& m : e.only) s += " " + m;
  } else if (e.peers) {
    s += " + peers";
  }
  s += ", R=" + std::to_string(e.reps);
  if (e.feeds[0] != '\0') s += "  [" + std::string(e.feeds) + "]";
  return s;
}

std::string write_trace(const std::string& out_dir, const std::string& name, const Suite& suite, std::uint64_t seed) {
  WorkloadSpec s;
  s.kind = WorkloadKind::kMixed;
  s.n = suite.trace_n;
  s.ops = suite.trace_ops;
  s.seed = seed ^ 0x7472616365ULL;
  s.zipfian = true;
  s.read_pct = 60;
  s.update_pct = 20;
  s.insert_pct = 20;
  Workload w(s);
  std::string text = "# rehashlab suite trace: mixed zipfian 60/20/20 after loading n keys\n";
  for (std::uint64_t i = 0; i < w.load_ops(); ++i) {
    const GenOp g = w.load_op(i);
    text += format_trace_line({g.kind, g.key, g.value >> 1}) + "\n";
  }
  for (std::uint64_t i = 0; i < w.ops(); ++i) {
    const GenOp g = w.next();
    text += format_trace_line({g.kind, g.key, g.value >> 1}) + "\n";
  }
  make_directories(out_dir + "/traces");
  const std::string path = out_dir + "/traces/" + name + ".trace";
  write_file_atomically(path, text);
  return path;
}

}  // namespace

const std::vector<Suite>& suites() {
  static const std::vector<Suite> all = make_suites();
  return all;
}

std::string suites_help() {
  std::string out = "suites (each entry runs for every map unless it says otherwise; seed 1):\n";
  for (const Suite& s : suites()) {
    out += "  " + std::string(s.name) + ": " + s.summary + "\n";
    for (const SuiteEntry& e : s.entries) out += "    " + describe(e) + "\n";
  }
  return out;
}

std::uint64_t order_seed_for(std::uint64_t base_seed) { return mix64(base_seed ^ 0x6f72646572ULL); }

void shuffle_for(std::vector<std::string>& items, std::uint64_t order_seed, unsigned rep, std::size_t entry) {
  std::mt19937_64 rng(mix64(order_seed ^ mix64((std::uint64_t{rep} << 32) + entry)));
  std::shuffle(items.begin(), items.end(), rng);
}

std::vector<RunConfig> build_suite(const std::string& name, const std::vector<std::string>& maps,
                                   const std::string& out_dir, const SuiteOptions& opt, bool materialize) {
  const Suite* suite = nullptr;
  std::string valid;
  for (const Suite& s : suites()) {
    if (name == s.name) suite = &s;
    valid += (valid.empty() ? "" : ", ") + std::string(s.name);
  }
  if (suite == nullptr) throw cli::UsageError("unknown suite '" + name + "' (valid suites: " + valid + ")");
  std::string trace_path = out_dir + "/traces/" + name + ".trace";
  if (materialize) trace_path = write_trace(out_dir, name, *suite, opt.seed);
  const std::uint64_t order_seed = order_seed_for(opt.seed);

  unsigned max_reps = 0;
  for (const SuiteEntry& e : suite->entries) max_reps = std::max(max_reps, opt.reps ? opt.reps : e.reps);
  std::vector<RunConfig> plan;
  for (unsigned rep = 0; rep < max_reps; ++rep) {
    for (std::size_t ei = 0; ei < suite->entries.size(); ++ei) {
      const SuiteEntry& e = suite->entries[ei];
      const unsigned reps = opt.reps ? opt.reps : e.reps;
      if (rep >= reps) continue;
      std::vector<std::string> names;
      for (const std::string& m : maps) {
        const MapEntry& me = require_map(m);
        if (me.kind == MapKind::kPeer) {
          // The real systems run closed-loop insert_growth (their allocation is their own).
          if (!e.peers || e.workload != W::kInsertGrowth || e.open) continue;
        } else {
          if (e.alloc != AllocMode::kFresh && !me.has_alloc_switch) continue;
          if (e.maps_only_in_house && me.kind == MapKind::kAdapter) continue;
        }
        if (!e.only.empty() && std::find(e.only.begin(), e.only.end(), m) == e.only.end()) continue;
        names.push_back(m);
      }
      shuffle_for(names, order_seed, rep, ei);
      for (const std::string& m : names) {
        const MapEntry& me = require_map(m);
        RunConfig c;
        c.map = m;
        c.alloc = me.has_alloc_switch ? std::optional<AllocMode>(e.alloc) : std::nullopt;
        c.workload.kind = e.workload;
        auto scaled = [&](std::uint64_t v) {
          return v == 0 || opt.scale == 1 ? v : std::max<std::uint64_t>(1000, static_cast<std::uint64_t>(v * opt.scale));
        };
        c.workload.n = e.workload == W::kReplay ? suite->trace_n + suite->trace_ops : scaled(e.n);
        c.workload.ops = scaled(e.ops);
        c.workload.zipfian = e.zipfian;
        c.workload.read_pct = e.read_pct;
        c.workload.update_pct = e.update_pct;
        c.workload.insert_pct = e.insert_pct;
        if (e.workload == W::kReplay) c.workload.trace_path = trace_path;
        c.key = e.key;
        c.value_bytes = e.value_bytes;
        c.open_loop = e.open;
        c.rate = e.open ? e.rate : 0;
        c.load = e.open ? e.load : 0;
        c.base_seed = opt.seed;
        c.base_hash_seed = kDefaultHashSeed;
        c.rep = rep;
        c.reps = reps;
        c.workload.seed = derive_seed(c.base_seed, rep, 0);
        c.hash_seed = derive_seed(c.base_hash_seed, rep, 1);
        c.timer = opt.timer;
        c.noise_ops = suite->noise_ops;
        c.calibration_ms = suite->calibration_ms;
        c.out_dir = out_dir;
        if (m == "go_runtime") {
          for (bool gc : {true, false}) {
            c.go_gc = gc;
            plan.push_back(c);
          }
        } else {
          plan.push_back(c);
        }
      }
    }
  }
  return plan;
}

}  // namespace rehashlab
