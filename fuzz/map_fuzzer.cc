// libFuzzer target: bytes -> a sequence of map operations, run against every
// in-house map of the registry in lockstep with std::unordered_map (Lockstep in
// maps/lockstep.h compares every result, and the full contents at intervals).
// How to run it: fuzz/README.md. REHASHLAB_FUZZ_MAP=name fuzzes one map only.
//
// Input format (every byte sequence is valid; decoding stops at the end):
//   byte 0: setup
//     bits 0-1  hash seed: 0, 1, the harness default, 2^63 + 1
//     bits 2-3  key space: 16 keys; 256 keys; 256 multiples of 2^24 (collide in
//               the low bits); 4096 keys (two key bytes per operation)
//     bit  4    value type: uint64_t or std::string (heap-allocated: ASan sees
//               leaked or doubly destroyed values)
//     bits 5-7  all set: the hostile ZeroHash (every key collides); the key space
//               is then capped at 256 keys to keep executions fast
//   then operations, one opcode byte each (high nibble = kind, low = parameter),
//   followed by a key index (one byte, or two in the 4096-key space) when the kind
//   takes a key:
//     0-5  insert_or_assign(key, value = operation number)
//     6-8  find(key)                9-11  erase(key)
//     12   maintenance(budget: 0, 1 us, 20 us or 200 us by parameter & 3)
//     13   insert (parameter + 1) * 16 consecutive keys from key (drives growth)
//     14   erase (parameter + 1) * 16 consecutive keys from key
//     15   parameter 0: clear(); 1-7: full contents check;
//          8-15: the (parameter - 7)-th allocation of the next operation fails
// Full contents are also checked every 64 operations and at the end, and the map
// must give back every byte it allocated when destroyed.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "maps/lockstep.h"
#include "maps/registry.h"
#include "maps/types.h"

