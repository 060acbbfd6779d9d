// Throughput of every map in the registry (AllMaps), uint64_t -> uint64_t, with
// Google Benchmark. One benchmark per (operation, map, size):
//
//   FindHit/<map>/<n>    find a present key; map holds n entries, keys probed in a
//                        random order (every key once per n iterations)
//   FindMiss/<map>/<n>   find an absent key in the same map
//   FindHitMigrating/<map>/<n>, FindMissMigrating/<map>/<n>   (in-house maps) the
//                        same in a map caught half-way through a migration: n
//                        entries, then the inserts that start the next grow and
//                        half of those its migration lasts (counter "entries");
//                        skipped for a map that never migrates incrementally, and
//                        failed if the finds themselves finish the migration
//   Insert/<map>/<n>     insert n distinct keys into an EMPTY map (not pre-sized):
//                        the map grows to n, so every resize is in the cost
//   Erase/<map>/<n>      erase all n keys, in random order, from a map of n
//                        (building it is not timed)
//
// items_per_second is operations per second for all four. User counters:
//   bytes_per_entry        live bytes the map holds (MemoryCounter) / entries
//   peak_bytes_per_entry   (Insert) peak bytes while growing to n / n
//   payload_moved_per_byte (Insert) payload bytes moved by resizing / payload bytes
//                          inserted (write amplification)
//   grows                  (Insert) resizes started while growing to n
//   host_steal_ms          host steal time while this benchmark ran (its iterations,
//                          untimed setup inside them included; /proc/stat, all CPUs,
//                          10 ms ticks; harness/host_steal.h, -1 if unreadable):
//                          not 0: the host took CPU time from this machine meanwhile
// A find benchmark fails (SkipWithError) if a hit is not found or a miss is.
//
// Flags (--help lists them; Google Benchmark's own pass through, e.g.
// --benchmark_out=FILE --benchmark_out_format=json --benchmark_filter=REGEX):
//   --sizes=1k,100k,1M   sizes to run (default 1k,100k,1M; add 10M for the paper run)
//   --maps=a,b           only these maps (default: every registered map)
// Unknown names: message and exit 2.
//
// The map for the find benchmarks is built once per (map, size) and kept while
// Google Benchmark repeats the function; only one such map is alive at a time.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "harness/cli.h"
#include "harness/host_steal.h"
#include "maps/registry.h"

