// JSON for results files and command output: nlohmann/json (Debian
// nlohmann-json3-dev), with keys kept in the order they are written.
#pragma once

#include <cmath>
#include <optional>

#include <nlohmann/json.hpp>

namespace rehashlab {

using Json = nlohmann::ordered_json;

// A number, or null when absent or not finite (JSON has no NaN).
inline Json number_or_null(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

// num / den, or null when den is not positive.
inline Json ratio_or_null(double num, double den) { return den > 0 ? Json(num / den) : Json(nullptr); }

// Pretty-printed with a trailing newline (results files).
inline std::string to_file_text(const Json& j) { return j.dump(2) + "\n"; }

}  // namespace rehashlab
