#include "harness/cli.h"

#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <set>

namespace rehashlab::cli {
namespace {

std::string joined(const std::vector<std::string>& items, const std::string& sep) {
  std::string out;
  for (const auto& s : items) out += (out.empty() ? "" : sep) + s;
  return out;
}

// "fresh, system or naive".
std::string alternatives(const std::vector<std::string>& valid) {
  if (valid.size() <= 1) return joined(valid, "");
  return joined(std::vector<std::string>(valid.begin(), valid.end() - 1), ", ") + " or " + valid.back();
}

CLI::Option* once(CLI::Option* o) {
  return o->multi_option_policy(CLI::MultiOptionPolicy::Throw)->allow_extra_args(false)->expected(1);
}

// The flags a (sub)command accepts, for "unknown flag" messages.
std::string valid_flags(const CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::Option* o : app.get_options()) {
    for (const auto& n : o->get_lnames()) {
      if (n != "help") names.push_back("--" + n);
    }
  }
  return names.empty() ? "none" : joined(names, ", ");
}

// The words after "...not expected: " in a CLI11 ExtrasError.
std::vector<std::string> extras_of(const std::string& what) {
  std::vector<std::string> out;
  const auto colon = what.find(": ");
  std::string rest = colon == std::string::npos ? what : what.substr(colon + 2);
  std::size_t pos = 0;
  while (pos < rest.size()) {
    const auto space = rest.find(' ', pos);
    const std::string word = rest.substr(pos, space == std::string::npos ? std::string::npos : space - pos);
    if (!word.empty()) out.push_back(word);
    if (space == std::string::npos) break;
    pos = space + 1;
  }
  return out;
}

// The first "--name" of a CLI11 message such as "--map: At Most 1 required ...".
std::string flag_of(const std::string& what) {
  if (what.rfind("--", 0) != 0) return "";
  const auto end = what.find_first_of(": ");
  return what.substr(2, end == std::string::npos ? std::string::npos : end - 2);
}

// The subcommand a ParseError came from (CLI11 names it), or the top-level app.
const CLI::App* app_named(const CLI::App& top, const std::string& name) {
  for (const CLI::App* sub : top.get_subcommands({})) {
    if (sub->get_name() == name) return sub;
  }
  return &top;
}

}  // namespace

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

double parse_number(const std::string& text, const std::string& flag) {
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || end == text.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v)) {
    throw UsageError("--" + flag + "=" + text + ": expected a number");
  }
  return v;
}

double parse_scaled_number(const std::string& text, const std::string& flag) {
  double mult = 1;
  std::string digits = text;
  if (!digits.empty()) {
    switch (digits.back()) {
      case 'k': case 'K': mult = 1e3; digits.pop_back(); break;
      case 'm': case 'M': mult = 1e6; digits.pop_back(); break;
      case 'g': case 'G': mult = 1e9; digits.pop_back(); break;
      default: break;
    }
  }
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(digits.c_str(), &end);
  if (digits.empty() || end == digits.c_str() || *end != '\0' || errno == ERANGE || !std::isfinite(v * mult)) {
    throw UsageError("--" + flag + "=" + text + ": expected a number (suffix k, M or G allowed)");
  }
  return v * mult;
}

std::vector<std::string> parse_list(const std::string& text, const std::string& flag) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::size_t pos = 0;
  for (;;) {
    const auto comma = text.find(',', pos);
    const std::string item = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    if (item.empty()) throw UsageError("--" + flag + "=" + text + ": empty item in the list");
    if (!seen.insert(item).second) throw UsageError("--" + flag + "=" + text + ": '" + item + "' given twice");
    out.push_back(item);
    if (comma == std::string::npos) return out;
    pos = comma + 1;
  }
}

std::string parse_choice(const std::string& text, const std::string& flag, const std::vector<std::string>& valid) {
  for (const auto& v : valid) {
    if (text == v) return text;
  }
  throw UsageError("--" + flag + "=" + text + ": expected " + alternatives(valid));
}

CLI::Option* add_count(CLI::App& app, const std::string& flag, std::uint64_t& out, const std::string& help) {
  return once(app.add_option_function<std::string>(
      "--" + flag, [&out, flag](const std::string& v) { out = parse_count(v, flag); }, help))
      ->type_name("N");
}

CLI::Option* add_number(CLI::App& app, const std::string& flag, double& out, const std::string& help) {
  return once(app.add_option_function<std::string>(
      "--" + flag, [&out, flag](const std::string& v) { out = parse_number(v, flag); }, help))
      ->type_name("X");
}

CLI::Option* add_text(CLI::App& app, const std::string& flag, std::string& out, const std::string& help) {
  return once(app.add_option_function<std::string>(
      "--" + flag,
      [&out, flag](const std::string& v) {
        if (v.empty()) throw UsageError("flag --" + flag + " needs a value (--" + flag + "=...)");
        out = v;
      },
      help))
      ->type_name("TEXT");
}

