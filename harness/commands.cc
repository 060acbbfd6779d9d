// The verbs:
//   list      every map and peer name (--long: kind and description)
//   replay    one trace through one map, result as one JSON line
//   run       plan = maps x workloads x modes x allocation modes x repetitions;
//             each run in a child process
//   run-one   (internal) one run in this process; `run` and `suite` use it
//   suite     a named plan (harness/suites.cc)
//   help      every verb's flags
#include "harness/commands.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <iostream>
#include <set>

#include "harness/catalog.h"
#include "harness/cli.h"
#include "harness/executor.h"
#include "harness/json.h"
#include "harness/peers.h"
#include "harness/run_config.h"
#include "harness/suites.h"
#include "maps/registry.h"
#include "workloads/apply.h"
#include "workloads/trace.h"

namespace rehashlab {

struct Commands {
  CLI::App* list = nullptr;
  CLI::App* replay = nullptr;
  CLI::App* run = nullptr;
  CLI::App* run_one = nullptr;
  CLI::App* suite = nullptr;
  CLI::App* help = nullptr;

  bool list_long = false;
  // replay
  std::string map, trace;
  std::uint64_t hash_seed = kDefaultHashSeed;
  // run / run-one
  RunFlags run_flags, one_flags;
  std::vector<std::string> maps, workloads, modes = {"closed"}, allocs = {"fresh"}, go_gcs = {"on"};
  std::uint64_t reps = 1;
  std::string one_workload, one_mode = "closed", one_alloc, one_go_gc;
  std::uint64_t one_rep = 0, one_reps = 1, one_base_seed = 1, one_base_hash_seed = kDefaultHashSeed;
  double one_load = 0;
  // suite
  std::string suite_name, suite_out, suite_timer = "auto";
  std::vector<std::string> suite_maps;
  std::uint64_t suite_seed = 1, suite_reps = 0;
  double suite_scale = 1;
  bool dry_run = false;
};

namespace {

const char* const kAllocHelp =
    "in-house maps: fresh = large arrays from fresh zero pages, the old one returned in bounded chunks "
    "(rehashlab's own; default); system = the platform allocator, calloc + one free (as the real systems); "
    "naive = operator new + memset + one free. Run ids of system/naive runs end in .system/.naive";

int list_command(const Commands& c) {
  std::string out;
  for (const MapEntry& e : map_catalog()) {
    if (!c.list_long) {
      out += e.name + "\n";
      continue;
    }
    char line[512];
    std::snprintf(line, sizeof line, "%-16s %-9s %s\n", e.name.c_str(), kind_name(e.kind), e.description.c_str());
    out += line;
  }
  cli::write_stdout(out);
  return 0;
}

int replay_command(const Commands& c) {
  const MapEntry& entry = require_map(c.map);
  if (entry.kind == MapKind::kPeer) {
    for (const PeerInfo& p : peer_list()) {
      if (p.name == c.map && p.replay != nullptr) return p.replay(c.trace, c.hash_seed);
    }
    throw cli::UsageError("replay: peer '" + c.map + "' cannot replay traces");
  }
  const std::vector<Op> ops = load_trace(c.trace);  // TraceError -> exit 2 in main
  using K = std::uint64_t;
  using V = std::uint64_t;
  std::string text;
  AllMaps::with_map<K, V, SeededHash<K>>(c.map, [&]<class M>(std::type_identity<M>) {
    MemoryCounter mem;
    M map(SeededHash<K>{c.hash_seed}, mem);
    const auto start = std::chrono::steady_clock::now();
    Checksum sum;
    for (const Op& op : ops) sum.add(apply_op(map, op));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    Json out;
    out["map"] = c.map;
    out["trace"] = c.trace;
    out["ops"] = ops.size();
    out["size"] = map.size();
    out["checksum"] = sum.hex();
    out["hash_seed"] = c.hash_seed;
    out["peak_bytes"] = mem.peak_bytes();
    out["final_bytes"] = mem.live_bytes();
    out["seconds"] = seconds;
    text = out.dump() + "\n";
  });
  cli::write_stdout(text);
  return 0;
}

bool parse_mode(const std::string& m) {
  if (m == "closed") return false;
  if (m == "open") return true;
  throw cli::UsageError("--mode=" + m + ": expected closed or open (or a list: closed,open)");
}

std::vector<std::string> expand_maps(const std::vector<std::string>& list) {
  if (list.size() == 1 && list[0] == "all") {
    std::vector<std::string> all;
    for (const MapEntry& e : map_catalog()) all.push_back(e.name);
    return all;
  }
  for (const auto& m : list) require_map(m);
  return list;
}

// UsageError if a non-default allocation mode is asked for and no map of the run has the switch.
void require_alloc_applies(const std::vector<std::string>& maps, AllocMode mode) {
  if (mode == AllocMode::kFresh) return;
  for (const auto& m : maps) {
    if (require_map(m).has_alloc_switch) return;
  }
  throw cli::UsageError(std::string("--alloc=") + alloc_mode_name(mode) + ": map '" + maps.front() +
                        "' has no such switch (maps that have one: " + alloc_map_names_joined() + ")");
}

int run_command(const CLI::App& app, const Commands& c, const std::vector<std::string>& argv) {
  const std::vector<std::string> maps = expand_maps(c.maps);
  std::vector<WorkloadKind> workloads;
  for (const auto& w : c.workloads) workloads.push_back(parse_workload_flag(w));
  std::vector<bool> modes;
  for (const auto& m : c.modes) modes.push_back(parse_mode(m));
  std::vector<AllocMode> allocs;
  for (const auto& a : c.allocs) allocs.push_back(parse_alloc_mode(a));
  for (AllocMode a : allocs) require_alloc_applies(maps, a);
  std::vector<bool> go_gcs;
  for (const auto& g : c.go_gcs) go_gcs.push_back(cli::parse_choice(g, "go-gc", {"on", "off"}) == "on");
  const bool any_open = std::find(modes.begin(), modes.end(), true) != modes.end();
  if (cli::given(app, "rate") && !any_open) throw cli::UsageError("--rate is only for --mode=open");
  if (c.reps < 1 || c.reps > 1000) throw cli::UsageError("--reps must be in [1, 1000]");
  const unsigned reps = static_cast<unsigned>(c.reps);

  std::vector<RunConfig> bases;
  for (WorkloadKind wk : workloads) {
    for (bool open : modes) bases.push_back(resolve_run(app, c.run_flags, wk, open));
  }
  PlanInfo info{"run", reps, order_seed_for(c.run_flags.seed), argv};
  std::vector<RunConfig> plan;
  for (unsigned rep = 0; rep < reps; ++rep) {
    for (std::size_t bi = 0; bi < bases.size(); ++bi) {
      std::vector<std::string> order = maps;
      if (reps > 1) shuffle_for(order, info.order_seed, rep, bi);
      for (const auto& m : order) {
        const MapEntry& e = require_map(m);
        RunConfig cfg = bases[bi];
        cfg.map = m;
        cfg.rep = rep;
        cfg.reps = reps;
        cfg.workload.seed = derive_seed(cfg.base_seed, rep, 0);
        cfg.hash_seed = derive_seed(cfg.base_hash_seed, rep, 1);
        // A map without the switch runs once, whatever the list of modes.
        const std::vector<std::optional<AllocMode>> modes_for =
            e.has_alloc_switch ? std::vector<std::optional<AllocMode>>(allocs.begin(), allocs.end())
                               : std::vector<std::optional<AllocMode>>{std::nullopt};
        for (const auto& a : modes_for) {
          cfg.alloc = a;
          if (m == "go_runtime") {
            for (bool gc : go_gcs) {
              cfg.go_gc = gc;
              plan.push_back(cfg);
            }
          } else {
            cfg.go_gc = std::nullopt;
            plan.push_back(cfg);
          }
        }
      }
    }
  }
  return execute_plan(info, plan, c.run_flags.out);
}

int run_one_command(const CLI::App& app, const Commands& c) {
  RunConfig cfg = resolve_run(app, c.one_flags, parse_workload_flag(c.one_workload), parse_mode(c.one_mode));
  cfg.map = c.map;
  const MapEntry& e = require_map(cfg.map);
  if (!c.one_alloc.empty()) {
    const AllocMode a = parse_alloc_mode(c.one_alloc);
    if (!e.has_alloc_switch && a != AllocMode::kFresh) require_alloc_applies({cfg.map}, a);
    if (e.has_alloc_switch) cfg.alloc = a;
  } else if (e.has_alloc_switch) {
    cfg.alloc = AllocMode::kFresh;
  }
  if (!c.one_go_gc.empty()) cfg.go_gc = cli::parse_choice(c.one_go_gc, "go-gc", {"on", "off"}) == "on";
  else if (cfg.map == "go_runtime") cfg.go_gc = true;
  cfg.load = c.one_load;
  cfg.rep = static_cast<unsigned>(c.one_rep);
  cfg.reps = static_cast<unsigned>(std::max<std::uint64_t>(1, c.one_reps));
  cfg.base_seed = c.one_base_seed;
  cfg.base_hash_seed = c.one_base_hash_seed;
  if (!cli::given(app, "base-seed")) cfg.base_seed = cfg.workload.seed;
  if (!cli::given(app, "base-hash-seed")) cfg.base_hash_seed = cfg.hash_seed;
  if (e.kind == MapKind::kPeer) {
    for (const PeerInfo& p : peer_list()) {
      if (p.name == cfg.map) return p.run(cfg);
    }
  }
  if (cfg.key == "u64" && cfg.value_bytes == 8) return run_one_u64_v8(cfg);
  if (cfg.key == "u64" && cfg.value_bytes == 64) return run_one_u64_v64(cfg);
  if (cfg.key == "u64" && cfg.value_bytes == 256) return run_one_u64_v256(cfg);
  if (cfg.key == "str16") return run_one_str16_v8(cfg);
  return run_one_str64_v8(cfg);
}

int suite_command(const Commands& c, const std::vector<std::string>& argv) {
  const std::vector<std::string> maps = expand_maps(c.suite_maps.empty() ? std::vector<std::string>{"all"} : c.suite_maps);
  SuiteOptions opt;
  opt.seed = c.suite_seed;
  opt.timer = c.suite_timer;
  if (c.suite_reps > 1000) throw cli::UsageError("--reps must be in [1, 1000]");
  opt.reps = static_cast<unsigned>(c.suite_reps);
  if (!(c.suite_scale > 0 && c.suite_scale <= 1)) throw cli::UsageError("--scale must be in (0, 1]");
  opt.scale = c.suite_scale;
  const std::vector<RunConfig> plan = build_suite(c.suite_name, maps, c.suite_out, opt, !c.dry_run);
  if (c.dry_run) {
    std::string out;
    for (const auto& cfg : plan) out += cfg.run_id() + "\n";
    cli::write_stdout(out);
    return 0;
  }
  unsigned reps = 1;
  for (const auto& cfg : plan) reps = std::max(reps, cfg.reps);
  return execute_plan({c.suite_name, reps, order_seed_for(opt.seed), argv}, plan, c.suite_out);
}

}  // namespace

std::unique_ptr<Commands, void (*)(Commands*)> add_commands(CLI::App& app) {
  std::unique_ptr<Commands, void (*)(Commands*)> c(new Commands, [](Commands* p) { delete p; });
  Commands& k = *c;

  k.list = app.add_subcommand("list", "print every map and peer name, one per line");
  k.list->add_flag("--long", k.list_long, "also print each one's kind (in-house, adapter, peer) and what it is");

  k.replay = app.add_subcommand("replay", "replay an operation trace through one map and print {map, ops, size, "
                                          "checksum, ...} as one JSON line (trace format: workloads/trace.h)");
  cli::add_text(*k.replay, "map", k.map, "map name (see `list`)")->required();
  cli::add_text(*k.replay, "trace", k.trace, "the trace file")->required();
  cli::add_count(*k.replay, "hash-seed", k.hash_seed, "seed of the map's SeededHash (default 0x5eed5eed5eed5eed)");

  k.run = app.add_subcommand("run", "measure maps x workloads x modes x allocation modes x repetitions; each run in "
                                    "its own process; results as in results/README.md");
  cli::add_list(*k.run, "maps", k.maps, "maps to run (names from `list`; all = every one)")->required();
  cli::add_list(*k.run, "workload", k.workloads, "insert_growth | mixed | churn | shrink | replay | grow_read (a list allowed)")
      ->required();
  cli::add_list(*k.run, "mode", k.modes, "closed | open | closed,open (default closed)");
  cli::add_list(*k.run, "alloc", k.allocs, std::string(kAllocHelp) + "; a list allowed (default fresh)");
  cli::add_list(*k.run, "go-gc", k.go_gcs, "go_runtime: the Go garbage collector on | off | on,off (default on)");
  cli::add_count(*k.run, "reps", k.reps,
                 "repetitions (default 1): each its own process, map order shuffled per repetition, seeds "
                 "derived per repetition; run ids end in .rep<i> when > 1");
  add_run_flags(*k.run, k.run_flags);
  k.run->get_option("--out")->required();

  k.run_one = app.add_subcommand("run-one", "(internal) one run in this process; `run` and `suite` use it");
  k.run_one->group("");  // not listed in --help
  cli::add_text(*k.run_one, "map", k.map, "map name")->required();
  cli::add_text(*k.run_one, "workload", k.one_workload, "workload")->required();
  cli::add_choice(*k.run_one, "mode", k.one_mode, {"closed", "open"}, "closed or open");
  cli::add_text(*k.run_one, "alloc", k.one_alloc, kAllocHelp);
  cli::add_text(*k.run_one, "go-gc", k.one_go_gc, "go_runtime: on or off");
  cli::add_count(*k.run_one, "rep", k.one_rep, "repetition index");
  cli::add_count(*k.run_one, "reps", k.one_reps, "repetitions of this run's group");
  cli::add_count(*k.run_one, "base-seed", k.one_base_seed, "the workload seed repetitions derive from");
  cli::add_count(*k.run_one, "base-hash-seed", k.one_base_hash_seed, "the hash seed repetitions derive from");
  cli::add_number(*k.run_one, "load", k.one_load, "open loop: the share of the map's own throughput --rate is");
  add_run_flags(*k.run_one, k.one_flags);
  k.run_one->get_option("--out")->required();

  k.suite = app.add_subcommand("suite", "a named plan over every map (--dry-run: print its run ids)");
  std::vector<std::string> names;
  for (const Suite& s : suites()) names.push_back(s.name);
  cli::add_text(*k.suite, "name", k.suite_name, "suite name: smoke, quick or paper (see `help`)")->required();
  cli::add_text(*k.suite, "out", k.suite_out, "results directory")->required();
  cli::add_list(*k.suite, "maps", k.suite_maps, "a subset of the maps (default all)");
  cli::add_count(*k.suite, "seed", k.suite_seed, "base workload seed (default 1)");
  cli::add_count(*k.suite, "reps", k.suite_reps, "repetitions for every entry (default: each entry's own)");
  cli::add_number(*k.suite, "scale", k.suite_scale,
                  "every entry's n and ops times this, at least 1000 (default 1): for trying the pipeline on a "
                  "small machine or in tests; results at another scale than the suite's own");
  cli::add_choice(*k.suite, "timer", k.suite_timer, {"auto", "tsc", "steady"}, "clock source (default auto)");
  k.suite->add_flag("--dry-run", k.dry_run, "print the plan's run ids and exit");

  k.help = app.add_subcommand("help", "every verb and its flags, and the suites");
  return c;
}

int run_parsed(const CLI::App& app, Commands& c, const std::vector<std::string>& argv) {
  if (c.list->parsed()) return list_command(c);
  if (c.replay->parsed()) return replay_command(c);
  if (c.run->parsed()) return run_command(*c.run, c, argv);
  if (c.run_one->parsed()) return run_one_command(*c.run_one, c);
  if (c.suite->parsed()) return suite_command(c, argv);
  if (c.help->parsed()) {
    cli::write_stdout(app.help("", CLI::AppFormatMode::All) + "\n" + suites_help());
    return 0;
  }
  throw cli::UsageError("usage: rehashlab VERB [--flag=value ...] (verbs: list, replay, run, suite, help)");
}

}  // namespace rehashlab
