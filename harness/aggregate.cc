#include "harness/aggregate.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <stdexcept>

#include "harness/atomic_file.h"
#include "harness/results_schema.h"

namespace rehashlab {
namespace {

// Adds every numeric (not bool) value under `j` to `out` as "<prefix><key>".
void flatten(const Json& j, const std::string& prefix, std::map<std::string, double>& out) {
  if (!j.is_object()) return;
  for (const auto& [k, v] : j.items()) {
    if (v.is_number()) {
      out[prefix + k] = v.get<double>();
    } else if (v.is_object()) {
      flatten(v, prefix + k + ".", out);
    }
  }
}

// C(n, k) / 2^n.
double binomial_half(unsigned n, unsigned k) {
  return std::exp(std::lgamma(n + 1.0) - std::lgamma(k + 1.0) - std::lgamma(n - k + 1.0) - n * std::log(2.0));
}

Json stat_json(const std::vector<std::optional<double>>& by_rep) {
  std::vector<double> values;
  Json list = Json::array();
  for (const auto& v : by_rep) {  // in repetition order; repetitions without the field are left out
    if (!v) continue;
    list.push_back(*v);
    values.push_back(*v);
  }
  Json s;
  s["median"] = median_of(values);
  s["min"] = *std::min_element(values.begin(), values.end());
  s["max"] = *std::max_element(values.begin(), values.end());
  s["reps"] = values.size();
  s["values"] = std::move(list);
  const std::optional<MedianInterval> ci = median_interval(values);
  s["ci_lo"] = ci ? Json(ci->lo) : Json(nullptr);
  s["ci_hi"] = ci ? Json(ci->hi) : Json(nullptr);
  s["ci_coverage"] = ci ? Json(ci->coverage) : Json(nullptr);
  return s;
}

}  // namespace

double median_of(std::vector<double> v) {
  if (v.empty()) throw std::invalid_argument("median of no values");
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

std::optional<MedianInterval> median_interval(std::vector<double> v) {
  const unsigned n = static_cast<unsigned>(v.size());
  if (n < 5) return std::nullopt;
  std::sort(v.begin(), v.end());
  // coverage(l) = P(l <= B <= n - l), B ~ Binomial(n, 1/2); it shrinks as l grows.
  auto coverage = [n](unsigned l) {
    double c = 0;
    for (unsigned k = l; k + l <= n; ++k) c += binomial_half(n, k);
    return c;
  };
  unsigned best = 1;
  for (unsigned l = 2; 2 * l <= n && coverage(l) >= 0.95; ++l) best = l;
  return MedianInterval{v[best - 1], v[n - best], coverage(best)};
}

Json build_aggregate(const std::string& dir, const std::vector<std::string>& run_files, unsigned reps) {
  struct Group {
    Json meta;
    std::vector<std::string> run_ids;
    std::vector<std::map<std::string, double>> fields;  // one per repetition, in rep order
    std::vector<unsigned> rep_index;
  };
  std::map<std::string, Group> groups;
  for (const std::string& file : run_files) {
    std::ifstream in(dir + "/" + file);
    if (!in) throw std::runtime_error("cannot read " + dir + "/" + file);
    const Json run = Json::parse(in);
    const Json& s = run.at("summary");
    const Json& c = run.at("config");
    // The group is the run id without its repetition suffix.
    std::string id = run.at("run_id").get<std::string>();
    const unsigned rep = s.at("rep").get<unsigned>();
    const std::string suffix = ".rep" + std::to_string(rep);
    std::string group = id;
    if (group.size() > suffix.size() && group.compare(group.size() - suffix.size(), suffix.size(), suffix) == 0) {
      group.resize(group.size() - suffix.size());
    }
    Group& g = groups[group];
    if (g.meta.is_null()) {
      g.meta["map"] = s.at("map");
      g.meta["workload"] = s.at("workload");
      g.meta["key"] = s.at("key");
      g.meta["value_bytes"] = s.at("value_bytes");
      g.meta["mode"] = s.at("mode");
      g.meta["n"] = s.at("n");
      g.meta["alloc"] = s.at("alloc");
      g.meta["go_gc"] = c.value("go_gc", Json(nullptr));
    }
    std::map<std::string, double> flat;
    for (std::string_view prefix : schema::kAggregatePrefixes) {
      const std::string section(prefix.substr(0, prefix.size() - 1));
      if (run.contains(section)) flatten(run.at(section), std::string(prefix), flat);
    }
    // Position by repetition index so "values" are in repetition order.
    std::size_t at = 0;
    while (at < g.rep_index.size() && g.rep_index[at] < rep) ++at;
    g.rep_index.insert(g.rep_index.begin() + static_cast<std::ptrdiff_t>(at), rep);
    g.run_ids.insert(g.run_ids.begin() + static_cast<std::ptrdiff_t>(at), id);
    g.fields.insert(g.fields.begin() + static_cast<std::ptrdiff_t>(at), std::move(flat));
  }
  Json out;
  out["schema"] = schema::kAggregateSchema;
  out["reps"] = reps;
  out["ci_method"] =
      "distribution-free order statistics: from 5 repetitions, the narrowest [x_(l), x_(n+1-l)] whose coverage "
      "of the median (binomial, p = 1/2) is at least 0.95, else [min, max] with its coverage";
  Json& gs = out["groups"];
  gs = Json::object();
  for (auto& [name, g] : groups) {
    Json o = g.meta;
    o["reps"] = g.run_ids.size();
    o["run_ids"] = g.run_ids;
    std::map<std::string, bool> names;
    for (const auto& f : g.fields) {
      for (const auto& [k, v] : f) names[k] = true;
    }
    Json fields = Json::object();
    for (const auto& [k, unused] : names) {
      std::vector<std::optional<double>> by_rep;
      for (const auto& f : g.fields) {
        const auto it = f.find(k);
        by_rep.push_back(it == f.end() ? std::nullopt : std::optional<double>(it->second));
      }
      fields[k] = stat_json(by_rep);
    }
    o["fields"] = std::move(fields);
    gs[name] = std::move(o);
  }
  return out;
}

void write_aggregate(const std::string& dir, const std::vector<std::string>& run_files, unsigned reps) {
  write_file_atomically(dir + "/aggregate.json", to_file_text(build_aggregate(dir, run_files, reps)));
}

}  // namespace rehashlab
