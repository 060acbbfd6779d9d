// Command-line parsing for the rehashlab binary: `rehashlab VERB --flag=value ...`.
// Small on purpose: flags are --name=value or --name (boolean); every verb
// declares the flags it accepts, and anything else is a UsageError (exit 2).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

namespace rehashlab::cli {

// Bad command line: message printed to stderr, exit status 2.
struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Args {
  std::string verb;
  std::map<std::string, std::string> flags;  // name (without --) -> value ("" for booleans)
  std::vector<std::string> positional;

  bool has(const std::string& name) const { return flags.count(name) != 0; }
  // The flag's value; UsageError if missing and no default.
  std::string get(const std::string& name) const;
  std::string get(const std::string& name, const std::string& fallback) const;
  std::uint64_t get_u64(const std::string& name, std::uint64_t fallback) const;
  double get_double(const std::string& name, double fallback) const;
  // UsageError naming any flag not in `allowed`, and any positional argument.
  void allow_only(const std::set<std::string>& allowed) const;
};

Args parse(int argc, char** argv);

// Parses a non-negative integer with an optional k/M/G suffix (10M = 10000000).
std::uint64_t parse_count(const std::string& text, const std::string& flag);

}  // namespace rehashlab::cli
