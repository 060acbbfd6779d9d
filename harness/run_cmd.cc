// The `run`, `run-one` and `suite` verbs.
//   run       plan = maps x workloads x modes from the flags; each runs in a child.
//   run-one   (internal) one map x one workload x one mode in this process.
//   suite     a named plan (harness/suites.cc) over every registered map.
#include <cstdio>
#include <set>
#include <sstream>

#include "harness/commands.h"
#include "harness/executor.h"
#include "harness/run_config.h"
#include "harness/suites.h"
#include "maps/registry.h"

namespace rehashlab {
namespace {

std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (item.empty()) throw cli::UsageError("empty item in list '" + s + "'");
    out.push_back(item);
  }
  return out;
}

std::vector<std::string> parse_maps(const std::string& list) {
  std::vector<std::string> maps;
  if (list == "all") {
    for (auto n : AllMaps::names()) maps.emplace_back(n);
    return maps;
  }
  for (const auto& m : split_list(list)) {
    require_map_name(m);
    maps.push_back(m);
  }
  return maps;
}

bool parse_mode(const std::string& m) {
  if (m == "closed") return false;
  if (m == "open") return true;
  throw cli::UsageError("--mode=" + m + ": expected closed or open (or a list: closed,open)");
}

std::set<std::string> with(std::vector<std::string> extra) {
  std::set<std::string> s(kRunFlags.begin(), kRunFlags.end());
  s.insert(extra.begin(), extra.end());
  return s;
}

std::vector<std::string> argv_of(int argc, char** argv) { return std::vector<std::string>(argv, argv + argc); }

}  // namespace

int run_command(const cli::Args& args, int argc, char** argv) {
  args.allow_only(with({"maps", "workload", "mode"}));
  const std::vector<std::string> maps = parse_maps(args.get("maps"));
  std::vector<WorkloadKind> workloads;
  for (const auto& w : split_list(args.get("workload"))) workloads.push_back(parse_workload_flag(w));
  std::vector<bool> modes;
  for (const auto& m : split_list(args.get("mode", "closed"))) modes.push_back(parse_mode(m));
  const bool any_open = std::find(modes.begin(), modes.end(), true) != modes.end();
  if (args.has("rate") && !any_open) throw cli::UsageError("--rate is only for --mode=open");

  std::vector<RunConfig> plan;
  for (WorkloadKind wk : workloads) {
    for (bool open : modes) {
      RunConfig base;
      base.workload.kind = wk;
      base.open_loop = open;
      cli::Args a = args;
      if (!open) a.flags.erase("rate");
      parse_run_flags(a, base);
      for (const auto& m : maps) {
        RunConfig c = base;
        c.map = m;
        require_alloc_supported(c);
        plan.push_back(c);
      }
    }
  }
  return execute_plan("run", plan, args.get("out"), argv_of(argc, argv));
}

int run_one_command(const cli::Args& args, int argc, char** argv) {
  args.allow_only(with({"map", "workload", "mode"}));
  RunConfig cfg;
  cfg.map = args.get("map");
  require_map_name(cfg.map);
  cfg.workload.kind = parse_workload_flag(args.get("workload"));
  cfg.open_loop = parse_mode(args.get("mode", "closed"));
  parse_run_flags(args, cfg);
  require_alloc_supported(cfg);
  (void)argc;
  (void)argv;
  if (cfg.key == "u64" && cfg.value_bytes == 8) return run_one_u64_v8(cfg);
  if (cfg.key == "u64" && cfg.value_bytes == 64) return run_one_u64_v64(cfg);
  if (cfg.key == "u64" && cfg.value_bytes == 256) return run_one_u64_v256(cfg);
  if (cfg.key == "str16") return run_one_str16_v8(cfg);
  return run_one_str64_v8(cfg);
}

int suite_command(const cli::Args& args, int argc, char** argv) {
  args.allow_only({"name", "out", "maps", "seed", "dry-run", "timer"});
  const std::string name = args.get("name");
  const std::string out = args.get("out");
  const std::vector<std::string> maps = parse_maps(args.get("maps", "all"));
  SuiteOptions opt;
  opt.seed = args.get_u64("seed", 1);
  opt.timer = args.get("timer", "auto");
  if (opt.timer != "auto" && opt.timer != "tsc" && opt.timer != "steady") {
    throw cli::UsageError("--timer=" + opt.timer + ": expected auto, tsc or steady");
  }
  const std::vector<RunConfig> plan = build_suite(name, maps, out, opt, !args.has("dry-run"));
  if (args.has("dry-run")) {
    for (const auto& c : plan) std::printf("%s\n", c.run_id().c_str());
    return 0;
  }
  return execute_plan(name, plan, out, argv_of(argc, argv));
}

}  // namespace rehashlab
