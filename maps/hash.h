// The seeded 64-bit hash every map in a run uses (unless a run says otherwise), so
// that differences between maps come from the tables, not from their hashes.
//
// u64 keys: the seed is xored in and the result goes through the splitmix64
// finalizer (two multiplies, three xor-shifts). The finalizer is a bijection with
// full avalanche, so keys that share low bits (multiples of 2^24, say) spread over
// all buckets, and an attacker who does not know the seed cannot pick keys that
// collide: a set of keys colliding under one seed is scattered under another
// (hash_flooding_test checks this).
// String keys: 8-byte words folded through the same finalizer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "maps/types.h"

namespace rehashlab {

constexpr std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Inverse of mix64 (tests use it to build keys that collide under one seed).
constexpr std::uint64_t unmix64(std::uint64_t x) {
  x ^= x >> 31 ^ x >> 62;
  x *= 0x319642b2d24d8ec3ULL;
  x ^= x >> 27 ^ x >> 54;
  x *= 0x96de1b173f119089ULL;
  x ^= x >> 30 ^ x >> 60;
  return x;
}

inline std::uint64_t hash_bytes(const void* data, std::size_t len, std::uint64_t seed) {
  const auto* p = static_cast<const unsigned char*>(data);
  std::uint64_t h = mix64(seed ^ (len * 0x9e3779b97f4a7c15ULL));
  for (; len >= 8; p += 8, len -= 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
  }
  if (len > 0) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, len);
    h = mix64(h ^ w);
  }
  return mix64(h);
}

template <class K>
struct SeededHash;

template <>
struct SeededHash<std::uint64_t> {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::uint64_t key) const noexcept { return mix64(key ^ seed); }
};

template <std::size_t N>
struct SeededHash<FixedString<N>> {
  std::uint64_t seed = 0;
  std::uint64_t operator()(const FixedString<N>& key) const noexcept {
    return hash_bytes(key.bytes.data(), N, seed);
  }
};

template <>
struct SeededHash<std::string> {
  std::uint64_t seed = 0;
  std::uint64_t operator()(std::string_view key) const noexcept {
    return hash_bytes(key.data(), key.size(), seed);
  }
};

// A hostile hasher under which every key collides (the worst case any table can
// see). Tests and the fuzzer run every map under it; the seed is ignored on purpose.
template <class K>
struct ZeroHash {
  std::uint64_t seed = 0;
  std::uint64_t operator()(const K&) const noexcept { return 0; }
};

}  // namespace rehashlab
