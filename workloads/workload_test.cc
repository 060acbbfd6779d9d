#include "workloads/workload.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <unordered_set>

#include "maps/types.h"
#include "workloads/keys.h"

namespace rehashlab {
namespace {

std::vector<GenOp> all_ops(const WorkloadSpec& s) {
  Workload w(s);
  std::vector<GenOp> v;
  for (std::uint64_t i = 0; i < w.ops(); ++i) v.push_back(w.next());
  return v;
}

TEST(Workload, DeterministicFromSeed) {
  WorkloadSpec s;
  s.kind = WorkloadKind::kMixed;
  s.n = 1000;
  s.ops = 5000;
  s.zipfian = true;
  const auto a = all_ops(s), b = all_ops(s);
  ASSERT_EQ(a.size(), 5000u);
  for (std::size_t i = 0; i < a.size(); ++i) {
    ASSERT_EQ(a[i].kind, b[i].kind);
    ASSERT_EQ(a[i].key, b[i].key);
    ASSERT_EQ(a[i].value, b[i].value);
  }
  s.seed = 2;
  const auto c = all_ops(s);
  int same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i].key == c[i].key;
  EXPECT_LT(same, 100);
}

TEST(Workload, InsertGrowthInsertsNDistinctKeys) {
  WorkloadSpec s;
  s.n = 10000;
  Workload w(s);
  EXPECT_EQ(w.load_ops(), 0u);
  std::unordered_set<std::uint64_t> keys;
  for (std::uint64_t i = 0; i < w.ops(); ++i) {
    const GenOp g = w.next();
    ASSERT_EQ(g.kind, OpKind::kInsert);
    keys.insert(g.key);
  }
  EXPECT_EQ(keys.size(), 10000u);
}

TEST(Workload, MixedRatiosAndZipfSkew) {
  WorkloadSpec s;
  s.kind = WorkloadKind::kMixed;
  s.n = 10000;
  s.ops = 100000;
  s.zipfian = true;
  Workload w(s);
  std::set<std::uint64_t> loaded;
  for (std::uint64_t i = 0; i < w.load_ops(); ++i) loaded.insert(w.load_op(i).key);
  std::map<OpKind, int> kinds;
  std::map<std::uint64_t, int> freq;
  for (std::uint64_t i = 0; i < w.ops(); ++i) {
    const GenOp g = w.next();
    ++kinds[g.kind];
    if (g.kind == OpKind::kFind) {
      ASSERT_TRUE(loaded.count(g.key)) << "reads go to loaded keys";
      ++freq[g.key];
    }
  }
  EXPECT_NEAR(kinds[OpKind::kFind], 50000, 1500);
  EXPECT_NEAR(kinds[OpKind::kInsert], 50000, 1500);
  int top = 0;
  for (auto& [k, c] : freq) top = std::max(top, c);
  // theta 0.99 over 10^4 items: the hottest key gets ~10% of the reads; uniform ~0.01%.
  EXPECT_GT(top, 2000);
}

TEST(Workload, ChurnKeepsSizeConstantAndShrinkLeavesOnePercent) {
  for (auto kind : {WorkloadKind::kChurn, WorkloadKind::kShrink}) {
    WorkloadSpec s;
    s.kind = kind;
    s.n = 5000;
    Workload w(s);
    std::set<std::uint64_t> live;
    for (std::uint64_t i = 0; i < w.load_ops(); ++i) live.insert(w.load_op(i).key);
    std::size_t min_size = live.size();
    for (std::uint64_t i = 0; i < w.ops(); ++i) {
      const GenOp g = w.next();
      if (g.kind == OpKind::kInsert) {
        ASSERT_TRUE(live.insert(g.key).second);
      }
      if (g.kind == OpKind::kErase) {
        ASSERT_EQ(live.erase(g.key), 1u);
      }
      if (g.kind == OpKind::kFind) {
        ASSERT_EQ(live.count(g.key), 1u);
      }
      min_size = std::min(min_size, live.size());
    }
    if (kind == WorkloadKind::kChurn) {
      EXPECT_GE(min_size, 4999u);
      EXPECT_EQ(live.size(), 5000u);
    } else {
      EXPECT_EQ(live.size(), 50u);
      EXPECT_EQ(w.ops(), 4950u + 5000u);
    }
  }
}

TEST(Keys, StringKeysAreABijectionOfTheKeyNumber) {
  const auto a = make_key<FixedString<16>>(0x0123456789abcdefULL);
  EXPECT_EQ(std::string(a.bytes.data(), 16), "0123456789abcdef");
  const auto b = make_key<FixedString<64>>(0xffULL);
  EXPECT_EQ(std::string(b.bytes.data(), 64), std::string(62, '0') + "ff");
  EXPECT_FALSE(make_key<FixedString<16>>(1) == make_key<FixedString<16>>(1ULL << 60));
  EXPECT_EQ(value_word(make_value<Blob<64>>(12345)), 12345u);
}

TEST(Workload, UnknownNameListsValidOnes) {
  try {
    parse_workload("nope");
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("insert_growth, mixed, churn, shrink, replay"), std::string::npos);
  }
}

}  // namespace
}  // namespace rehashlab
