// `rehashlab replay --map=NAME --trace=FILE [--seed=N]`: replays a trace through
// one map (uint64_t -> uint64_t) and prints one JSON object on stdout.
#include <chrono>
#include <cstdio>
#include <iostream>

#include "harness/commands.h"
#include "harness/json.h"
#include "maps/registry.h"
#include "workloads/trace.h"

namespace rehashlab {

int replay_command(const cli::Args& args) {
  args.allow_only({"map", "trace", "seed"});
  const std::string map_name = args.get("map");
  const std::string trace_path = args.get("trace");
  const std::uint64_t seed = args.get_u64("seed", kDefaultHashSeed);
  require_map_name(map_name);
  const std::vector<Op> ops = load_trace(trace_path);  // TraceError -> exit 2 in main

  using K = std::uint64_t;
  using V = std::uint64_t;
  AllMaps::with_map<K, V, SeededHash<K>>(map_name, [&]<class M>(std::type_identity<M>) {
    MemoryCounter mem;
    M map(SeededHash<K>{seed}, mem);
    const auto start = std::chrono::steady_clock::now();
    Checksum sum;
    for (const Op& op : ops) sum.add(apply_op(map, op));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    JsonWriter out;
    out.begin_object();
    out.field("map", map_name);
    out.field("trace", trace_path);
    out.field("ops", static_cast<std::uint64_t>(ops.size()));
    out.field("size", static_cast<std::uint64_t>(map.size()));
    out.field("checksum", sum.hex());
    out.field("seed", seed);
    out.field("peak_bytes", mem.peak_bytes());
    out.field("final_bytes", mem.live_bytes());
    out.field("seconds", seconds);
    out.end_object();
    std::cout << out.str() << "\n";
  });
  return 0;
}

}  // namespace rehashlab