namespace rehashlab::fuzzing {
namespace {

using testing::Lockstep;

enum class Kind : std::uint8_t {
  kInsert, kFind, kErase, kMaintenance, kBulkInsert, kBulkErase, kClear, kCheck, kFailAllocation
};

struct FuzzOp {
  Kind kind;
  std::uint64_t key_index = 0;  // index into the key space
  std::uint64_t arg = 0;        // count (bulk), budget (ns), allocation number
};

struct FuzzCase {
  std::uint64_t seed = 0;
  std::uint64_t key_space = 16;
  std::uint64_t key_shift = 0;  // key = index << key_shift
  bool string_values = false;
  bool zero_hash = false;
  std::vector<FuzzOp> ops;
};

// Bounds the work of one input (bulk operations count per key).
constexpr std::uint64_t kMaxKeyOps = 20000;
constexpr std::uint64_t kCheckEvery = 64;

FuzzCase decode(const std::uint8_t* data, std::size_t size) {
  FuzzCase c;
  if (size == 0) return c;
  std::size_t pos = 0;
  const std::uint8_t setup = data[pos++];
  static constexpr std::uint64_t kSeeds[] = {0, 1, 0x5eed5eed5eed5eedULL, 0x8000000000000001ULL};
  c.seed = kSeeds[setup & 3];
  c.zero_hash = (setup >> 5) == 7;
  c.string_values = (setup >> 4) & 1;
  bool wide_keys = false;
  switch ((setup >> 2) & 3) {
    case 0: c.key_space = 16; break;
    case 1: c.key_space = 256; break;
    case 2: c.key_space = 256; c.key_shift = 24; break;
    case 3:
      c.key_space = c.zero_hash ? 256 : 4096;
      wide_keys = !c.zero_hash;
      break;
  }
  auto next_key = [&]() -> std::uint64_t {
    std::uint64_t k = pos < size ? data[pos++] : 0;
    if (wide_keys) k = k << 8 | (pos < size ? data[pos++] : 0);
    return k % c.key_space;
  };
  std::uint64_t key_ops = 0;
  while (pos < size && key_ops < kMaxKeyOps) {
    const std::uint8_t code = data[pos++];
    const unsigned kind = code >> 4, param = code & 15;
    FuzzOp op{};
    if (kind <= 5) {
      op = {Kind::kInsert, next_key()};
    } else if (kind <= 8) {
      op = {Kind::kFind, next_key()};
    } else if (kind <= 11) {
      op = {Kind::kErase, next_key()};
    } else if (kind == 12) {
      static constexpr std::uint64_t kBudgetsNs[] = {0, 1000, 20000, 200000};
      op = {Kind::kMaintenance, 0, kBudgetsNs[param & 3]};
    } else if (kind == 13 || kind == 14) {
      op = {kind == 13 ? Kind::kBulkInsert : Kind::kBulkErase, next_key(), (param + 1) * 16ULL};
      key_ops += op.arg - 1;
    } else if (param == 0) {
      op = {Kind::kClear};
    } else if (param < 8) {
      op = {Kind::kCheck};
    } else {
      op = {Kind::kFailAllocation, 0, param - 7ULL};
    }
    ++key_ops;
    c.ops.push_back(op);
  }
  return c;
}

template <class M>
void run_case(const FuzzCase& c) {
  using K = typename M::key_type;
  using V = typename M::mapped_type;
  Lockstep<M> ls(typename M::hasher{c.seed});
  auto key = [&](std::uint64_t index) -> K { return (index % c.key_space) << c.key_shift; };
  std::uint64_t step = 0;
  for (const FuzzOp& op : c.ops) {
    ++step;
    switch (op.kind) {
      case Kind::kInsert:
        ls.insert(key(op.key_index), make_value<V>(step));
        break;
      case Kind::kFind:
        ls.find(key(op.key_index));
        break;
      case Kind::kErase:
        ls.erase(key(op.key_index));
        break;
      case Kind::kMaintenance:
        ls.maintenance(std::chrono::nanoseconds(op.arg));
        break;
      case Kind::kBulkInsert:
      case Kind::kBulkErase:
        for (std::uint64_t i = 0; i < op.arg; ++i) {
          if (op.kind == Kind::kBulkInsert) {
            ls.insert(key(op.key_index + i), make_value<V>(step * 65536 + i));
          } else {
            ls.erase(key(op.key_index + i));
          }
        }
        break;
      case Kind::kClear:
        ls.memory().fail_allocation_at(0);  // injected failures target operations, not clear()
        ls.clear();
        break;
      case Kind::kCheck:
        ls.memory().fail_allocation_at(0);
        ls.check_contents();
        break;
      case Kind::kFailAllocation:
        // Armed for the next operation only; the Lockstep checks the contents
        // right after a failure, and the disarm below keeps it from leaking into
        // a later, unrelated operation.
        ls.memory().fail_allocation_at(op.arg);
        continue;
    }
    ls.memory().fail_allocation_at(0);
    if (step % kCheckEvery == 0) ls.check_contents();
  }
  ls.memory().fail_allocation_at(0);
  ls.destroy_and_check_memory();
}

// REHASHLAB_FUZZ_MAP=name restricts fuzzing to one map (for a per-map run).
const char* only_map() {
  static const char* name = std::getenv("REHASHLAB_FUZZ_MAP");
  return name;
}

template <class V, class Hash>
void run_all_maps(const FuzzCase& c) {
  for_each_in_house_map<std::uint64_t, V, Hash>([&]<class M>(std::type_identity<M>) {
    if (only_map() == nullptr || M::kName == only_map()) run_case<M>(c);
  });
}

}  // namespace
}  // namespace rehashlab::fuzzing

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace rehashlab;
  using namespace rehashlab::fuzzing;
  static const bool known_map = [] {
    if (only_map() == nullptr) return true;
    bool found = false;
    for_each_in_house_map<std::uint64_t, std::uint64_t, SeededHash<std::uint64_t>>(
        [&]<class M>(std::type_identity<M>) { found = found || M::kName == only_map(); });
    return found;
  }();
  if (!known_map) {
    std::fprintf(stderr, "map_fuzzer: REHASHLAB_FUZZ_MAP=%s is not an in-house map\n", only_map());
    std::exit(2);
  }
  // Same hash0 for go_incremental whatever ran before: every input reproduces alone.
  restart_go_incremental_instance_numbering();
  const FuzzCase c = decode(data, size);
  try {
    if (c.zero_hash) {
      if (c.string_values) {
        run_all_maps<std::string, ZeroHash<std::uint64_t>>(c);
      } else {
        run_all_maps<std::uint64_t, ZeroHash<std::uint64_t>>(c);
      }
    } else if (c.string_values) {
      run_all_maps<std::string, SeededHash<std::uint64_t>>(c);
    } else {
      run_all_maps<std::uint64_t, SeededHash<std::uint64_t>>(c);
    }
  } catch (const std::exception& e) {
    // A mismatch, an invariant violation, or an exception no map may throw here.
    std::fprintf(stderr, "map_fuzzer: %s\n", e.what());
    std::abort();
  }
  return 0;
}
