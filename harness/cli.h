// The command-line layer of the rehashlab binary and the benchmarks: CLI11
// (Debian libcli11-dev) for verbs, flags and generated --help; this file adds
// rehashlab's value syntax (counts with k/M/G suffixes, comma lists without
// duplicates, named choices) and its error wording. Every bad command line is a
// UsageError: message on stderr, exit status 2.
#pragma once

#include <cstdint>
#include <functional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace rehashlab::cli {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A non-negative integer with an optional k/M/G suffix (10M = 10000000).
std::uint64_t parse_count(const std::string& text, const std::string& flag);
// A finite number.
double parse_number(const std::string& text, const std::string& flag);
// A finite number with an optional k/M/G suffix (--rate=500k).
double parse_scaled_number(const std::string& text, const std::string& flag);
// A comma-separated list of non-empty, distinct items.
std::vector<std::string> parse_list(const std::string& text, const std::string& flag);
// `text` if it is one of `valid`, else a UsageError listing them.
std::string parse_choice(const std::string& text, const std::string& flag, const std::vector<std::string>& valid);

// Flag registration: each parses its value with the functions above when the
// flag is seen (so errors name the flag and its value) and rejects repeats.
CLI::Option* add_count(CLI::App& app, const std::string& flag, std::uint64_t& out, const std::string& help);
CLI::Option* add_number(CLI::App& app, const std::string& flag, double& out, const std::string& help);
CLI::Option* add_text(CLI::App& app, const std::string& flag, std::string& out, const std::string& help);
CLI::Option* add_choice(CLI::App& app, const std::string& flag, std::string& out, std::vector<std::string> valid,
                        const std::string& help);
CLI::Option* add_list(CLI::App& app, const std::string& flag, std::vector<std::string>& out, const std::string& help);
// --flag=on|off.
CLI::Option* add_on_off(CLI::App& app, const std::string& flag, bool& out, const std::string& help);

// Parses argv into `app`, turning CLI11's errors into UsageErrors worded as
// rehashlab's. Returns false when --help was asked for (the help text has then
// been written to `help_out`).
bool parse(CLI::App& app, int argc, char** argv, std::ostream& help_out);

// For the benchmarks: parses this program's own flags into `app` and returns argv
// with them removed (argv[0] and every other argument, e.g. Google Benchmark's
// --benchmark_* flags, in order) for the next parser. On a bad flag or --help,
// prints the message or help and exits (2, or 0 for --help).
std::vector<char*> parse_own_flags(CLI::App& app, int argc, char** argv);

// Writes `text` to stdout and flushes; throws std::runtime_error naming the
// error (a full device, a closed stdout) so that no output is lost silently.
void write_stdout(const std::string& text);

// "name" was given on the command line.
inline bool given(const CLI::App& app, const std::string& flag) { return app.count("--" + flag) > 0; }

}  // namespace rehashlab::cli
