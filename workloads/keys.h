// Keys and values from numbers. A workload produces 64-bit "key numbers" (distinct
// numbers are distinct keys); make_key turns one into the run's key type:
//   uint64_t        the number itself
//   FixedString<N>  the number as 16 lowercase hex digits, right-aligned after a
//                   '0'-filled prefix (N >= 16), so the mapping is a bijection and
//                   64-byte keys share a long prefix (as YCSB's "user..." keys).
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
    static_assert(sizeof(K{}.bytes) >= 16, "string keys hold 16 hex digits");
    K k;
    k.bytes.fill('0');
    constexpr std::size_t n = sizeof(K{}.bytes);
    static constexpr char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < 16; ++i) k.bytes[n - 1 - i] = kHex[(num >> (4 * i)) & 0xf];
    return k;
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
