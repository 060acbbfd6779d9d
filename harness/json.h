// A minimal JSON writer (objects, arrays, strings, numbers, booleans) for results
// files and command output. Doubles are written with enough digits to round-trip;
// non-finite doubles become null (JSON has no NaN).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rehashlab {

class JsonWriter {
 public:
  explicit JsonWriter(bool pretty = false) : pretty_(pretty) {}

  void begin_object();
  void end_object();
  void begin_array();
  void end_array();
  void key(std::string_view name);

  void value(std::string_view v);
  void value(const char* v) { value(std::string_view(v)); }
  void value(const std::string& v) { value(std::string_view(v)); }
  void value(std::uint64_t v);
  void value(std::int64_t v);
  void value(unsigned v) { value(static_cast<std::uint64_t>(v)); }
  void value(int v) { value(static_cast<std::int64_t>(v)); }
  void value(double v);
  void value(bool v);
  void null();

  template <class T>
  void field(std::string_view name, const T& v) {
    key(name);
    value(v);
  }

  const std::string& str() const { return out_; }

 private:
  void before_value();
  void newline();

  std::string out_;
  std::vector<bool> first_;  // per open container: no element written yet
  bool after_key_ = false;
  bool pretty_;
};

std::string json_escape(std::string_view s);

}  // namespace rehashlab
