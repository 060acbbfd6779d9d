// The one operation switch: what an insert, find or erase returns into the
// checksum (workloads/trace.h's rule), for any map and any key/value types. The
// harness's timed op, trace replay and the tests all go through apply_op.
#pragma once

#include <cstdint>
#include <span>

#include "workloads/keys.h"
#include "workloads/trace.h"

namespace rehashlab {

// r of one operation: 1/0 for an insert that added / overwrote, the value's first
// 8 bytes or kFindMiss for a find, 1/0 for an erase that removed / found nothing.
template <class M>
std::uint64_t apply_op(M& map, OpKind kind, const typename M::key_type& key, const typename M::mapped_type& value) {
  switch (kind) {
    case OpKind::kInsert:
      return map.insert_or_assign(key, value) ? 1 : 0;
    case OpKind::kFind: {
      const auto* v = map.find(key);
      return v != nullptr ? value_word(*v) : kFindMiss;
    }
    case OpKind::kErase:
      return map.erase(key) ? 1 : 0;
  }
  return 0;
}

// A trace operation on a map of uint64_t -> uint64_t.
template <class M>
std::uint64_t apply_op(M& map, const Op& op) {
  return apply_op(map, op.kind, op.key, op.value);
}

template <class M>
std::uint64_t replay_checksum(M& map, std::span<const Op> ops) {
  Checksum sum;
  for (const Op& op : ops) sum.add(apply_op(map, op));
  return sum.h;
}

}  // namespace rehashlab
