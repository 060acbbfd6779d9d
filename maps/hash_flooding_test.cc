// Hash flooding: key sets an attacker would pick complete in work proportional to
// their length in every in-house map, because the map hashes with the run's seed.
//
// Two hostile key sets:
//  * low bits: k_i = i * 2^24, which collide in every bucket index below 2^24
//    under an identity-like hash (libstdc++'s std::hash<uint64_t>);
//  * unseeded collisions: k_i = unmix64(i * 2^32), so that the *unseeded* hash
//    mix64(k ^ 0) = i * 2^32 has 32 zero low bits (one bucket for any table below
//    2^32 buckets) and a zero top byte (the same Go tophash).
//
// What is measured is not time (wall-clock thresholds are flaky on a shared
// machine) but two work counters that any probe loop and any rehash must pay:
//  * key comparisons (operator== of the key type): a probe compares keys only
//    where fingerprints/hashes match, so flooding shows up as comparisons per
//    operation growing with n;
//  * hash computations: a map that rehashed far more than amortized O(1) per
//    operation would show up here.
// For each map and key set, a fixed mix of inserts, hits, misses and erases on n
// and on 2n keys must stay below a small constant per operation, and the total for
// 2n must be at most ~2x the total for n (linear, not quadratic).
//
// Controls (so the test can fail): the same measurement under ZeroHash (every key
// collides) must show comparisons per operation growing with n for every map;
// and at the hash level, the unseeded set lands in one bucket under seed 0 and is
// spread under the run's seed.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>
#include <unordered_set>
#include <vector>

#include "maps/lockstep.h"
#include "maps/registry.h"
#include "maps/types.h"

