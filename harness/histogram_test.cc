#include "harness/histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <sstream>
#include <cstdio>
#include <vector>

namespace rehashlab {
namespace {

// The value at HdrHistogram's rank for percentile p in sorted data.
std::uint64_t reference(const std::vector<std::uint64_t>& sorted, double p) {
  auto rank = static_cast<std::uint64_t>(std::llround(p / 100.0 * static_cast<double>(sorted.size())));
  rank = std::clamp<std::uint64_t>(rank, 1, sorted.size());
  return sorted[rank - 1];
}

void check_against_reference(const std::vector<std::uint64_t>& data) {
  LatencyHistogram h;
  for (auto v : data) h.record(v);
  std::vector<std::uint64_t> sorted = data;
  std::sort(sorted.begin(), sorted.end());
  for (double p : {0.0, 1.0, 10.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0}) {
    const std::uint64_t want = reference(sorted, p);
    const std::uint64_t got = h.value_at_percentile(p);
    EXPECT_GE(got, want) << "p" << p;
    EXPECT_LE(static_cast<double>(got), static_cast<double>(want) * 1.01) << "p" << p;
  }
  EXPECT_EQ(h.max_ns(), sorted.back());
  EXPECT_EQ(h.min_ns(), sorted.front());
  double mean = 0;
  for (auto v : data) mean += static_cast<double>(v);
  mean /= static_cast<double>(data.size());
  EXPECT_NEAR(h.mean_ns(), mean, mean * 1e-9);
  EXPECT_EQ(h.count(), data.size());
}

TEST(Histogram, PercentilesMatchSortedReferenceOnLogUniformData) {
  std::mt19937_64 rng(42);
  std::uniform_real_distribution<double> exp10(0.0, 10.8);  // 1 ns .. 60 s
  std::vector<std::uint64_t> data(200000);
  for (auto& v : data) v = static_cast<std::uint64_t>(std::pow(10.0, exp10(rng)));
  check_against_reference(data);
}

TEST(Histogram, PercentilesMatchOnLatencyLikeDataWithRareSpikes) {
  std::mt19937_64 rng(7);
  std::lognormal_distribution<double> body(std::log(40.0), 0.3);
  std::vector<std::uint64_t> data;
  for (int i = 0; i < 100000; ++i) data.push_back(static_cast<std::uint64_t>(body(rng)) + 1);
  for (int i = 0; i < 17; ++i) data.push_back(5000000 + static_cast<std::uint64_t>(i) * 123457);  // resize pauses
  std::shuffle(data.begin(), data.end(), rng);
  check_against_reference(data);
}

TEST(Histogram, EveryBucketBoundHasRelativeErrorBelowOnePercent) {
  for (int i = 0; i < LatencyHistogram::kBuckets; ++i) {
    const std::uint64_t lo = LatencyHistogram::lowest_of(i);
    const std::uint64_t hi = LatencyHistogram::highest_of(i);
    ASSERT_LE(lo, hi);
    ASSERT_EQ(LatencyHistogram::index_of(lo), i);
    ASSERT_EQ(LatencyHistogram::index_of(hi), i);
    if (i + 1 < LatencyHistogram::kBuckets) ASSERT_EQ(LatencyHistogram::lowest_of(i + 1), hi + 1);
    if (lo > 0) ASSERT_LT(static_cast<double>(hi - lo) / static_cast<double>(lo), 0.01);
  }
  // Covers 1 ns .. beyond 60 s.
  EXPECT_GE(LatencyHistogram::kMaxValue, 60ULL * 1000000000ULL);
}

TEST(Histogram, ValuesAboveRangeAreClampedButMaxStaysExact) {
  LatencyHistogram h;
  h.record(LatencyHistogram::kMaxValue + 1000);
  h.record(5);
  EXPECT_EQ(h.clamped(), 1u);
  EXPECT_EQ(h.max_ns(), LatencyHistogram::kMaxValue + 1000);
  EXPECT_EQ(h.value_at_percentile(100), LatencyHistogram::kMaxValue + 1000);
}

TEST(Histogram, PercentileDistributionHasHdrHistogramShape) {
  LatencyHistogram h;
  for (std::uint64_t v = 1; v <= 10000; ++v) h.record(v);
  const std::string s = h.percentile_distribution();
  EXPECT_EQ(s.rfind("       Value     Percentile TotalCount 1/(1-Percentile)\n\n", 0), 0u) << s.substr(0, 80);
  EXPECT_NE(s.find("#[Mean    =     5000.500, StdDeviation   ="), std::string::npos) << s;
  EXPECT_NE(s.find("#[Max     =    10000.000, Total count    =        10000]"), std::string::npos);
  // The final data line is the 100% line: max and total count, no 1/(1-p) column.
  EXPECT_NE(s.find("   10000.000 1.000000000000      10000\n#[Mean"), std::string::npos);
  // Data lines: percentile non-decreasing, value non-decreasing, count non-decreasing.
  std::istringstream in(s);
  std::string line;
  std::getline(in, line);
  std::getline(in, line);
  double last_v = -1, last_p = -1;
  long long last_c = -1;
  int lines = 0;
  while (std::getline(in, line) && line[0] != '#') {
    double v, p;
    long long c;
    ASSERT_EQ(std::sscanf(line.c_str(), "%lf %lf %lld", &v, &p, &c), 3) << line;
    EXPECT_GE(v, last_v);
    EXPECT_GE(p, last_p);
    EXPECT_GE(c, last_c);
    last_v = v, last_p = p, last_c = c;
    ++lines;
  }
  EXPECT_GT(lines, 30);
}

TEST(TopK, KeepsTheLargestWithTheirOpIndex) {
  TopK top(3);
  const std::uint64_t vals[] = {5, 1, 9, 7, 3, 9, 2, 8};
  for (std::uint64_t i = 0; i < 8; ++i) top.record(i, vals[i]);
  const auto s = top.sorted();
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0].ns, 9u);
  EXPECT_EQ(s[0].op, 2u);
  EXPECT_EQ(s[1].ns, 9u);
  EXPECT_EQ(s[1].op, 5u);
  EXPECT_EQ(s[2].ns, 8u);
  EXPECT_EQ(s[2].op, 7u);
}

}  // namespace
}  // namespace rehashlab
