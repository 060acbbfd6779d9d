// Key and value types the experiments use besides uint64_t: fixed-size strings
// (16 and 64 bytes) as keys and opaque blobs (8, 64, 256 bytes) as values. Both are
// trivially copyable on purpose: every map copies them the same way, so a size
// difference measures copying cost, not constructor behaviour. The maps themselves
// construct and destroy keys and values properly, so std::string works too.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>

namespace rehashlab {

template <std::size_t N>
struct FixedString {
  static_assert(N % 8 == 0, "hashing reads whole 8-byte words");
  std::array<char, N> bytes{};

  // The key for a number (the one key encoder: workloads, tests, peers): its 16
  // lowercase hex digits right-aligned after a '0'-filled prefix, so the mapping is
  // a bijection and long keys share a long prefix (as YCSB's "user..." keys).
  static FixedString from_u64(std::uint64_t x) {
    static_assert(N >= 16, "16 hex digits");
    static constexpr char kHex[] = "0123456789abcdef";
    FixedString s;
    s.bytes.fill('0');
    for (std::size_t i = 0; i < 16; ++i) s.bytes[N - 1 - i] = kHex[(x >> (4 * i)) & 0xf];
    return s;
  }
  friend bool operator==(const FixedString&, const FixedString&) = default;
};

template <std::size_t N>
struct Blob {
  std::array<std::uint8_t, N> bytes{};

  static Blob from_u64(std::uint64_t x) {
    Blob b;
    std::memcpy(b.bytes.data(), &x, N < 8 ? N : 8);
    return b;
  }
  friend bool operator==(const Blob&, const Blob&) = default;
};

// The value a generator writes for a number, for any value type. Strings are
// longer than the small-string buffer, so a leaked or doubly destroyed value is a
// heap error AddressSanitizer reports.
template <class V>
V make_value(std::uint64_t x) {
  if constexpr (std::is_same_v<V, std::uint64_t>) {
    return x;
  } else if constexpr (std::is_same_v<V, std::string>) {
    return "value-" + std::to_string(x) + "-padding-beyond-sso";
  } else {
    return V::from_u64(x);
  }
}

}  // namespace rehashlab