namespace rehashlab {

// A u64 key whose comparisons are counted.
struct CountedKey {
  std::uint64_t value = 0;
  static inline std::uint64_t comparisons = 0;
  friend bool operator==(const CountedKey& a, const CountedKey& b) {
    ++comparisons;
    return a.value == b.value;
  }
};

// The run's seeded hash for CountedKey (same function as for uint64_t), counting calls.
template <>
struct SeededHash<CountedKey> {
  std::uint64_t seed = 0;
  static inline std::uint64_t calls = 0;
  std::uint64_t operator()(const CountedKey& key) const noexcept {
    ++calls;
    return mix64(key.value ^ seed);
  }
};

namespace {

constexpr std::uint64_t kSeed = 0x5eed5eed5eed5eedULL;

enum class KeySet { kLowBits, kUnseededCollisions };

std::uint64_t hostile_key(KeySet set, std::uint64_t i) {
  return set == KeySet::kLowBits ? i << 24 : unmix64(i << 32);
}
const char* key_set_name(KeySet set) { return set == KeySet::kLowBits ? "low_bits" : "unseeded_collisions"; }

struct Work {
  std::uint64_t ops = 0;
  std::uint64_t comparisons = 0;
  std::uint64_t hashes = 0;
  double comparisons_per_op() const { return static_cast<double>(comparisons) / static_cast<double>(ops); }
  double hashes_per_op() const { return static_cast<double>(hashes) / static_cast<double>(ops); }
};

// Inserts keys 0..n-1 of the set, finds each (hits), finds n absent keys of the
// same set, overwrites each, erases each; checks every result and counts the work.
template <class M>
Work flood(KeySet set, std::uint64_t n, std::uint64_t seed) {
  MemoryCounter mem;
  M map(typename M::hasher{seed}, mem);
  const std::uint64_t comparisons0 = CountedKey::comparisons, hashes0 = SeededHash<CountedKey>::calls;
  Work w;
  auto key = [&](std::uint64_t i) { return CountedKey{hostile_key(set, i)}; };
  for (std::uint64_t i = 0; i < n; ++i, ++w.ops) EXPECT_TRUE(map.insert_or_assign(key(i), i));
  for (std::uint64_t i = 0; i < n; ++i, ++w.ops) {
    const std::uint64_t* v = map.find(key(i));
    EXPECT_TRUE(v != nullptr && *v == i);
  }
  for (std::uint64_t i = n; i < 2 * n; ++i, ++w.ops) EXPECT_EQ(map.find(key(i)), nullptr);
  for (std::uint64_t i = 0; i < n; ++i, ++w.ops) EXPECT_FALSE(map.insert_or_assign(key(i), i + 1));
  for (std::uint64_t i = 0; i < n; ++i, ++w.ops) EXPECT_TRUE(map.erase(key(i)));
  EXPECT_EQ(map.size(), 0u);
  w.comparisons = CountedKey::comparisons - comparisons0;
  w.hashes = SeededHash<CountedKey>::calls - hashes0;
  return w;
}

constexpr std::uint64_t kN = 4096;
// Generous bounds: a well-spread Go-layout table compares about once per hit
// (tophash false positives are 1/256) and hashes once per operation plus once per
// moved entry (amortized about 2 per entry over the doublings).
constexpr double kMaxComparisonsPerOp = 3.0;
constexpr double kMaxHashesPerOp = 8.0;
constexpr double kMaxGrowthFor2n = 2.6;  // linear work doubles; quadratic quadruples

TEST(HashFlooding, HostileKeysAreSpreadByTheSeededHash) {
  for (KeySet set : {KeySet::kLowBits, KeySet::kUnseededCollisions}) {
    SCOPED_TRACE(key_set_name(set));
    // The hash each set is built against: identity for low bits, seed 0 for the other.
    auto weak_hash = [&](std::uint64_t k) { return set == KeySet::kLowBits ? k : SeededHash<std::uint64_t>{0}(k); };
    std::unordered_set<std::uint64_t> seeded_buckets, weak_buckets;
    for (std::uint64_t i = 0; i < kN; ++i) {
      seeded_buckets.insert(SeededHash<std::uint64_t>{kSeed}(hostile_key(set, i)) & (kN - 1));
      weak_buckets.insert(weak_hash(hostile_key(set, i)) & (kN - 1));
    }
    EXPECT_EQ(weak_buckets.size(), 1u) << "the key set does not collide under the hash it was built against";
    EXPECT_GT(seeded_buckets.size(), kN / 2) << "the seeded hash does not spread the set";
  }
  std::unordered_set<std::uint64_t> tophashes;
  for (std::uint64_t i = 0; i < kN; ++i) {
    const std::uint64_t h = SeededHash<std::uint64_t>{0}(hostile_key(KeySet::kUnseededCollisions, i));
    EXPECT_EQ(h & 0xffffffffu, 0u) << "key " << i << " does not collide under the unseeded hash";
    tophashes.insert(h >> 56);
  }
  EXPECT_EQ(tophashes.size(), 1u);
}

TEST(HashFlooding, SeededMapsDoLinearWorkOnHostileKeys) {
  rehashlab::for_each_in_house_map<CountedKey, std::uint64_t, SeededHash<CountedKey>>(
      [&]<class M>(std::type_identity<M>) {
        for (KeySet set : {KeySet::kLowBits, KeySet::kUnseededCollisions}) {
          SCOPED_TRACE(std::string(M::kName) + ", " + key_set_name(set));
          const Work small = flood<M>(set, kN, kSeed);
          const Work large = flood<M>(set, 2 * kN, kSeed);
          // For information: the same keys with seed 0 (the unseeded hash; a map
          // deriving its own per-instance seed is not flooded even then).
          const Work unseeded = flood<M>(set, kN, 0);
          std::printf("%-16s %-20s n=%llu: %.3f cmp/op %.2f hash/op; 2n: %.3f cmp/op %.2f hash/op; seed 0: %.3f cmp/op\n",
                      std::string(M::kName).c_str(), key_set_name(set), static_cast<unsigned long long>(kN),
                      small.comparisons_per_op(), small.hashes_per_op(), large.comparisons_per_op(),
                      large.hashes_per_op(), unseeded.comparisons_per_op());
          EXPECT_LE(small.comparisons_per_op(), kMaxComparisonsPerOp);
          EXPECT_LE(large.comparisons_per_op(), kMaxComparisonsPerOp);
          EXPECT_LE(small.hashes_per_op(), kMaxHashesPerOp);
          EXPECT_LE(large.hashes_per_op(), kMaxHashesPerOp);
          EXPECT_LE(static_cast<double>(large.comparisons), kMaxGrowthFor2n * static_cast<double>(small.comparisons) + 64);
          EXPECT_LE(static_cast<double>(large.hashes), kMaxGrowthFor2n * static_cast<double>(small.hashes) + 64);
        }
      });
}

// The control: with every key colliding, the work per operation must grow with n
// in every map, or the counters above would not see flooding at all.
TEST(HashFlooding, ComparisonsExposeFloodingWhenAllKeysCollide) {
  using Zero = rehashlab::ZeroHash<CountedKey>;
  rehashlab::for_each_in_house_map<CountedKey, std::uint64_t, Zero>([&]<class M>(std::type_identity<M>) {
    SCOPED_TRACE(M::kName);
    constexpr std::uint64_t kSmall = 256;
    const Work small = flood<M>(KeySet::kLowBits, kSmall, kSeed);
    const Work large = flood<M>(KeySet::kLowBits, 2 * kSmall, kSeed);
    std::printf("%-16s ZeroHash: n=%llu %.1f cmp/op; 2n %.1f cmp/op\n", std::string(M::kName).c_str(),
                static_cast<unsigned long long>(kSmall), small.comparisons_per_op(), large.comparisons_per_op());
    EXPECT_GT(small.comparisons_per_op(), 10 * kMaxComparisonsPerOp);
    EXPECT_GT(static_cast<double>(large.comparisons), 3.0 * static_cast<double>(small.comparisons));
  });
}

}  // namespace
}  // namespace rehashlab
