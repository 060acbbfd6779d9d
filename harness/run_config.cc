#include "harness/run_config.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "harness/commands.h"
#include "maps/registry.h"
#include "workloads/trace.h"

namespace rehashlab {

const std::vector<std::string> kRunFlags = {
    "n", "ops", "rate", "seed", "hash-seed", "key", "value-bytes", "window", "top-k", "noise-ops",
    "maintenance", "maintenance-interval-ms", "maintenance-budget-us", "timer", "calibration-ms",
    "read", "update", "insert", "dist", "theta", "trace", "out", "alloc"};

namespace {
std::string fmt_double(double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}
}  // namespace

std::string RunConfig::run_id() const {
  std::string id = std::string(workload_name(workload.kind)) + "." + key + ".v" + std::to_string(value_bytes) + "." +
                   mode_name() + "." + map + ".n" + std::to_string(workload.n);
  if (workload.kind == WorkloadKind::kMixed) id += workload.zipfian ? ".zipf" : ".unif";
  if (alloc != AllocMode::kFresh) id += std::string(".") + alloc_mode_name(alloc);
  return id;
}

std::string RunConfig::checksum_group() const {
  std::string g = std::string(workload_name(workload.kind)) + "." + key + ".v" + std::to_string(value_bytes) + ".n" +
                  std::to_string(workload.n);
  if (workload.kind == WorkloadKind::kMixed) g += workload.zipfian ? ".zipf" : ".unif";
  return g;
}

std::vector<std::string> RunConfig::to_child_args() const {
  std::vector<std::string> a = {
      "--map=" + map,
      "--workload=" + std::string(workload_name(workload.kind)),
      "--mode=" + mode_name(),
      "--seed=" + std::to_string(workload.seed),
      "--hash-seed=" + std::to_string(hash_seed),
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
  if (alloc != AllocMode::kFresh) a.push_back(std::string("--alloc=") + alloc_mode_name(alloc));
  if (!workload.trace_path.empty()) a.push_back("--trace=" + workload.trace_path);
  return a;
}

void require_supported_types(const std::string& key, unsigned value_bytes) {
  if (key != "u64" && key != "str16" && key != "str64") {
    throw cli::UsageError("--key=" + key + ": expected u64, str16 or str64");
  }
  if (value_bytes != 8 && value_bytes != 64 && value_bytes != 256) {
    throw cli::UsageError("--value-bytes=" + std::to_string(value_bytes) + ": expected 8, 64 or 256");
  }
  if (key != "u64" && value_bytes != 8) {
    throw cli::UsageError("--key=" + key + " --value-bytes=" + std::to_string(value_bytes) +
                          ": string keys are built with 8-byte values only (instantiated pairs: u64 x "
                          "8/64/256, str16 x 8, str64 x 8)");
  }
}

WorkloadKind parse_workload_flag(const std::string& name) {
  try {
    return parse_workload(name);
  } catch (const std::invalid_argument& e) {
    throw cli::UsageError(e.what());
  }
}

void parse_run_flags(const cli::Args& args, RunConfig& cfg) {
  WorkloadSpec& w = cfg.workload;
  if (w.kind == WorkloadKind::kReplay) {
    w.trace_path = args.get("trace");
    if (args.has("n")) throw cli::UsageError("--n is the trace length for --workload=replay; do not give it");
    w.n = load_trace(w.trace_path).size();  // TraceError -> exit 2
  } else {
    if (args.has("trace")) throw cli::UsageError("--trace is only for --workload=replay");
    w.n = args.get_u64("n", 0);
    if (w.n == 0) throw cli::UsageError("missing or zero --n=... (number of entries, e.g. --n=1M)");
  }
  w.ops = args.get_u64("ops", 0);
  w.seed = args.get_u64("seed", 1);
  cfg.hash_seed = args.get_u64("hash-seed", kDefaultHashSeed);
  cfg.key = args.get("key", "u64");
  cfg.value_bytes = static_cast<unsigned>(args.get_u64("value-bytes", 8));
  require_supported_types(cfg.key, cfg.value_bytes);
  if (w.kind == WorkloadKind::kReplay && (cfg.key != "u64" || cfg.value_bytes != 8)) {
    throw cli::UsageError("--workload=replay: traces hold u64 keys and values (--key=u64 --value-bytes=8)");
  }
  cfg.window = args.get_u64("window", 4096);
  if (cfg.window == 0) throw cli::UsageError("--window must be > 0");
  cfg.top_k = static_cast<int>(args.get_u64("top-k", 16));
  if (cfg.top_k > 256) throw cli::UsageError("--top-k must be <= 256");
  cfg.noise_ops = args.get_u64("noise-ops", 200000);
  const std::string maint = args.get("maintenance", "on");
  if (maint != "on" && maint != "off") throw cli::UsageError("--maintenance=" + maint + ": expected on or off");
  cfg.maintenance = maint == "on";
  cfg.maintenance_interval_ms = args.get_double("maintenance-interval-ms", 100);
  cfg.maintenance_budget_us = args.get_double("maintenance-budget-us", 1000);
  if (cfg.maintenance_interval_ms <= 0 || cfg.maintenance_budget_us < 0) {
    throw cli::UsageError("--maintenance-interval-ms must be > 0 and --maintenance-budget-us >= 0");
  }
  cfg.timer = args.get("timer", "auto");
  if (cfg.timer != "auto" && cfg.timer != "tsc" && cfg.timer != "steady") {
    throw cli::UsageError("--timer=" + cfg.timer + ": expected auto, tsc or steady");
  }
  cfg.calibration_ms = args.get_double("calibration-ms", 20);
  if (cfg.calibration_ms < 1 || cfg.calibration_ms > 10000) throw cli::UsageError("--calibration-ms must be in [1, 10000]");
  w.read_pct = static_cast<unsigned>(args.get_u64("read", 50));
  w.update_pct = static_cast<unsigned>(args.get_u64("update", 45));
  w.insert_pct = static_cast<unsigned>(args.get_u64("insert", 5));
  if (w.read_pct + w.update_pct + w.insert_pct != 100) {
    throw cli::UsageError("--read + --update + --insert must sum to 100");
  }
  const std::string dist = args.get("dist", "uniform");
  if (dist != "uniform" && dist != "zipfian") throw cli::UsageError("--dist=" + dist + ": expected uniform or zipfian");
  w.zipfian = dist == "zipfian";
  w.theta = args.get_double("theta", 0.99);
  if (!(w.theta > 0 && w.theta < 1)) throw cli::UsageError("--theta must be in (0, 1)");
  if (w.kind == WorkloadKind::kShrink && w.n < 100) throw cli::UsageError("shrink needs --n >= 100");
  if (cfg.open_loop) {
    // Accepts a plain number or a k/M/G suffix (--rate=1M).
    std::string text = args.get("rate", "0");
    double mult = 1;
    if (!text.empty() && (text.back() == 'k' || text.back() == 'K')) mult = 1e3;
    if (!text.empty() && (text.back() == 'm' || text.back() == 'M')) mult = 1e6;
    if (!text.empty() && (text.back() == 'g' || text.back() == 'G')) mult = 1e9;
    if (mult != 1) text.pop_back();
    cli::Args one;
    one.flags["rate"] = text;
    cfg.rate = one.get_double("rate", 0) * mult;
    if (!(cfg.rate > 0)) throw cli::UsageError("--mode=open needs --rate=OPS_PER_SEC > 0");
  } else if (args.has("rate")) {
    throw cli::UsageError("--rate is only for --mode=open");
  }
  cfg.alloc = parse_alloc_mode(args.get("alloc", "fresh"));
  cfg.out_dir = args.get("out");
}

namespace {
// Names of the maps whose constructor takes an AllocMode (the in-house ones).
std::vector<std::string> alloc_maps() {
  std::vector<std::string> names;
  AllMaps::for_each_map<std::uint64_t, std::uint64_t, SeededHash<std::uint64_t>>([&]<class M>(std::type_identity<M>) {
    if constexpr (std::is_constructible_v<M, const typename M::hasher&, MemoryCounter&, AllocMode>) {
      names.emplace_back(M::kName);
    }
  });
  return names;
}
}  // namespace

AllocMode parse_alloc_mode(const std::string& name) {
  if (name == "fresh") return AllocMode::kFresh;
  if (name == "system") return AllocMode::kSystem;
  if (name == "naive") return AllocMode::kNaive;
  throw cli::UsageError("--alloc=" + name + ": expected fresh, system or naive");
}

bool has_alloc_switch(const std::string& map) {
  const auto names = alloc_maps();
  return std::find(names.begin(), names.end(), map) != names.end();
}

void require_alloc_supported(const RunConfig& cfg) {
  if (cfg.alloc == AllocMode::kFresh || has_alloc_switch(cfg.map)) return;
  std::string names;
  for (const auto& n : alloc_maps()) names += (names.empty() ? "" : ", ") + n;
  throw cli::UsageError(std::string("--alloc=") + alloc_mode_name(cfg.alloc) + ": map '" + cfg.map +
                        "' has no such switch (maps that have one: " + names +
                        ")");
}

}  // namespace rehashlab