namespace rehashlab {
namespace {

constexpr std::uint64_t kSeed = 0x5eed0f7a61e5ull;

// Present keys are hit_key(0..n-1); absent keys miss_key(0..n-1). mix64 is a
// bijection, so the two sets are disjoint and each has n distinct keys.
std::uint64_t hit_key(std::uint64_t i) { return mix64(i ^ 0x9e3779b97f4a7c15ull); }
std::uint64_t miss_key(std::uint64_t i) { return mix64((i | (std::uint64_t{1} << 63)) ^ 0x9e3779b97f4a7c15ull); }

std::vector<std::uint64_t> shuffled_keys(std::size_t n, std::uint64_t (*key)(std::uint64_t), std::uint64_t salt) {
  std::vector<std::uint64_t> keys(n);
  for (std::size_t i = 0; i < n; ++i) keys[i] = key(i);
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(kSeed ^ salt));
  return keys;
}

// A map kept across repeated calls of one find benchmark: n entries, or (while
// migrating) n entries plus the inserts that start the next grow and run its
// migration half-way.
template <class M>
struct Built {
  std::size_t n = 0;
  bool migrating = false;
  std::size_t entries = 0;  // keys present: hit_key(0 .. entries-1)
  MemoryCounter mem;
  std::unique_ptr<M> map;
  std::vector<std::uint64_t> hits, misses;
};
std::function<void()> g_release_built;  // drops whichever Built is alive

// Inserts hit_key(from ..) into `map` until it is migrating; returns the next key
// index, or 0 when it did not start a migration within `limit` inserts.
template <class M>
std::size_t insert_until_migrating(M& map, std::size_t from, std::size_t limit) {
  for (std::size_t i = from; i < from + limit; ++i) {
    map.insert_or_assign(hit_key(i), i);
    if (map.resize_counters().migrating) return i + 1;
  }
  return 0;
}

template <class M>
Built<M>& built(std::size_t n, bool migrating) {
  static std::unique_ptr<Built<M>> cur;
  if (cur && cur->n == n && cur->migrating == migrating) return *cur;
  if (g_release_built) g_release_built();
  cur = std::make_unique<Built<M>>();
  g_release_built = [] { cur.reset(); };
  cur->n = n;
  cur->migrating = migrating;
  cur->entries = n;
  auto fresh = [&] { return std::make_unique<M>(SeededHash<std::uint64_t>{kSeed}, cur->mem); };
  cur->map = fresh();
  for (std::size_t i = 0; i < n; ++i) cur->map->insert_or_assign(hit_key(i), i);
  if (migrating) {
    // A first pass measures how many inserts the next migration lasts (L); the
    // map is then rebuilt and stopped L/2 inserts into it.
    const std::size_t start = insert_until_migrating(*cur->map, n, 2 * n + 16);
    if (start == 0) {
      cur->map.reset();
      return *cur;  // never migrates incrementally: map stays null
    }
    std::size_t len = 0;
    for (std::size_t i = start; cur->map->resize_counters().migrating; ++i, ++len) cur->map->insert_or_assign(hit_key(i), i);
    cur->map.reset();
    cur->map = fresh();
    for (std::size_t i = 0; i < start; ++i) cur->map->insert_or_assign(hit_key(i), i);
    cur->entries = start + len / 2;
    for (std::size_t i = start; i < cur->entries; ++i) cur->map->insert_or_assign(hit_key(i), i);
  }
  cur->hits = shuffled_keys(cur->entries, hit_key, 1);
  cur->misses = shuffled_keys(cur->entries, miss_key, 2);
  return *cur;
}

// The host_steal_ms counter: steal since `before` (read before the benchmark's loop).
void set_host_steal(benchmark::State& state, std::optional<double> before) {
  state.counters["host_steal_ms"] = steal_since(before).value_or(-1);
}

template <class M, bool kHit>
void bm_find(benchmark::State& state, std::size_t n, bool migrating) {
  Built<M>& b = built<M>(n, migrating);
  if (!b.map) {
    state.SkipWithError("this map never migrates incrementally");
    return;
  }
  const std::vector<std::uint64_t>& keys = kHit ? b.hits : b.misses;
  const std::size_t count = keys.size();
  std::size_t i = 0, found = 0;
  const std::optional<double> steal0 = host_steal_ms();
  for (auto _ : state) {
    const std::uint64_t* v = b.map->find(keys[i]);
    benchmark::DoNotOptimize(v);
    found += v != nullptr;
    if (++i == count) i = 0;
  }
  const std::uint64_t iters = state.iterations();
  if (found != (kHit ? iters : 0)) state.SkipWithError(kHit ? "a present key was not found" : "an absent key was found");
  if (migrating && !b.map->resize_counters().migrating) state.SkipWithError("the finds completed the migration");
  state.SetItemsProcessed(static_cast<std::int64_t>(iters));
  state.counters["bytes_per_entry"] = static_cast<double>(b.mem.live_bytes()) / static_cast<double>(b.entries);
  state.counters["entries"] = static_cast<double>(b.entries);
  set_host_steal(state, steal0);
}

template <class M>
void bm_insert(benchmark::State& state, std::size_t n) {
  if (g_release_built) g_release_built();
  const std::vector<std::uint64_t> keys = shuffled_keys(n, hit_key, 3);
  double bytes = 0, peak = 0, moved = 0, grows = 0;
  const std::optional<double> steal0 = host_steal_ms();
  for (auto _ : state) {
    MemoryCounter mem;
    auto map = std::make_unique<M>(SeededHash<std::uint64_t>{kSeed}, mem);
    for (std::size_t i = 0; i < n; ++i) map->insert_or_assign(keys[i], i);
    state.PauseTiming();
    const ResizeCounters rc = map->resize_counters();
    bytes = static_cast<double>(mem.live_bytes());
    peak = static_cast<double>(mem.peak_bytes());
    moved = static_cast<double>(rc.payload_bytes_moved);
    grows = static_cast<double>(rc.grows_started);
    if (map->size() != n) state.SkipWithError("size() after inserting n distinct keys is not n");
    map.reset();
    state.ResumeTiming();
  }
  const double dn = static_cast<double>(n);
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["bytes_per_entry"] = bytes / dn;
  state.counters["peak_bytes_per_entry"] = peak / dn;
  state.counters["payload_moved_per_byte"] = moved / (dn * 2 * sizeof(std::uint64_t));
  state.counters["grows"] = grows;
  set_host_steal(state, steal0);
}

template <class M>
void bm_erase(benchmark::State& state, std::size_t n) {
  if (g_release_built) g_release_built();
  const std::vector<std::uint64_t> keys = shuffled_keys(n, hit_key, 4);
  double bytes = 0;
  const std::optional<double> steal0 = host_steal_ms();
  for (auto _ : state) {
    state.PauseTiming();
    MemoryCounter mem;
    auto map = std::make_unique<M>(SeededHash<std::uint64_t>{kSeed}, mem);
    for (std::size_t i = 0; i < n; ++i) map->insert_or_assign(hit_key(i), i);
    state.ResumeTiming();
    std::size_t erased = 0;
    for (std::size_t i = 0; i < n; ++i) erased += map->erase(keys[i]);
    state.PauseTiming();
    if (erased != n || map->size() != 0) state.SkipWithError("erase missed a present key");
    bytes = static_cast<double>(mem.live_bytes());  // after erasing everything
    map.reset();
    state.ResumeTiming();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["bytes_after_erase_all"] = bytes;
  set_host_steal(state, steal0);
}

}  // namespace
}  // namespace rehashlab

