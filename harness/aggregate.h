// aggregate.json: every run group's repetitions summarized (results/README.md,
// "aggregate.json"): for every numeric field under summary, noise_floor, memory
// and host, the median, min, max and the values in repetition order, and from 5
// repetitions on a distribution-free confidence interval of the median.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/json.h"

namespace rehashlab {

struct MedianInterval {
  double lo, hi, coverage;  // [x_(l), x_(n+1-l)] and its coverage of the median
};

// The median of `values` (the mean of the middle two for an even count).
double median_of(std::vector<double> values);
// For n >= 5 values: the narrowest order-statistic interval [x_(l), x_(n+1-l)]
// whose coverage of the population median, sum_{k=l}^{n-l} C(n,k) / 2^n, is at
// least 0.95; if none is (n = 5: 0.9375), [min, max] with its coverage.
std::optional<MedianInterval> median_interval(std::vector<double> values);

// The aggregate object for the run files `run_files` (names relative to `dir`).
Json build_aggregate(const std::string& dir, const std::vector<std::string>& run_files, unsigned reps);
// Writes dir/aggregate.json atomically.
void write_aggregate(const std::string& dir, const std::vector<std::string>& run_files, unsigned reps);

}  // namespace rehashlab
