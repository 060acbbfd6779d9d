// One (key, value) instantiation of the runner for every map (see runner.h).
#include "harness/runner.h"

namespace rehashlab {
int run_one_str16_v8(const RunConfig& cfg) { return run_one_typed<FixedString<16>, std::uint64_t>(cfg); }
}  // namespace rehashlab
