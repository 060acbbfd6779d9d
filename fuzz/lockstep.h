// Lockstep checking of one map against std::unordered_map, shared by the fuzzer
// (fuzz/map_fuzzer.cc) and the allocation-failure test (maps/alloc_failure_test.cc).
//
// A Lockstep<M> owns a MemoryCounter, the map under test and a reference
// std::unordered_map. Every operation goes to both and the results must agree;
// check_contents() compares the whole map (for_each, size, check_invariants) with
// the reference. Any disagreement throws LockstepMismatch naming the map, the
// operation number and what differed: the fuzzer turns it into a crash, gtest
// into a test failure.
//
// Allocation failure (map_api.h): when an operation throws std::bad_alloc the
// reference does not apply it, so the next check_contents() verifies that the
// map kept exactly the entries it had. The operation reports kAllocFailed and
// the caller decides whether to retry it.
//
// Also here: the list of in-house maps from the registry (InHouseMaps), the
// constant hasher used to simulate a total hash collision (ZeroHash), and
// deterministic values of any tested type (lockstep_value).
#pragma once

#include <chrono>
#include <cstdint>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "maps/hash.h"
#include "maps/map_api.h"
#include "maps/memory.h"
#include "maps/registry.h"

namespace rehashlab::fuzzing {

// std::tuple<M...> of every map in AllMaps with kInHouse, instantiated at <K, V, Hash>.
template <class List, class K, class V, class Hash>
struct InHouseMapsOf;
template <template <class, class, class> class... Maps, class K, class V, class Hash>
struct InHouseMapsOf<MapList<Maps...>, K, V, Hash> {
  using type = decltype(std::tuple_cat(
      std::declval<std::conditional_t<Maps<K, V, Hash>::kInHouse, std::tuple<Maps<K, V, Hash>>, std::tuple<>>>()...));
};
template <class K, class V, class Hash = SeededHash<K>>
using InHouseMaps = typename InHouseMapsOf<AllMaps, K, V, Hash>::type;

// Calls f(std::type_identity<M>{}) for every in-house map at <K, V, Hash>.
template <class K, class V, class Hash, class F>
void for_each_in_house_map(F&& f) {
  AllMaps::for_each_map<K, V, Hash>([&]<class M>(std::type_identity<M> id) {
    if constexpr (M::kInHouse) f(id);
  });
}

// A deterministic value of type V for the number x. Strings are longer than the
// small-string buffer so that a leaked or doubly destroyed value is a heap error
// AddressSanitizer reports.
template <class V>
V lockstep_value(std::uint64_t x) {
  if constexpr (std::is_same_v<V, std::string>) {
    return "value-" + std::to_string(x) + "-padding-beyond-sso";
  } else if constexpr (std::is_same_v<V, std::uint64_t>) {
    return x;
  } else {
    return V::from_u64(x);
  }
}

struct LockstepMismatch : std::logic_error {
  using std::logic_error::logic_error;
};

template <class T>
std::string describe(const T& x) {
  if constexpr (std::is_same_v<T, std::string>) {
    return "\"" + x + "\"";
  } else if constexpr (std::is_integral_v<T>) {
    return std::to_string(x);
  } else if constexpr (requires { x.value; }) {
    return describe(x.value);
  } else {
    return "<value>";
  }
}

enum class Outcome : std::uint8_t { kDone, kAllocFailed };

template <class M>
class Lockstep {
 public:
  using K = typename M::key_type;
  using V = typename M::mapped_type;
  using Hash = typename M::hasher;
  // The reference always uses the well-spread seeded hash (M may use ZeroHash).
  using Reference = std::unordered_map<K, V, SeededHash<K>>;

  explicit Lockstep(const Hash& hash) { map_.emplace(hash, mem_); }

  M& map() { return *map_; }
  MemoryCounter& memory() { return mem_; }
  const Reference& reference() const { return ref_; }
  std::uint64_t ops() const { return ops_; }

  Outcome insert(const K& key, const V& value) {
    ++ops_;
    bool inserted;
    try {
      inserted = map_->insert_or_assign(key, value);
    } catch (const std::bad_alloc&) {
      after_alloc_failure();
      return Outcome::kAllocFailed;
    }
    const bool expected = ref_.insert_or_assign(key, value).second;
    if (inserted != expected) {
      fail("insert_or_assign(" + describe(key) + ") returned " + (inserted ? "true" : "false") +
           ", reference " + (expected ? "true" : "false"));
    }
    check_size();
    return Outcome::kDone;
  }

