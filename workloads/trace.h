// Operation traces: the text format, its parser, and replay with the checksum.
//
// Format (one operation per line; blank lines and lines starting with '#' are
// ignored; fields separated by spaces or tabs; a trailing '\r' is accepted):
//   I <key> <value>   insert-or-assign   r = 1 if the key was new, else 0
//   F <key>           find               r = the value if present, else 2^64-1
//   E <key>           erase              r = 1 if removed, else 0
// Keys and values are unsigned 64-bit decimals; values are below 2^64-1 (that
// value is reserved as the find-miss result). Anything else is an error reported
// as "file:line: what is wrong". A trace with no operation at all is an error too.
//
// Checksum: h = 0xcbf29ce484222325; for each operation, h = (h ^ r) * 0x100000001b3
// (mod 2^64); printed as "0x%016x".
#pragma once

#include <cstdint>
#include <istream>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace rehashlab {

enum class OpKind : std::uint8_t { kInsert, kFind, kErase };

struct Op {
  OpKind kind;
  std::uint64_t key;
  std::uint64_t value;  // inserts only
  friend bool operator==(const Op&, const Op&) = default;
};

inline constexpr std::uint64_t kFindMiss = ~std::uint64_t{0};

// A malformed trace. what() is "file:line: problem" (line omitted for file-level
// problems such as a missing file).
struct TraceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::vector<Op> parse_trace(std::istream& in, const std::string& name);
std::vector<Op> load_trace(const std::string& path);
std::string format_trace_line(const Op& op);

struct Checksum {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  void add(std::uint64_t r) { h = (h ^ r) * 0x100000001b3ULL; }
  std::string hex() const;
};

}  // namespace rehashlab
