// Keys and values from numbers. A workload produces 64-bit "key numbers" (distinct
// numbers are distinct keys); make_key turns one into the run's key type:
//   uint64_t        the number itself
//   FixedString<N>  FixedString<N>::from_u64 (maps/types.h): 16 lowercase hex
//                   digits right-aligned after a '0'-filled prefix
// value_word reads the 8 bytes the checksum folds back out of any value type.
#pragma once

#include <cstdint>
#include <cstring>
#include <type_traits>

#include "maps/types.h"

namespace rehashlab {

template <class K>
K make_key(std::uint64_t num) {
  if constexpr (std::is_same_v<K, std::uint64_t>) {
    return num;
  } else {
    return K::from_u64(num);  // FixedString<N>: maps/types.h, the one encoder
  }
}

template <class V>
std::uint64_t value_word(const V& v) {
  if constexpr (std::is_same_v<V, std::uint64_t>) {
    return v;
  } else {
    std::uint64_t w = 0;
    std::memcpy(&w, v.bytes.data(), sizeof(v.bytes) < 8 ? sizeof(v.bytes) : 8);
    return w;
  }
}

}  // namespace rehashlab
