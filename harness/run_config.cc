#include "harness/run_config.h"

#include <unistd.h>

#include <cstdio>
#include <stdexcept>

#include "maps/hash.h"
#include "workloads/trace.h"

namespace rehashlab {
namespace {

std::string fmt_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

// What tells apart two runs of one workload at one n: the key distribution of
// mixed, the read share of grow_read.
std::string workload_suffix(const WorkloadSpec& w) {
  if (w.kind == WorkloadKind::kMixed) return w.zipfian ? ".zipf" : ".unif";
  if (w.kind == WorkloadKind::kGrowRead) return ".r" + std::to_string(w.read_pct);
  return "";
}

}  // namespace

std::uint64_t derive_seed(std::uint64_t base, unsigned rep, unsigned salt) {
  if (rep == 0) return base;
  return mix64(base ^ mix64((std::uint64_t{rep} << 1 | salt) * 0x9e3779b97f4a7c15ULL));
}

std::string RunConfig::group() const {
  std::string id = std::string(workload_name(workload.kind)) + "." + key + ".v" + std::to_string(value_bytes) + "." +
                   mode_name() + "." + map + ".n" + std::to_string(workload.n) + workload_suffix(workload);
  if (open_loop && load > 0) id += ".load" + std::to_string(static_cast<int>(load * 100 + 0.5));
  if (alloc && *alloc != AllocMode::kFresh) id += std::string(".") + alloc_mode_name(*alloc);
  if (go_gc && !*go_gc) id += ".gcoff";
  return id;
}

std::string RunConfig::run_id() const { return reps > 1 ? group() + ".rep" + std::to_string(rep) : group(); }

std::string RunConfig::checksum_group() const {
  return std::string(workload_name(workload.kind)) + "." + key + ".v" + std::to_string(value_bytes) + ".n" +
         std::to_string(workload.n) + workload_suffix(workload) + ".rep" + std::to_string(rep);
}

std::vector<std::string> RunConfig::to_child_args() const {
  std::vector<std::string> a = {
      "--map=" + map,
      "--workload=" + std::string(workload_name(workload.kind)),
      "--mode=" + mode_name(),
      "--seed=" + std::to_string(workload.seed),
      "--hash-seed=" + std::to_string(hash_seed),
      "--base-seed=" + std::to_string(base_seed),
      "--base-hash-seed=" + std::to_string(base_hash_seed),
      "--rep=" + std::to_string(rep),
      "--reps=" + std::to_string(reps),
      "--key=" + key,
      "--value-bytes=" + std::to_string(value_bytes),
      "--window=" + std::to_string(window),
      "--top-k=" + std::to_string(top_k),
      "--noise-ops=" + std::to_string(noise_ops),
      "--maintenance=" + std::string(maintenance ? "on" : "off"),
      "--maintenance-interval-ms=" + fmt_double(maintenance_interval_ms),
      "--maintenance-budget-us=" + fmt_double(maintenance_budget_us),
      "--timer=" + timer,
      "--calibration-ms=" + fmt_double(calibration_ms),
      "--uninstrumented=" + std::string(uninstrumented ? "on" : "off"),
      "--read=" + std::to_string(workload.read_pct),
      "--update=" + std::to_string(workload.update_pct),
      "--insert=" + std::to_string(workload.insert_pct),
      "--dist=" + std::string(workload.zipfian ? "zipfian" : "uniform"),
      "--theta=" + fmt_double(workload.theta),
      "--out=" + out_dir,
  };
  if (workload.kind != WorkloadKind::kReplay) a.push_back("--n=" + std::to_string(workload.n));
  if (workload.ops != 0) a.push_back("--ops=" + std::to_string(workload.ops));
  if (open_loop) a.push_back("--rate=" + fmt_double(rate));
  if (open_loop && load > 0) a.push_back("--load=" + fmt_double(load));
  if (alloc) a.push_back(std::string("--alloc=") + alloc_mode_name(*alloc));
  if (go_gc) a.push_back(std::string("--go-gc=") + (*go_gc ? "on" : "off"));
  if (!workload.trace_path.empty()) a.push_back("--trace=" + workload.trace_path);
  return a;
}

void add_run_flags(CLI::App& app, RunFlags& f) {
  cli::add_count(app, "n", f.n,
                 "entries (k/M/G suffixes): insert_growth inserts N; mixed/churn/shrink load N keys untimed "
                 "first; replay: not allowed (N = trace length)");
  cli::add_count(app, "ops", f.ops, "measured ops for mixed/churn, reads after the erases for shrink (default N)");
  app.add_option_function<std::string>(
         "--rate", [&f](const std::string& v) { f.rate = cli::parse_scaled_number(v, "rate"); },
         "open loop: operation i is scheduled at t0 + i/OPS (k/M suffixes); response time = end - scheduled "
         "start (required with --mode=open)")
      ->multi_option_policy(CLI::MultiOptionPolicy::Throw)
      ->type_name("OPS");
  cli::add_text(app, "out", f.out, "results directory (created; files replaced atomically)");
  cli::add_count(app, "seed", f.seed, "workload seed (default 1): same seed, same ops, same checksum");
  cli::add_count(app, "hash-seed", f.hash_seed, "seed of the maps' SeededHash (default 0x5eed5eed5eed5eed)");
  cli::add_choice(app, "key", f.key, {"u64", "str16", "str64"}, "key type (default u64)");
  cli::add_count(app, "value-bytes", f.value_bytes, "value size: 8, 64 or 256 (default 8); string keys: 8 only");
  cli::add_count(app, "read", f.read,
                 "mixed: percentage of reads (default 50), --read + --update + --insert = 100; grow_read: the "
                 "share of finds among all ops, 1..99 (default 50)");
  cli::add_count(app, "update", f.update, "mixed: percentage of updates (default 45)");
  cli::add_count(app, "insert", f.insert, "mixed: percentage of inserts (default 5)");
  cli::add_choice(app, "dist", f.dist, {"uniform", "zipfian"}, "mixed: key choice for reads/updates (default uniform)");
  cli::add_number(app, "theta", f.theta, "zipfian exponent in (0, 1) (default 0.99)");
  cli::add_text(app, "trace", f.trace, "replay: the trace (format in workloads/trace.h)");
  cli::add_count(app, "window", f.window, "timeline window in ops (default 4096)");
  cli::add_count(app, "top-k", f.top_k, "slowest ops kept with their index, 1..256 (default 16)");
  cli::add_count(app, "noise-ops", f.noise_ops,
                 "empty timed ops interleaved with the measured ops over the whole run: the noise floor "
                 "(default 200000; 0: none)");
  cli::add_on_off(app, "maintenance", f.maintenance, "call map.maintenance(budget) on a schedule (default on)");
  cli::add_number(app, "maintenance-interval-ms", f.maintenance_interval_ms, "run time between calls (default 100)");
  cli::add_number(app, "maintenance-budget-us", f.maintenance_budget_us, "budget per call (default 1000)");
  cli::add_choice(app, "timer", f.timer, {"auto", "tsc", "steady"}, "clock source (default auto: TSC if invariant)");
  cli::add_number(app, "calibration-ms", f.calibration_ms, "TSC calibration against CLOCK_MONOTONIC (default 20)");
  cli::add_on_off(app, "uninstrumented", f.uninstrumented,
                  "closed loop: also time the same ops on a fresh map as a whole (default on)");
}

void require_supported_types(const std::string& key, unsigned value_bytes) {
  if (value_bytes != 8 && value_bytes != 64 && value_bytes != 256) {
    throw cli::UsageError("--value-bytes=" + std::to_string(value_bytes) + ": expected 8, 64 or 256");
  }
  if (key != "u64" && value_bytes != 8) {
    throw cli::UsageError("--key=" + key + " --value-bytes=" + std::to_string(value_bytes) +
                          ": string keys are built with 8-byte values only (instantiated pairs: u64 x "
                          "{8, 64, 256}, str16 x 8, str64 x 8)");
  }
}

WorkloadKind parse_workload_flag(const std::string& name) {
  try {
    return parse_workload(name);
  } catch (const std::invalid_argument& e) {
    throw cli::UsageError(e.what());
  }
}

void require_fits_in_memory(const RunConfig& cfg) {
  const WorkloadSpec& w = cfg.workload;
  const double key_bytes = cfg.key == "u64" ? 8 : cfg.key == "str16" ? 16 : 64;
  // Distinct keys a run can hold at once: the load, plus every measured op for
  // the workloads that insert (an upper bound).
  const double ops = static_cast<double>(w.ops != 0 ? w.ops : w.n);
  const double keys = static_cast<double>(w.n) + (w.kind == WorkloadKind::kMixed ? ops : 0);
  // Peak bytes per entry: every map measured here stays below 3x the payload plus
  // 64 bytes (two arrays alive during a doubling, node headers, load factor).
  const double per_entry = 3 * (key_bytes + cfg.value_bytes) + 64;
  const double need = keys * per_entry;
  const double have = static_cast<double>(::sysconf(_SC_PHYS_PAGES)) * static_cast<double>(::sysconf(_SC_PAGESIZE));
  if (have > 0 && need > have) {
    char msg[256];
    std::snprintf(msg, sizeof msg,
                  "--n=%llu: this run needs about %.3g GiB at its peak (estimate: %.0f bytes per entry); this "
                  "machine has %.1f GiB",
                  static_cast<unsigned long long>(w.n), need / 1073741824.0, per_entry, have / 1073741824.0);
    throw cli::UsageError(msg);
  }
}

AllocMode parse_alloc_mode(const std::string& name) {
  if (name == "fresh") return AllocMode::kFresh;
  if (name == "system") return AllocMode::kSystem;
  if (name == "naive") return AllocMode::kNaive;
  throw cli::UsageError("--alloc=" + name + ": expected fresh, system or naive");
}

RunConfig resolve_run(const CLI::App& app, const RunFlags& f, WorkloadKind workload, bool open) {
  RunConfig cfg;
  WorkloadSpec& w = cfg.workload;
  w.kind = workload;
  cfg.open_loop = open;
  if (w.kind == WorkloadKind::kReplay) {
    if (f.trace.empty()) throw cli::UsageError("missing required flag --trace=... (--workload=replay)");
    if (cli::given(app, "n")) throw cli::UsageError("--n is the trace length for --workload=replay; do not give it");
    w.trace_path = f.trace;
    w.n = load_trace(w.trace_path).size();  // TraceError -> exit 2
  } else {
    if (!f.trace.empty()) throw cli::UsageError("--trace is only for --workload=replay");
    if (f.n == 0) throw cli::UsageError("missing or zero --n=... (number of entries, e.g. --n=1M)");
    w.n = f.n;
  }
  w.ops = f.ops;
  w.seed = f.seed;
  cfg.base_seed = f.seed;
  cfg.hash_seed = cfg.base_hash_seed = f.hash_seed;
  cfg.key = f.key;
  if (f.value_bytes != 8 && f.value_bytes != 64 && f.value_bytes != 256) {
    throw cli::UsageError("--value-bytes=" + std::to_string(f.value_bytes) + ": expected 8, 64 or 256");
  }
  cfg.value_bytes = static_cast<unsigned>(f.value_bytes);
  require_supported_types(cfg.key, cfg.value_bytes);
  if (w.kind == WorkloadKind::kReplay && (cfg.key != "u64" || cfg.value_bytes != 8)) {
    throw cli::UsageError("--workload=replay: traces hold u64 keys and values (--key=u64 --value-bytes=8)");
  }
  if (f.window == 0) throw cli::UsageError("--window must be > 0");
  cfg.window = f.window;
  if (f.top_k < 1 || f.top_k > 256) throw cli::UsageError("--top-k must be in [1, 256]");
  cfg.top_k = static_cast<int>(f.top_k);
  cfg.noise_ops = f.noise_ops;
  cfg.maintenance = f.maintenance;
  cfg.maintenance_interval_ms = f.maintenance_interval_ms;
  cfg.maintenance_budget_us = f.maintenance_budget_us;
  if (!(cfg.maintenance_interval_ms > 0) || cfg.maintenance_budget_us < 0) {
    throw cli::UsageError("--maintenance-interval-ms must be > 0 and --maintenance-budget-us >= 0");
  }
  cfg.timer = f.timer;
  cfg.calibration_ms = f.calibration_ms;
  if (!(cfg.calibration_ms >= 1 && cfg.calibration_ms <= 10000)) {
    throw cli::UsageError("--calibration-ms must be in [1, 10000]");
  }
  cfg.uninstrumented = f.uninstrumented;
  if (workload == WorkloadKind::kMixed && f.read + f.update + f.insert != 100) {
    throw cli::UsageError("--read + --update + --insert must sum to 100");
  }
  if (workload == WorkloadKind::kGrowRead && (f.read < 1 || f.read > 99)) {
    throw cli::UsageError("--workload=grow_read: --read must be in [1, 99] (the share of finds)");
  }
  w.read_pct = static_cast<unsigned>(f.read);
  w.update_pct = static_cast<unsigned>(f.update);
  w.insert_pct = static_cast<unsigned>(f.insert);
  w.zipfian = f.dist == "zipfian";
  w.theta = f.theta;
  if (!(w.theta > 0 && w.theta < 1)) throw cli::UsageError("--theta must be in (0, 1)");
  if (w.kind == WorkloadKind::kShrink && w.n < 100) throw cli::UsageError("shrink needs --n >= 100");
  if (open) {  // (callers reject --rate when no run is open loop)
    if (!(f.rate > 0)) throw cli::UsageError("--mode=open needs --rate=OPS_PER_SEC > 0");
    cfg.rate = f.rate;
  }
  cfg.out_dir = f.out;
  require_fits_in_memory(cfg);
  return cfg;
}

}  // namespace rehashlab
