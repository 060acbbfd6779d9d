#include "workloads/trace.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <cinttypes>
#include <cstdio>
#include <fstream>
#include <string_view>

namespace rehashlab {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

// Next whitespace-separated field of `line` from `pos`, or empty at the end.
std::string_view next_field(std::string_view line, std::size_t& pos) {
  while (pos < line.size() && is_space(line[pos])) ++pos;
  const std::size_t start = pos;
  while (pos < line.size() && !is_space(line[pos])) ++pos;
  return line.substr(start, pos - start);
}

std::string printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 40)) {
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x20 && u < 0x7f) {
      out += c;
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", u);
      out += buf;
    }
  }
  if (s.size() > 40) out += "...";
  return out;
}

// Parses a u64 decimal; returns an error message or empty on success.
std::string parse_u64(std::string_view field, const char* what, std::uint64_t& out) {
  if (field.empty()) return std::string("missing ") + what;
  std::uint64_t v = 0;
  for (char c : field) {
    if (c < '0' || c > '9') return std::string(what) + " '" + printable(field) + "' is not an unsigned decimal";
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (UINT64_MAX - d) / 10) return std::string(what) + " '" + printable(field) + "' is out of range (max 2^64-1)";
    v = v * 10 + d;
  }
  out = v;
  return {};
}

}  // namespace

std::vector<Op> parse_trace(std::istream& in, const std::string& name) {
  std::vector<Op> ops;
  std::string raw;
  std::uint64_t line_no = 0;
  auto fail = [&](const std::string& msg) { throw TraceError(name + ":" + std::to_string(line_no) + ": " + msg); };
  while (std::getline(in, raw)) {
    ++line_no;
    std::string_view line = raw;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    std::size_t pos = 0;
    const std::string_view op = next_field(line, pos);
    if (op.empty() || op.front() == '#') continue;  // blank line or comment
    if (op.size() != 1 || (op[0] != 'I' && op[0] != 'F' && op[0] != 'E')) {
      fail("unknown operation '" + printable(op) + "' (expected I, F or E)");
    }
    Op parsed{};
    parsed.kind = op[0] == 'I' ? OpKind::kInsert : op[0] == 'F' ? OpKind::kFind : OpKind::kErase;
    if (auto err = parse_u64(next_field(line, pos), "key", parsed.key); !err.empty()) fail(err);
    if (parsed.kind == OpKind::kInsert) {
      if (auto err = parse_u64(next_field(line, pos), "value", parsed.value); !err.empty()) fail(err);
      if (parsed.value == kFindMiss) fail("value 18446744073709551615 (2^64-1) is reserved for find misses");
    }
    if (const std::string_view extra = next_field(line, pos); !extra.empty()) {
      fail("unexpected extra field '" + printable(extra) + "'");
    }
    ops.push_back(parsed);
  }
  if (in.bad()) throw TraceError(name + ": read error");
  if (ops.empty()) throw TraceError(name + ": no operations (empty trace)");
  return ops;
}

std::vector<Op> load_trace(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw TraceError(path + ": is a directory, not a trace file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) throw TraceError(path + ": cannot open trace file (" + std::strerror(errno) + ")");
  return parse_trace(in, path);
}

std::string format_trace_line(const Op& op) {
  switch (op.kind) {
    case OpKind::kInsert:
      return "I " + std::to_string(op.key) + " " + std::to_string(op.value);
    case OpKind::kFind:
      return "F " + std::to_string(op.key);
    case OpKind::kErase:
      return "E " + std::to_string(op.key);
  }
  return {};
}

std::string Checksum::hex() const {
  char buf[32];
  std::snprintf(buf, sizeof buf, "0x%016" PRIx64, h);
  return buf;
}

}  // namespace rehashlab
