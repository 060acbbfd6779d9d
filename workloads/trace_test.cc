// The trace format and checksum: the shared example traces replayed through every
// map must give exactly the expected checksum, size and op count (EXPECTED), and
// malformed input must be rejected with file:line.
#include "workloads/apply.h"
#include "workloads/trace.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "maps/registry.h"
#include "maps/test_util.h"

namespace rehashlab {
namespace {

struct Expected {
  std::string checksum;
  std::size_t size = 0;
  std::size_t ops = 0;
};

// Parses EXPECTED lines: "<file> <checksum> size=<n> ops=<n>".
std::map<std::string, Expected> load_expected(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::map<std::string, Expected> out;
  std::string name, sum, size, ops;
  while (in >> name >> sum >> size >> ops) {
    out[name] = {sum, std::stoul(size.substr(5)), std::stoul(ops.substr(4))};
  }
  return out;
}

const std::string kDir = "workloads/testdata/";

template <class M>
class TraceReplay : public ::testing::Test {};
using U64Maps = testing::GtestTypes<AllMaps, std::uint64_t, std::uint64_t>::type;
TYPED_TEST_SUITE(TraceReplay, U64Maps);

TYPED_TEST(TraceReplay, SharedExamplesMatchExpected) {
  const auto expected = load_expected(kDir + "EXPECTED");
  ASSERT_GE(expected.size(), 2u);
  for (const auto& [file, want] : expected) {
    const auto ops = load_trace(kDir + file);
    MemoryCounter mem;
    TypeParam map(SeededHash<std::uint64_t>{12345}, mem);
    Checksum sum;
    for (const Op& op : ops) sum.add(apply_op(map, op));
    EXPECT_EQ(sum.hex(), want.checksum) << TypeParam::kName << " " << file;
    EXPECT_EQ(map.size(), want.size) << TypeParam::kName << " " << file;
    EXPECT_EQ(ops.size(), want.ops) << file;
  }
}

TEST(Checksum, IsFnv1aOverResults) {
  Checksum sum;
  EXPECT_EQ(sum.hex(), "0xcbf29ce484222325");
  sum.add(1);
  EXPECT_EQ(sum.h, (0xcbf29ce484222325ULL ^ 1) * 0x100000001b3ULL);
  EXPECT_EQ(sum.hex().size(), 18u);
}

TEST(Checksum, DependsOnOrderAndResults) {
  MemoryCounter mem;
  FullRehashMap<std::uint64_t, std::uint64_t> a(SeededHash<std::uint64_t>{1}, mem);
  FullRehashMap<std::uint64_t, std::uint64_t> b(SeededHash<std::uint64_t>{1}, mem);
  const std::vector<Op> ops = {{OpKind::kInsert, 1, 10}, {OpKind::kFind, 1, 0}, {OpKind::kErase, 2, 0}};
  const std::vector<Op> reordered = {{OpKind::kFind, 1, 0}, {OpKind::kInsert, 1, 10}, {OpKind::kErase, 2, 0}};
  EXPECT_NE(replay_checksum(a, ops), replay_checksum(b, reordered));
}

std::string parse_error(const std::string& text) {
  std::istringstream in(text);
  try {
    parse_trace(in, "t.trace");
  } catch (const TraceError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(ParseTrace, AcceptsCommentsBlanksTabsAndCrlf) {
  std::istringstream in("# header\n\nI 1 2\r\nF\t1\n  E 1  \n# end\n");
  const auto ops = parse_trace(in, "t");
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0], (Op{OpKind::kInsert, 1, 2}));
  EXPECT_EQ(ops[1].kind, OpKind::kFind);
  EXPECT_EQ(ops[2].kind, OpKind::kErase);
}

TEST(ParseTrace, AcceptsFullRange) {
  std::istringstream in("I 18446744073709551615 18446744073709551614\n");
  const auto ops = parse_trace(in, "t");
  EXPECT_EQ(ops[0].key, ~std::uint64_t{0});
  EXPECT_EQ(ops[0].value, ~std::uint64_t{0} - 1);
}

TEST(ParseTrace, RejectsMalformedLinesWithLineNumber) {
  EXPECT_EQ(parse_error("I 1 2\nX 3\n"), "t.trace:2: unknown operation 'X' (expected I, F or E)");
  EXPECT_EQ(parse_error("I 1\n"), "t.trace:1: missing value");
  EXPECT_EQ(parse_error("F\n"), "t.trace:1: missing key");
  EXPECT_EQ(parse_error("# c\nF 18446744073709551616\n"),
            "t.trace:2: key '18446744073709551616' is out of range (max 2^64-1)");
  EXPECT_EQ(parse_error("I 1 18446744073709551615\n"),
            "t.trace:1: value 18446744073709551615 (2^64-1) is reserved for find misses");
  EXPECT_EQ(parse_error("F -1\n"), "t.trace:1: key '-1' is not an unsigned decimal");
  EXPECT_EQ(parse_error("F 1 2\n"), "t.trace:1: unexpected extra field '2'");
  EXPECT_EQ(parse_error("II 1 2\n"), "t.trace:1: unknown operation 'II' (expected I, F or E)");
  EXPECT_EQ(parse_error(std::string("I 1 2\n\x01\xff\x00garbage\n", 16)).substr(0, 10), "t.trace:2:");
  EXPECT_EQ(parse_error(""), "t.trace: no operations (empty trace)");
  EXPECT_EQ(parse_error("# only a comment\n\n"), "t.trace: no operations (empty trace)");
}

TEST(LoadTrace, MissingFileSaysSo) {
  try {
    load_trace("/nonexistent/x.trace");
    FAIL() << "expected TraceError";
  } catch (const TraceError& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/x.trace: cannot open trace file"), std::string::npos);
  }
}

TEST(FormatTraceLine, RoundTrips) {
  const Op ops[] = {{OpKind::kInsert, 5, 6}, {OpKind::kFind, 7, 0}, {OpKind::kErase, 8, 0}};
  for (const Op& op : ops) {
    std::istringstream in(format_trace_line(op) + "\n");
    EXPECT_EQ(parse_trace(in, "t")[0], op);
  }
}

}  // namespace
}  // namespace rehashlab