  Outcome find(const K& key) {
    ++ops_;
    const V* got;
    try {
      got = map_->find(key);
    } catch (const std::bad_alloc&) {
      after_alloc_failure();
      return Outcome::kAllocFailed;
    }
    auto it = ref_.find(key);
    if ((got == nullptr) != (it == ref_.end())) {
      fail("find(" + describe(key) + ") " + (got ? "found a value" : "found nothing") + ", reference " +
           (got ? "has no such key" : "has " + describe(it->second)));
    }
    if (got != nullptr && !(*got == it->second)) {
      fail("find(" + describe(key) + ") = " + describe(*got) + ", reference " + describe(it->second));
    }
    check_size();
    return Outcome::kDone;
  }

  Outcome erase(const K& key) {
    ++ops_;
    bool erased;
    try {
      erased = map_->erase(key);
    } catch (const std::bad_alloc&) {
      after_alloc_failure();
      return Outcome::kAllocFailed;
    }
    const bool expected = ref_.erase(key) != 0;
    if (erased != expected) {
      fail("erase(" + describe(key) + ") returned " + (erased ? "true" : "false") + ", reference " +
           (expected ? "true" : "false"));
    }
    check_size();
    return Outcome::kDone;
  }

  Outcome maintenance(std::chrono::nanoseconds budget) {
    ++ops_;
    try {
      map_->maintenance(budget);
    } catch (const std::bad_alloc&) {
      after_alloc_failure();
      return Outcome::kAllocFailed;
    }
    check_size();
    return Outcome::kDone;
  }

  void clear() {
    ++ops_;
    map_->clear();
    ref_.clear();
    check_size();
  }

  // The whole map against the reference: for_each visits every entry exactly once
  // with the reference's value, size() agrees, the map's invariants hold, and the
  // resize counters are consistent.
  void check_contents() {
    Reference seen;
    bool duplicate = false, extra = false, wrong_value = false;
    K bad_key{};
    map_->for_each([&](const K& k, const V& v) {
      if (!seen.emplace(k, v).second && !duplicate) duplicate = true, bad_key = k;
      auto it = ref_.find(k);
      if (it == ref_.end()) {
        if (!extra) extra = true, bad_key = k;
      } else if (!(it->second == v) && !wrong_value) {
        wrong_value = true, bad_key = k;
      }
    });
    if (duplicate) fail("for_each visited key " + describe(bad_key) + " twice");
    if (extra) fail("for_each visited key " + describe(bad_key) + " which the reference does not have");
    if (wrong_value) fail("for_each gave key " + describe(bad_key) + " a value the reference does not have");
    if (seen.size() != ref_.size()) {
      for (const auto& [k, v] : ref_) {
        if (seen.count(k) == 0) {
          fail("for_each missed key " + describe(k) + " (" + std::to_string(seen.size()) + " of " +
               std::to_string(ref_.size()) + " entries visited)");
        }
      }
    }
    check_size();
    try {
      map_->check_invariants();
    } catch (const InvariantViolation& e) {
      fail(std::string("check_invariants: ") + e.what());
    }
    const ResizeCounters c = map_->resize_counters();
    if (c.migrations_completed > c.grows_started) fail("resize counters: more migrations completed than started");
    if (c.old_arrays_freed > c.grows_started) fail("resize counters: more old arrays freed than grows started");
    std::uint64_t counters = 0;
    map_->for_each_counter([&](std::string_view, std::uint64_t) { ++counters; });
    (void)counters;
  }

  // Destroys the map (after a final check_contents) and checks that it returned
  // every byte it allocated. The Lockstep is unusable afterwards.
  void destroy_and_check_memory() {
    check_contents();
    map_.reset();
    if (mem_.live_bytes() != 0) {
      fail("destroyed map still holds " + std::to_string(mem_.live_bytes()) + " bytes (leak)");
    }
  }

  // Raises LockstepMismatch with the map name and operation number.
  [[noreturn]] void fail(const std::string& what) const {
    std::ostringstream out;
    out << M::kName << ", operation " << ops_ << ": " << what;
    throw LockstepMismatch(out.str());
  }

 private:
  void check_size() {
    if (map_->size() != ref_.size()) {
      fail("size() = " + std::to_string(map_->size()) + ", reference " + std::to_string(ref_.size()));
    }
  }
  // The failed operation must not have happened (map_api.h): compare now, while
  // the failure is fresh, so a mismatch names the operation that caused it.
  void after_alloc_failure() {
    ++alloc_failures_;
    check_contents();
  }

  MemoryCounter mem_;  // declared before map_: the map must not outlive it
  std::optional<M> map_;
  Reference ref_;
  std::uint64_t ops_ = 0;
  std::uint64_t alloc_failures_ = 0;
};

}  // namespace rehashlab::fuzzing
