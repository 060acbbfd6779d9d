#include "harness/histogram.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace rehashlab {

std::uint64_t LatencyHistogram::lowest_of(int index) {
  if (index < kExactBuckets) return static_cast<std::uint64_t>(index);
  const int j = index - kExactBuckets;
  const int shift = j / kSubBuckets + 1;
  const std::uint64_t sub = static_cast<std::uint64_t>(j % kSubBuckets + kSubBuckets);
  return sub << shift;
}

std::uint64_t LatencyHistogram::highest_of(int index) {
  if (index < kExactBuckets) return static_cast<std::uint64_t>(index);
  const int shift = (index - kExactBuckets) / kSubBuckets + 1;
  return lowest_of(index) + (std::uint64_t{1} << shift) - 1;
}

void LatencyHistogram::reset() {
  std::fill(counts_.begin(), counts_.end(), 0);
  count_ = sum_ = max_ = clamped_ = 0;
  min_ = ~std::uint64_t{0};
}

std::uint64_t LatencyHistogram::value_at_percentile(double p) const {
  if (count_ == 0) return 0;
  p = std::clamp(p, 0.0, 100.0);
  std::uint64_t rank = static_cast<std::uint64_t>(std::llround(p / 100.0 * static_cast<double>(count_)));
  rank = std::clamp<std::uint64_t>(rank, 1, count_);
  std::uint64_t cum = 0;
  for (int i = 0; i < kBuckets; ++i) {
    cum += counts_[static_cast<std::size_t>(i)];
    if (cum >= rank) return i == kBuckets - 1 ? max_ : std::min(highest_of(i), max_);  // top bucket holds clamped values
  }
  return max_;
}

double LatencyHistogram::stddev_ns() const {
  if (count_ == 0) return 0;
  const double mean = mean_ns();
  double acc = 0;
  for (int i = 0; i < kBuckets; ++i) {
    const std::uint64_t c = counts_[static_cast<std::size_t>(i)];
    if (c == 0) continue;
    const double mid = (static_cast<double>(lowest_of(i)) + static_cast<double>(highest_of(i))) / 2.0;
    acc += static_cast<double>(c) * (mid - mean) * (mid - mean);
  }
  return std::sqrt(acc / static_cast<double>(count_));
}

std::string LatencyHistogram::percentile_distribution(int ticks_per_half_distance) const {
  std::string out;
  char line[160];
  std::snprintf(line, sizeof line, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
                "1/(1-Percentile)");
  out += line;
  if (count_ > 0) {
    double level = 0.0;  // percentile level to report next, in [0, 100)
    std::uint64_t cum = 0;
    for (int i = 0; i < kBuckets; ++i) {
      const std::uint64_t c = counts_[static_cast<std::size_t>(i)];
      if (c == 0) continue;
      cum += c;
      const double value = static_cast<double>(i == kBuckets - 1 ? max_ : std::min(highest_of(i), max_));
      const double here = 100.0 * static_cast<double>(cum) / static_cast<double>(count_);
      // As HdrHistogram's PercentileIterator: every level crossed in this bucket is
      // one line; the bucket holding the last value yields one line, then the final
      // 100% line.
      while (here >= level) {
        std::snprintf(line, sizeof line, "%12.3f %2.12f %10llu %14.2f\n", value, level / 100.0,
                      static_cast<unsigned long long>(cum), 1.0 / (1.0 - level / 100.0));
        out += line;
        const double half = std::pow(2.0, std::floor(std::log2(100.0 / (100.0 - level))) + 1);
        level += 100.0 / (ticks_per_half_distance * half);
        if (cum == count_) break;
      }
      if (cum == count_) {
        std::snprintf(line, sizeof line, "%12.3f %2.12f %10llu\n", value, 1.0,
                      static_cast<unsigned long long>(cum));
        out += line;
        break;
      }
    }
  }
  std::snprintf(line, sizeof line, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", mean_ns(), stddev_ns());
  out += line;
  std::snprintf(line, sizeof line, "#[Max     = %12.3f, Total count    = %12llu]\n",
                static_cast<double>(max_ns()), static_cast<unsigned long long>(count_));
  out += line;
  std::snprintf(line, sizeof line, "#[Buckets = %12d, SubBuckets     = %12d]\n", kMaxBit - 7 + 1,
                2 * kSubBuckets);
  out += line;
  return out;
}

void TopK::find_min() {
  min_index_ = 0;
  for (int i = 1; i < size_; ++i) {
    if (entries_[i].ns < entries_[min_index_].ns) min_index_ = i;
  }
}

std::vector<TopK::Entry> TopK::sorted() const {
  std::vector<Entry> v(entries_, entries_ + size_);
  std::sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) {
    return a.ns != b.ns ? a.ns > b.ns : a.op < b.op;
  });
  return v;
}

}  // namespace rehashlab
