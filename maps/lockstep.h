// A map against std::unordered_map: the one comparison the tests and the fuzzer use.
//
// compare_contents(map, ref) checks a whole map against a reference: its
// invariants, size(), that for_each visits every reference entry exactly once
// with the reference's value, and that its resize counters are consistent.
//
// Lockstep<M> owns a MemoryCounter, the map and a reference; every operation goes
// to both and the results must agree, and check_contents() runs compare_contents.
// A disagreement throws LockstepMismatch naming the map, the operation number and
// what differed: the fuzzer turns it into a crash, gtest into a failure. When an
// operation throws std::bad_alloc the reference does not apply it and the map is
// compared at once: it must have kept exactly its entries (map_api.h).
#pragma once

#include <chrono>
#include <cstdint>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "maps/hash.h"
#include "maps/map_api.h"
#include "maps/memory.h"

namespace rehashlab::testing {

// A printable form of a key or value, for messages.
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

// The first difference between `map` and `ref` (any map of the same key and
// value types), or nullopt when they agree.
template <class M, class Ref>
std::optional<std::string> compare_contents(const M& map, const Ref& ref) {
  using K = typename M::key_type;
  using V = typename M::mapped_type;
  try {
    map.check_invariants();
  } catch (const InvariantViolation& e) {
    return std::string("check_invariants: ") + e.what();
  }
  if (map.size() != ref.size()) {
    return "size() = " + std::to_string(map.size()) + ", reference " + std::to_string(ref.size());
  }
  std::unordered_map<K, V, SeededHash<K>> seen;
  std::optional<std::string> err;
  map.for_each([&](const K& k, const V& v) {
    if (err) return;
    auto it = ref.find(k);
    if (!seen.emplace(k, v).second) {
      err = "for_each visited key " + describe(k) + " twice";
    } else if (it == ref.end()) {
      err = "for_each visited key " + describe(k) + " which the reference does not have";
    } else if (!(it->second == v)) {
      err = "for_each gave key " + describe(k) + " the value " + describe(v) + ", reference " + describe(it->second);
    }
  });
  if (err) return err;
  if (seen.size() != ref.size()) {
    for (const auto& [k, v] : ref) {
      if (seen.count(k) == 0) {
        return "for_each missed key " + describe(k) + " (" + std::to_string(seen.size()) + " of " +
               std::to_string(ref.size()) + " entries visited)";
      }
    }
  }
  const ResizeCounters c = map.resize_counters();
  if (c.migrations_completed > c.grows_started) return std::string("resize counters: more migrations completed than started");
  if (c.old_arrays_freed > c.grows_started) return std::string("resize counters: more old arrays freed than grows started");
  return std::nullopt;
}

struct LockstepMismatch : std::logic_error {
  using std::logic_error::logic_error;
};

enum class Outcome : std::uint8_t { kDone, kAllocFailed };

template <class M>
class Lockstep {
 public:
  using K = typename M::key_type;
  using V = typename M::mapped_type;
  using Hash = typename M::hasher;
  // The reference always uses the well-spread seeded hash (M may use ZeroHash).
  using Reference = std::unordered_map<K, V, SeededHash<K>>;

  // Constructs M(hash, memory(), args...).
  template <class... Args>
  explicit Lockstep(const Hash& hash, Args&&... args) {
    map_.emplace(hash, mem_, std::forward<Args>(args)...);
  }

  M& map() { return *map_; }
  const M& map() const { return *map_; }
  MemoryCounter& memory() { return mem_; }
  const Reference& reference() const { return ref_; }
  std::uint64_t ops() const { return ops_; }

  Outcome insert(const K& key, const V& value) {
    return apply([&] {
      const bool inserted = map_->insert_or_assign(key, value);
      const bool expected = ref_.insert_or_assign(key, value).second;
      if (inserted != expected) {
        fail("insert_or_assign(" + describe(key) + ") returned " + (inserted ? "true" : "false") + ", reference " +
             (expected ? "true" : "false"));
      }
    });
  }

  Outcome find(const K& key) {
    return apply([&] {
      const V* got = map_->find(key);
      auto it = ref_.find(key);
      if ((got == nullptr) != (it == ref_.end())) {
        fail("find(" + describe(key) + ") " + (got ? "found a value" : "found nothing") + ", reference " +
             (got ? "has no such key" : "has " + describe(it->second)));
      }
      if (got != nullptr && !(*got == it->second)) {
        fail("find(" + describe(key) + ") = " + describe(*got) + ", reference " + describe(it->second));
      }
    });
  }

  Outcome erase(const K& key) {
    return apply([&] {
      const bool erased = map_->erase(key);
      const bool expected = ref_.erase(key) != 0;
      if (erased != expected) {
        fail("erase(" + describe(key) + ") returned " + (erased ? "true" : "false") + ", reference " +
             (expected ? "true" : "false"));
      }
    });
  }

  Outcome maintenance(std::chrono::nanoseconds budget) {
    return apply([&] { map_->maintenance(budget); });
  }

  void clear() {
    ++ops_;
    map_->clear();
    ref_.clear();
    check_size();
  }

  // The whole map against the reference (compare_contents).
  void check_contents() const {
    if (auto err = compare_contents(*map_, ref_)) fail(*err);
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
  // Runs one operation; on std::bad_alloc the map must be as before it.
  template <class Op>
  Outcome apply(Op&& op) {
    ++ops_;
    try {
      op();
    } catch (const std::bad_alloc&) {
      check_contents();
      return Outcome::kAllocFailed;
    }
    check_size();
    return Outcome::kDone;
  }

  void check_size() const {
    if (map_->size() != ref_.size()) {
      fail("size() = " + std::to_string(map_->size()) + ", reference " + std::to_string(ref_.size()));
    }
  }

  MemoryCounter mem_;  // declared before map_: the map must not outlive it
  std::optional<M> map_;
  Reference ref_;
  std::uint64_t ops_ = 0;
};

}  // namespace rehashlab::testing
