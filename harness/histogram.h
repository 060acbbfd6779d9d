// Latency histogram with bounded relative error, after HdrHistogram: values below
// 256 ns get one exact bucket each; above, every power-of-two range [2^m, 2^(m+1))
// is split into 128 equal sub-buckets, so a bucket is at most 1/128 (0.78%) of its
// lowest value wide. Range 0 .. 2^41-1 ns (about 36 minutes); larger values are
// clamped into the top bucket (max_ns() stays exact, and clamped() counts them).
// 4480 counters (35 KiB) allocated once at construction; record() never allocates.
//
// Percentiles follow HdrHistogram: the value at rank max(1, round(p/100 * count)),
// reported as the highest value equivalent to its bucket, clamped to the exact max.
// So a reported percentile is >= the true order statistic and within 1/128 of it.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <vector>

namespace rehashlab {

class LatencyHistogram {
 public:
  static constexpr int kExactBuckets = 256;
  static constexpr int kSubBuckets = 128;  // per power of two above 256
  static constexpr int kMaxBit = 40;       // highest value bit
  static constexpr std::uint64_t kMaxValue = (std::uint64_t{1} << (kMaxBit + 1)) - 1;
  static constexpr int kBuckets = kExactBuckets + (kMaxBit - 7) * kSubBuckets;

  LatencyHistogram() : counts_(kBuckets, 0) {}

  static int index_of(std::uint64_t v) {
    if (v < kExactBuckets) return static_cast<int>(v);
    if (v > kMaxValue) v = kMaxValue;
    const int msb = 63 - std::countl_zero(v);
    const int shift = msb - 7;  // v >> shift in [128, 256)
    return kExactBuckets + (shift - 1) * kSubBuckets + static_cast<int>((v >> shift) - kSubBuckets);
  }
  static std::uint64_t lowest_of(int index);
  static std::uint64_t highest_of(int index);

  void record(std::uint64_t v) {
    if (v > kMaxValue) ++clamped_;
    ++counts_[static_cast<std::size_t>(index_of(v))];
    ++count_;
    sum_ += v;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
  }

  std::uint64_t count() const { return count_; }
  std::uint64_t max_ns() const { return count_ ? max_ : 0; }
  std::uint64_t min_ns() const { return count_ ? min_ : 0; }
  double mean_ns() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  double stddev_ns() const;  // from bucket midpoints
  std::uint64_t clamped() const { return clamped_; }
  // p in [0, 100].
  std::uint64_t value_at_percentile(double p) const;
  std::uint64_t count_at_index(int i) const { return counts_[static_cast<std::size_t>(i)]; }
  void reset();

  // HdrHistogram's outputPercentileDistribution text (values in ns, scaling 1,
  // `ticks_per_half_distance` percentile steps per halving of the distance to 100%).
  std::string percentile_distribution(int ticks_per_half_distance = 5) const;

 private:
  std::vector<std::uint64_t> counts_;
  std::uint64_t count_ = 0;
  std::uint64_t sum_ = 0;
  std::uint64_t max_ = 0;
  std::uint64_t min_ = ~std::uint64_t{0};
  std::uint64_t clamped_ = 0;
};

// The k largest (value, op index) pairs seen, k <= kCapacity. record() is one
// compare in the common case; fixed storage, no allocation.
class TopK {
 public:
  static constexpr int kCapacity = 256;
  struct Entry {
    std::uint64_t op;
    std::uint64_t ns;
  };
  explicit TopK(int k = 16) : k_(k < 0 ? 0 : (k > kCapacity ? kCapacity : k)) {}

  void record(std::uint64_t op, std::uint64_t ns) {
    if (size_ < k_) {
      entries_[size_++] = {op, ns};
      if (size_ == k_) find_min();
    } else if (k_ > 0 && ns > entries_[min_index_].ns) {
      entries_[min_index_] = {op, ns};
      find_min();
    }
  }
  // Slowest first (ties: earlier op first).
  std::vector<Entry> sorted() const;

 private:
  void find_min();
  Entry entries_[kCapacity];
  int k_;
  int size_ = 0;
  int min_index_ = 0;
};

}  // namespace rehashlab