CLI::Option* add_choice(CLI::App& app, const std::string& flag, std::string& out, std::vector<std::string> valid,
                        const std::string& help) {
  const std::string type = joined(valid, "|");
  return once(app.add_option_function<std::string>(
      "--" + flag, [&out, flag, valid](const std::string& v) { out = parse_choice(v, flag, valid); }, help))
      ->type_name(type);
}

CLI::Option* add_list(CLI::App& app, const std::string& flag, std::vector<std::string>& out, const std::string& help) {
  return once(app.add_option_function<std::string>(
      "--" + flag, [&out, flag](const std::string& v) { out = parse_list(v, flag); }, help))
      ->type_name("a,b,...");
}

CLI::Option* add_on_off(CLI::App& app, const std::string& flag, bool& out, const std::string& help) {
  return once(app.add_option_function<std::string>(
      "--" + flag, [&out, flag](const std::string& v) { out = parse_choice(v, flag, {"on", "off"}) == "on"; },
      help))
      ->type_name("on|off");
}

bool parse(CLI::App& app, int argc, char** argv, std::ostream& help_out) {
  try {
    app.parse(argc, argv);
    return true;
  } catch (const CLI::CallForHelp&) {
    // `VERB --help`: that verb's flags; `--help` alone: every verb's.
    for (const CLI::App* sub : app.get_subcommands()) {
      help_out << sub->help();
      return false;
    }
    help_out << app.help("", CLI::AppFormatMode::All);
    return false;
  } catch (const CLI::CallForAllHelp&) {
    help_out << app.help("", CLI::AppFormatMode::All);
    return false;
  } catch (const CLI::ExtrasError& e) {
    const CLI::App* where = app_named(app, e.get_name());
    for (const std::string& word : extras_of(e.what())) {
      if (word.rfind("--", 0) == 0 || word.rfind("-", 0) == 0) {
        const std::string name = word.substr(0, word.find('='));
        if (where == &app) throw UsageError("unknown flag " + name + " (flags belong after a verb: rehashlab VERB --flag=...)");
        throw UsageError("unknown flag " + name + " for '" + where->get_name() + "' (valid: " + valid_flags(*where) + ")");
      }
      if (where == &app) {
        std::vector<std::string> verbs;
        for (const CLI::App* sub : app.get_subcommands({})) {
          if (!sub->get_group().empty()) verbs.push_back(sub->get_name());  // internal verbs have no group
        }
        throw UsageError("unknown verb '" + word + "' (valid: " + joined(verbs, ", ") + ")");
      }
      throw UsageError("unexpected argument '" + word + "'");
    }
    throw UsageError(e.what());
  } catch (const CLI::RequiredError& e) {
    const std::string what = e.what();
    const std::string flag = flag_of(what);
    if (!flag.empty()) throw UsageError("missing required flag --" + flag + "=...");
    throw UsageError(what);
  } catch (const CLI::ArgumentMismatch& e) {
    const std::string what = e.what();
    const std::string flag = flag_of(what);
    if (what.find("At Most") != std::string::npos) throw UsageError("flag --" + flag + " given twice");
    if (!flag.empty()) throw UsageError("flag --" + flag + " needs a value (--" + flag + "=...)");
    throw UsageError(what);
  } catch (const CLI::ParseError& e) {
    std::string what = e.what();
    // A validator's message already names the flag: drop CLI11's "--flag: " prefix.
    const std::string flag = flag_of(what);
    if (!flag.empty() && what.find(": --" + flag, 0) != std::string::npos) what = what.substr(what.find(": ") + 2);
    throw UsageError(what);
  }
}

void write_stdout(const std::string& text) {
  if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0) {
    throw std::runtime_error(std::string("cannot write to standard output: ") + std::strerror(errno));
  }
}

std::vector<char*> parse_own_flags(CLI::App& app, int argc, char** argv) {
  app.allow_extras(true);
  try {
    std::vector<char*> rest = {argv[0]};
    std::vector<char*> own = {argv[0]};
    for (int i = 1; i < argc; ++i) {
      // Google Benchmark's flags (and anything else not ours) pass through untouched.
      const std::string arg = argv[i];
      const std::string name = arg.substr(0, arg.find('='));
      bool mine = false;
      for (const CLI::Option* o : app.get_options()) {
        for (const auto& n : o->get_lnames()) mine = mine || name == "--" + n;
      }
      (mine ? own : rest).push_back(argv[i]);
    }
    if (!parse(app, static_cast<int>(own.size()), own.data(), std::cout)) std::exit(0);
    return rest;
  } catch (const UsageError& e) {
    std::fprintf(stderr, "%s: %s\n%s", app.get_name().c_str(), e.what(), app.help().c_str());
    std::exit(2);
  }
}

}  // namespace rehashlab::cli
