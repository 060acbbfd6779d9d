// One (key, value) instantiation of the runner for every map (see runner.h).
#include "harness/runner.h"

namespace rehashlab {
int run_one_u64_v256(const RunConfig& cfg) { return run_one_typed<std::uint64_t, Blob<256>>(cfg); }
}  // namespace rehashlab
