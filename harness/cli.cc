#include "harness/cli.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>

namespace rehashlab::cli {

Args parse(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--", 0) == 0) {
      const auto eq = a.find('=');
      const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
      if (name.empty()) throw UsageError("empty flag name in '" + a + "'");
      if (args.flags.count(name) != 0) throw UsageError("flag --" + name + " given twice");
      args.flags[name] = eq == std::string::npos ? "" : a.substr(eq + 1);
    } else if (args.verb.empty()) {
      args.verb = a;
    } else {
      args.positional.push_back(a);
    }
  }
  return args;
}

std::string Args::get(const std::string& name) const {
  auto it = flags.find(name);
  if (it == flags.end() || it->second.empty()) throw UsageError("missing required flag --" + name + "=...");
  return it->second;
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = flags.find(name);
  if (it == flags.end()) return fallback;
  if (it->second.empty()) throw UsageError("flag --" + name + " needs a value (--" + name + "=...)");
  return it->second;
}

std::uint64_t parse_count(const std::string& text, const std::string& flag) {
  std::uint64_t mult = 1;
  std::string digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'k': case 'K': mult = 1000; digits.pop_back(); break;
      case 'm': case 'M': mult = 1000000; digits.pop_back(); break;
      case 'g': case 'G': mult = 1000000000; digits.pop_back(); break;
      default: break;
    }
  }
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
    throw UsageError("--" + flag + "=" + text + ": expected a non-negative integer (suffix k, M or G allowed)");
  }
  errno = 0;
  const unsigned long long v = std::strtoull(digits.c_str(), nullptr, 10);
  if (errno == ERANGE || v > UINT64_MAX / mult) throw UsageError("--" + flag + "=" + text + ": out of range");
  return v * mult;
}

std::uint64_t Args::get_u64(const std::string& name, std::uint64_t fallback) const {
  if (!has(name)) return fallback;
  return parse_count(get(name), name);
}

double Args::get_double(const std::string& name, double fallback) const {
  if (!has(name)) return fallback;
  const std::string text = get(name);
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    throw UsageError("--" + name + "=" + text + ": expected a number");
  }
  return v;
}

void Args::allow_only(const std::set<std::string>& allowed) const {
  for (const auto& [name, value] : flags) {
    if (allowed.count(name) == 0) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "--" : ", --") + a;
      throw UsageError("unknown flag --" + name + " for '" + verb + "' (valid: " + (list.empty() ? "none" : list) + ")");
    }
  }
  if (!positional.empty()) throw UsageError("unexpected argument '" + positional.front() + "'");
}

}  // namespace rehashlab::cli
