// Allocation failure: for every in-house map and every N from 1 to the number of
// allocations a workload performs, the N-th allocation throws std::bad_alloc
// (MemoryCounter::fail_allocation_at). The map must report it (the exception)
// and keep exactly the entries it had (map_api.h), checked against a reference
// that applied only the operations that succeeded, plus check_invariants(). The
// failed operation is then retried and the workload runs to its end, so the map
// must also keep working after the failure. Two more failures are injected soon
// after the first one, so a map is also hit while recovering (for incremental
// maps: mid-migration, with an old array still live).
//
// The workload grows the map through several doublings, erases, churns (which
// in Go's layout fills overflow chains and triggers same-size grows) and grows
// again; the test asserts that some of the injected failures hit operations
// that grow or migrate, so failures mid-grow are covered, not just hoped for.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <tuple>
#include <vector>

#include "maps/lockstep.h"
#include "maps/registry.h"
#include "maps/types.h"

namespace rehashlab::testing {
namespace {

enum class Kind : std::uint8_t { kInsert, kFind, kErase, kMaintenance };
struct Step {
  Kind kind;
  std::uint64_t key;
};

// The workload's size: REHASHLAB_ALLOC_FAILURE_SCALE=k multiplies it (default 1:
// about 1700 operations, the map peaking near 570 entries, i.e. 2^7 Go buckets
// after 7 doublings). Every N is tried, so the test costs O(allocations x ops).
std::uint64_t scale() {
  const char* env = std::getenv("REHASHLAB_ALLOC_FAILURE_SCALE");
  const std::uint64_t k = env != nullptr ? std::strtoull(env, nullptr, 10) : 1;
  return k == 0 ? 1 : k;
}

std::vector<Step> workload() {
  const std::uint64_t k = scale();
  std::vector<Step> w;
  auto pseudo = [](std::uint64_t i) { return mix64(i + 0x1234); };
  std::uint64_t next = 0;
  // Growth from empty through several doublings, with finds and overwrites.
  for (; next < 400 * k; ++next) {
    w.push_back({Kind::kInsert, next});
    if (next % 3 == 0) w.push_back({Kind::kFind, pseudo(next) % (next + 1)});
    if (next % 7 == 0) w.push_back({Kind::kInsert, pseudo(next) % (next + 1)});  // overwrite
    if (next % 50 == 0) w.push_back({Kind::kMaintenance, 0});
  }
  // Erase a third, with misses.
  for (std::uint64_t key = 0; key < 400 * k; key += 3) {
    w.push_back({Kind::kErase, key});
    if (key % 9 == 0) w.push_back({Kind::kErase, 1000000 + key});
  }
  // Churn: insert new keys, erase old ones (overflow chains, same-size grows).
  for (std::uint64_t i = 0; i < 300 * k; ++i, ++next) {
    w.push_back({Kind::kInsert, next});
    w.push_back({Kind::kErase, 1 + 3 * (i % (133 * k))});
    if (i % 40 == 0) w.push_back({Kind::kMaintenance, 0});
  }
  // Grow again.
  for (std::uint64_t i = 0; i < 300 * k; ++i, ++next) {
    w.push_back({Kind::kInsert, next});
    if (i % 5 == 0) w.push_back({Kind::kFind, pseudo(i) % next});
  }
  return w;
}

template <class M>
Outcome apply(Lockstep<M>& ls, const Step& s, std::uint64_t step_no) {
  using V = typename M::mapped_type;
  switch (s.kind) {
    case Kind::kInsert: return ls.insert(s.key, make_value<V>(step_no));
    case Kind::kFind: return ls.find(s.key);
    case Kind::kErase: return ls.erase(s.key);
    case Kind::kMaintenance: return ls.maintenance(std::chrono::nanoseconds(0));
  }
  return Outcome::kDone;
}

constexpr std::uint64_t kSeed = 0x5eed5eed5eed5eedULL;

template <class M>
class AllocFailureTest : public ::testing::Test {};

template <class Tuple>
struct TupleToTypes;
template <class... Ms>
struct TupleToTypes<std::tuple<Ms...>> {
  using type = ::testing::Types<Ms...>;
};
// Every in-house map, with trivially copyable and heap-owning values.
using Maps = TupleToTypes<decltype(std::tuple_cat(
    std::declval<InHouseMaps<std::uint64_t, std::uint64_t>>(),
    std::declval<InHouseMaps<std::uint64_t, std::string>>()))>::type;

struct MapName {
  template <class M>
  static std::string GetName(int i) {
    std::string name(M::kName);
    return name + (std::is_same_v<typename M::mapped_type, std::string> ? "_string" : "_u64");
  }
};
TYPED_TEST_SUITE(AllocFailureTest, Maps, MapName);

TYPED_TEST(AllocFailureTest, EveryAllocationFailsOnceAndTheMapRecovers) {
  using M = TypeParam;
  const std::vector<Step> steps = workload();

  // N runs from 1 until a run completes without reaching its N-th allocation. (No
  // dry run fixes the total in advance: a map may seed each instance differently,
  // as go_incremental's hash0 does, so instances allocate slightly differently.)
  std::uint64_t total = 0, failures = 0, failures_while_resizing = 0;
  for (std::uint64_t n = 1;; ++n) {
    SCOPED_TRACE("first failure at allocation " + std::to_string(n));
    ASSERT_LT(n, 1000000u) << "the workload never stops allocating";
    Lockstep<M> ls(typename M::hasher{kSeed});
    ls.memory().fail_allocation_at(n);
    int extra_failures = 2;
    std::uint64_t failures_this_run = 0;
    try {
      for (std::size_t i = 0; i < steps.size(); ++i) {
        const ResizeCounters before = ls.map().resize_counters();
        bool failed = false;
        int attempts = 0;
        // Lockstep checks the whole map against the reference after each failure.
        while (apply(ls, steps[i], i) == Outcome::kAllocFailed) {
          failed = true;
          ++failures_this_run;
          if (extra_failures > 0) {
            --extra_failures;
            ls.memory().fail_allocation_at(1 + (n + extra_failures) % 4);
          }
          ASSERT_LE(++attempts, 3) << "operation " << i << " keeps failing after the injected failures";
        }
        if (failed) {
          // Did the operation that failed grow or migrate once it succeeded?
          const ResizeCounters after = ls.map().resize_counters();
          if (before.migrating || after.migrating || before.grows_started != after.grows_started) {
            failures_while_resizing += attempts;
          }
        }
      }
      ls.memory().fail_allocation_at(0);
      ls.destroy_and_check_memory();
    } catch (const LockstepMismatch& e) {
      FAIL() << e.what();
    }
    if (failures_this_run == 0) break;  // n is past this instance's last allocation
    total = n;
    failures += failures_this_run;
  }
  // A flat table allocates only its arrays, one per grow: paced_flat makes 6 here.
  ASSERT_GE(total, 6u) << "the workload should allocate repeatedly";
  EXPECT_GT(failures_while_resizing, 0u) << "no failure hit an operation that grows or migrates";
  std::printf("%s: failed each of allocations 1..%llu in turn, %llu injected failures, %llu in operations that "
              "grow or migrate\n",
              std::string(M::kName).c_str(), static_cast<unsigned long long>(total),
              static_cast<unsigned long long>(failures), static_cast<unsigned long long>(failures_while_resizing));
}

}  // namespace
}  // namespace rehashlab::testing
