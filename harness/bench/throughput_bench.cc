// Throughput of every map in the registry (AllMaps), uint64_t -> uint64_t, with
// Google Benchmark. One benchmark per (operation, map, size):
//
//   FindHit/<map>/<n>    find a present key; map holds n entries, keys probed in a
//                        random order (every key once per n iterations)
//   FindMiss/<map>/<n>   find an absent key in the same map
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
// Flags (before Google Benchmark's own, e.g. --benchmark_out=FILE
// --benchmark_out_format=json --benchmark_filter=REGEX):
//   --sizes=1k,100k,1M   sizes to run (k/M suffixes; default 1k,100k,1M; add 10M
//                        for the paper run)
//   --maps=a,b           only these maps (default: every registered map)
// Unknown flags or names: message and exit 2.
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

// A map of n entries kept across repeated calls of one find benchmark.
template <class M>
struct Built {
  std::size_t n = 0;
  MemoryCounter mem;
  std::unique_ptr<M> map;
  std::vector<std::uint64_t> hits, misses;
};
std::function<void()> g_release_built;  // drops whichever Built is alive

template <class M>
Built<M>& built(std::size_t n) {
  static std::unique_ptr<Built<M>> cur;
  if (cur && cur->n == n) return *cur;
  if (g_release_built) g_release_built();
  cur = std::make_unique<Built<M>>();
  g_release_built = [] { cur.reset(); };
  cur->n = n;
  cur->map = std::make_unique<M>(SeededHash<std::uint64_t>{kSeed}, cur->mem);
  for (std::size_t i = 0; i < n; ++i) cur->map->insert_or_assign(hit_key(i), i);
  cur->hits = shuffled_keys(n, hit_key, 1);
  cur->misses = shuffled_keys(n, miss_key, 2);
  return *cur;
}

// The host_steal_ms counter: steal since `before` (read before the benchmark's loop).
void set_host_steal(benchmark::State& state, std::optional<double> before) {
  state.counters["host_steal_ms"] = steal_since(before).value_or(-1);
}

template <class M, bool kHit>
void bm_find(benchmark::State& state, std::size_t n) {
  Built<M>& b = built<M>(n);
  const std::vector<std::uint64_t>& keys = kHit ? b.hits : b.misses;
  std::size_t i = 0, found = 0;
  const std::optional<double> steal0 = host_steal_ms();
  for (auto _ : state) {
    const std::uint64_t* v = b.map->find(keys[i]);
    benchmark::DoNotOptimize(v);
    found += v != nullptr;
    if (++i == n) i = 0;
  }
  const std::uint64_t iters = state.iterations();
  if (found != (kHit ? iters : 0)) state.SkipWithError(kHit ? "a present key was not found" : "an absent key was found");
  state.SetItemsProcessed(static_cast<std::int64_t>(iters));
  state.counters["bytes_per_entry"] = static_cast<double>(b.mem.live_bytes()) / static_cast<double>(n);
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

[[noreturn]] void usage_error(const std::string& msg) {
  std::fprintf(stderr, "throughput_bench: %s\n", msg.c_str());
  std::fprintf(stderr,
               "usage: throughput_bench [--sizes=1k,100k,1M,10M] [--maps=a,b] [--benchmark_* flags]\n"
               "maps: %s\n",
               map_names_joined().c_str());
  std::exit(2);
}

std::vector<std::string> split(std::string_view s) {
  std::vector<std::string> out;
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    out.emplace_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return out;
}

std::size_t parse_size(const std::string& text) {
  std::size_t mult = 1;
  std::string digits = text;
  if (!digits.empty() && (digits.back() == 'k' || digits.back() == 'K')) mult = 1000, digits.pop_back();
  else if (!digits.empty() && digits.back() == 'M') mult = 1000000, digits.pop_back();
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 12) {
    usage_error("bad size '" + text + "' (use e.g. 1000, 100k, 1M)");
  }
  const std::size_t n = std::stoull(digits) * mult;
  if (n == 0 || n > 100000000) usage_error("size '" + text + "' out of range (1 .. 100M)");
  return n;
}

}  // namespace
}  // namespace rehashlab

int main(int argc, char** argv) {
  using namespace rehashlab;
  std::vector<std::size_t> sizes = {1000, 100000, 1000000};
  std::vector<std::string> maps;
  std::vector<char*> rest = {argv[0]};
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--sizes=")) {
      sizes.clear();
      for (const auto& s : split(arg.substr(8))) sizes.push_back(parse_size(s));
      if (sizes.empty()) usage_error("--sizes needs at least one size");
    } else if (arg.starts_with("--maps=")) {
      maps = split(arg.substr(7));
      for (const auto& m : maps) {
        const auto names = AllMaps::names();
        if (std::find(names.begin(), names.end(), m) == names.end()) usage_error("unknown map '" + m + "'");
      }
    } else {
      rest.push_back(argv[i]);
    }
  }
  int rest_argc = static_cast<int>(rest.size());
  benchmark::Initialize(&rest_argc, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_argc, rest.data())) return 2;

  using Hash = SeededHash<std::uint64_t>;
  AllMaps::for_each_map<std::uint64_t, std::uint64_t, Hash>([&](auto type) {
    using M = typename decltype(type)::type;
    const std::string name(M::kName);
    if (!maps.empty() && std::find(maps.begin(), maps.end(), name) == maps.end()) return;
    for (std::size_t n : sizes) {
      const std::string suffix = "/" + name + "/" + std::to_string(n);
      benchmark::RegisterBenchmark(("FindHit" + suffix).c_str(), [n](benchmark::State& s) { bm_find<M, true>(s, n); });
      benchmark::RegisterBenchmark(("FindMiss" + suffix).c_str(), [n](benchmark::State& s) { bm_find<M, false>(s, n); });
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