int main(int argc, char** argv) {
  using namespace rehashlab;
  std::vector<std::uint64_t> sizes = {1000, 100000, 1000000};
  std::vector<std::string> maps;
  CLI::App app{"Throughput of every registered map (Google Benchmark; its --benchmark_* flags pass through)",
               "throughput_bench"};
  std::vector<std::string> size_list;
  cli::add_list(app, "sizes", size_list, "sizes to run (k/M suffixes; default 1k,100k,1M; add 10M for the paper run)");
  cli::add_list(app, "maps", maps, "only these maps (default: every registered map)");
  std::vector<char*> rest = cli::parse_own_flags(app, argc, argv);
  try {
    if (!size_list.empty()) {
      sizes.clear();
      for (const auto& s : size_list) {
        const std::uint64_t n = cli::parse_count(s, "sizes");
        if (n == 0 || n > 100000000) throw cli::UsageError("--sizes: '" + s + "' out of range (1 .. 100M)");
        sizes.push_back(n);
      }
    }
    const auto names = AllMaps::names();
    for (const auto& m : maps) {
      if (std::find(names.begin(), names.end(), m) == names.end()) {
        std::string valid;
        for (auto n : names) valid += (valid.empty() ? "" : ", ") + std::string(n);
        throw cli::UsageError("unknown map '" + m + "' (valid maps: " + valid + ")");
      }
    }
  } catch (const cli::UsageError& e) {
    std::fprintf(stderr, "throughput_bench: %s\n", e.what());
    return 2;
  }
  int rest_argc = static_cast<int>(rest.size());
  rest.push_back(nullptr);
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;

  using Hash = SeededHash<std::uint64_t>;
  AllMaps::for_each_map<std::uint64_t, std::uint64_t, Hash>([&](auto type) {
    using M = typename decltype(type)::type;
    const std::string name(M::kName);
    if (!maps.empty() && std::find(maps.begin(), maps.end(), name) == maps.end()) return;
    for (std::uint64_t n : sizes) {
      const std::string suffix = "/" + name + "/" + std::to_string(n);
      benchmark::RegisterBenchmark(("FindHit" + suffix).c_str(), [n](benchmark::State& s) { bm_find<M, true>(s, n, false); });
      benchmark::RegisterBenchmark(("FindMiss" + suffix).c_str(), [n](benchmark::State& s) { bm_find<M, false>(s, n, false); });
      if constexpr (M::kInHouse) {
        benchmark::RegisterBenchmark(("FindHitMigrating" + suffix).c_str(),
                                     [n](benchmark::State& s) { bm_find<M, true>(s, n, true); });
        benchmark::RegisterBenchmark(("FindMissMigrating" + suffix).c_str(),
                                     [n](benchmark::State& s) { bm_find<M, false>(s, n, true); });
      }
      benchmark::RegisterBenchmark(("Insert" + suffix).c_str(), [n](benchmark::State& s) { bm_insert<M>(s, n); })
          ->Unit(benchmark::kMillisecond);
      benchmark::RegisterBenchmark(("Erase" + suffix).c_str(), [n](benchmark::State& s) { bm_erase<M>(s, n); })
          ->Unit(benchmark::kMillisecond);
    }
  });
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  if (g_release_built) g_release_built();
  return 0;
}
