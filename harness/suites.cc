#include "harness/suites.h"

#include <string>

#include "harness/atomic_file.h"
#include "harness/commands.h"
#include "workloads/workload.h"

namespace rehashlab {
namespace {

struct Entry {
  WorkloadKind kind;
  const char* key;
  unsigned value_bytes;
  bool open;
  std::uint64_t n;
  std::uint64_t ops;  // 0: N
  bool zipfian;
  AllocMode alloc = AllocMode::kFresh;  // other modes: only the maps that have the switch
};

// ops/s for every open-loop entry: below every map's sustained insert rate at 10M
// entries (timer included), so the queue drains between spikes and response time
// shows the spikes rather than a permanent overload.
constexpr double kOpenRate = 5e5;

using W = WorkloadKind;

// smoke: tiny, for the schema test (every workload, both modes, a few seconds total).
const std::vector<Entry> kSmoke = {
    {W::kInsertGrowth, "u64", 8, false, 3000, 0, false},
    {W::kInsertGrowth, "u64", 8, true, 3000, 0, false},
    {W::kInsertGrowth, "u64", 8, false, 3000, 0, false, AllocMode::kNaive},
    {W::kMixed, "u64", 8, false, 2000, 4000, true},
    {W::kChurn, "u64", 8, false, 2000, 4000, false},
    {W::kShrink, "u64", 8, false, 2000, 2000, false},
    {W::kReplay, "u64", 8, false, 0, 0, false},
};

const std::vector<Entry> kQuick = {
    {W::kInsertGrowth, "u64", 8, false, 200000, 0, false},
    {W::kInsertGrowth, "u64", 8, true, 200000, 0, false},
    {W::kInsertGrowth, "u64", 8, false, 200000, 0, false, AllocMode::kNaive},
    {W::kInsertGrowth, "u64", 64, false, 100000, 0, false},
    {W::kInsertGrowth, "u64", 256, false, 100000, 0, false},
    {W::kInsertGrowth, "str16", 8, false, 100000, 0, false},
    {W::kInsertGrowth, "str64", 8, false, 100000, 0, false},
    {W::kMixed, "u64", 8, false, 100000, 200000, true},
    {W::kMixed, "u64", 8, false, 100000, 200000, false},
    {W::kChurn, "u64", 8, false, 100000, 200000, false},
    {W::kShrink, "u64", 8, false, 100000, 100000, false},
    {W::kReplay, "u64", 8, false, 0, 0, false},
};

const std::vector<Entry> kPaper = {
    {W::kInsertGrowth, "u64", 8, false, 20000000, 0, false},
    {W::kInsertGrowth, "u64", 8, false, 10000000, 0, false},
    {W::kInsertGrowth, "u64", 8, true, 10000000, 0, false},
    {W::kInsertGrowth, "u64", 8, false, 10000000, 0, false, AllocMode::kNaive},
    {W::kInsertGrowth, "u64", 8, false, 1000000, 0, false},
    {W::kInsertGrowth, "u64", 64, false, 2000000, 0, false},
    {W::kInsertGrowth, "u64", 256, false, 2000000, 0, false},
    {W::kInsertGrowth, "str16", 8, false, 2000000, 0, false},
    {W::kInsertGrowth, "str64", 8, false, 2000000, 0, false},
    {W::kMixed, "u64", 8, false, 2000000, 4000000, true},
    {W::kMixed, "u64", 8, false, 2000000, 4000000, false},
    {W::kChurn, "u64", 8, false, 2000000, 4000000, false},
    {W::kShrink, "u64", 8, false, 2000000, 2000000, false},
    {W::kReplay, "u64", 8, false, 0, 0, false},
};

// Replay traces: a zipfian mixed workload (load + measured ops) written as a trace.
struct TraceSpec {
  std::uint64_t n, ops;
};

std::string write_trace(const std::string& out_dir, const std::string& name, TraceSpec t, std::uint64_t seed) {
  WorkloadSpec s;
  s.kind = WorkloadKind::kMixed;
  s.n = t.n;
  s.ops = t.ops;
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

const std::vector<std::string>& suite_names() {
  static const std::vector<std::string> names = {"smoke", "quick", "paper"};
  return names;
}

const char* const kSuiteHelp = R"(suites (each entry runs for every map; open loop at 500k ops/s; seed 1):
  smoke  (seconds; used by the schema test) insert_growth u64 N=3000 closed+open (+ closed
         with --alloc=naive for the in-house maps),
         mixed zipf N=2000 x 4000 ops, churn N=2000 x 4000, shrink N=2000, replay 6000 ops
  quick  (< 3 min on 2 cores) insert_growth u64/v8 N=200k closed+open (+ naive zero fill,
         in-house maps); u64/v64, u64/v256,
         str16, str64 N=100k; mixed zipfian+uniform N=100k x 200k ops; churn N=100k x 200k;
         shrink N=100k (+100k reads); replay of a 300k-op zipfian trace
  paper  (< ~25 min) insert_growth u64/v8 N=20M, 10M closed+open (+ naive zero fill,
         in-house maps), 1M; u64/v64, u64/v256,
         str16, str64 N=2M; mixed zipfian+uniform N=2M x 4M ops; churn N=2M x 4M;
         shrink N=2M (+2M reads); replay of a 3M-op zipfian trace
)";

std::vector<RunConfig> build_suite(const std::string& name, const std::vector<std::string>& maps,
                                   const std::string& out_dir, const SuiteOptions& opt, bool materialize) {
  const std::vector<Entry>* entries = nullptr;
  TraceSpec trace{};
  if (name == "smoke") {
    entries = &kSmoke;
    trace = {2000, 4000};
  } else if (name == "quick") {
    entries = &kQuick;
    trace = {100000, 200000};
  } else if (name == "paper") {
    entries = &kPaper;
    trace = {1000000, 2000000};
  } else {
    throw cli::UsageError("unknown suite '" + name + "' (valid suites: smoke, quick, paper)");
  }
  std::string trace_path = out_dir + "/traces/" + name + ".trace";
  if (materialize) trace_path = write_trace(out_dir, name, trace, opt.seed);
  std::vector<RunConfig> plan;
  for (const Entry& e : *entries) {
    for (const auto& m : maps) {
      if (e.alloc != AllocMode::kFresh && !has_alloc_switch(m)) continue;
      RunConfig c;
      c.map = m;
      c.alloc = e.alloc;
      c.workload.kind = e.kind;
      c.workload.n = e.kind == W::kReplay ? trace.n + trace.ops : e.n;
      c.workload.ops = e.ops;
      c.workload.seed = opt.seed;
      c.workload.zipfian = e.zipfian;
      if (e.kind == W::kReplay) c.workload.trace_path = trace_path;
      c.key = e.key;
      c.value_bytes = e.value_bytes;
      c.open_loop = e.open;
      c.rate = e.open ? kOpenRate : 0;
      c.hash_seed = kDefaultHashSeed;
      c.timer = opt.timer;
      c.out_dir = out_dir;
      if (name == "smoke") {
        c.noise_ops = 20000;
        c.calibration_ms = 5;
      }
      plan.push_back(c);
    }
  }
  return plan;
}

}  // namespace rehashlab
