// go_incremental against the real Go 1.19 map, fed the same hash values.
//
// The Go program (peers/go_runtime) reports, for every op, the key's hash under the
// map's own hasher and hash0, and the hmap's state after the op. The C++ map gets
// the *hash* as its key and hashes it with IdentityHash (no `seed` member, so
// GoIncrementalMap uses it as given): both tables then see identical hash values,
// and everything Go's mechanism decides from them -- bucket indexes, tophash, X/Y
// evacuation, overflow chains, grow triggers -- must come out the same. Compared
// after every op: B, growing, same-size flag, nevacuate (while growing), noverflow
// (while B < 16: above, Go samples it; see bucket_layout.h), count, the op's result,
// and the grows started / migrations ended by the op.
#include <cstdint>
#include <cstdio>
#include <ostream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "maps/go_incremental.h"
#include "peers/go_runtime_peer.h"
#include "workloads/workload.h"

namespace rehashlab::peers {
namespace {

struct IdentityHash {
  std::uint64_t operator()(std::uint64_t key) const noexcept { return key; }
};
using PortMap = GoIncrementalMap<std::uint64_t, std::uint64_t, IdentityHash>;

// The port's state in Go's terms.
struct PortState {
  std::uint64_t b = 0, growing = 0, old_b = 0, nevacuate = 0, noverflow = 0, count = 0;
  std::uint64_t grows = 0, migrations = 0, evacuated = 0;
  bool same_size() const { return growing != 0 && old_b == b; }
};

PortState port_state(const PortMap& m) {
  PortState s;
  m.for_each_counter([&](std::string_view name, std::uint64_t v) {
    if (name == "log2_buckets") s.b = v;
    if (name == "growing") s.growing = v;
    if (name == "old_log2_buckets") s.old_b = v;
    if (name == "overflow_in_use") s.noverflow = v;
    if (name == "buckets_evacuated") s.evacuated = v;
  });
  s.nevacuate = m.nevacuate();
  s.count = m.size();
  const ResizeCounters rc = m.resize_counters();
  s.grows = rc.grows_started;
  s.migrations = rc.migrations_completed;
  return s;
}

std::string describe(const GoState& g, const PortState& p) {
  std::ostringstream o;
  o << "go:   B=" << int(g.b) << " growing=" << g.growing << " same_size=" << g.same_size
    << " nevacuate=" << g.nevacuate << " noverflow=" << g.noverflow << " count=" << g.count
    << " grows_started=" << int(g.grows_started) << " migrations_ended=" << int(g.migrations_ended) << "\n"
    << "port: B=" << p.b << " growing=" << p.growing << " same_size=" << p.same_size() << " nevacuate=" << p.nevacuate
    << " noverflow=" << p.noverflow << " count=" << p.count;
  return o.str();
}

struct GrowPoint {
  std::uint64_t op;
  bool start;  // else a migration end
  bool same_size;
  friend bool operator==(const GrowPoint&, const GrowPoint&) = default;
  friend std::ostream& operator<<(std::ostream& o, const GrowPoint& p) {
    return o << (p.start ? (p.same_size ? "same-size grow start" : "doubling start") : "migration end") << " at op "
             << p.op;
  }
};

// Drives the port in step with the Go states; records both sides' grow points.
class Lockstep {
  MemoryCounter mem_;  // before port: the map keeps a pointer to it

 public:
  PortMap port{IdentityHash{}, mem_};
  std::vector<GrowPoint> go_points, port_points;
  std::uint64_t ops = 0;
  // check_invariants() at every op that starts a grow or ends a migration, and how
  // many of those ops finished one grow and started the next (the write whose
  // evacuations exceed 2: see the churn test).
  std::uint64_t invariant_checks = 0, finish_and_start = 0;
  std::uint64_t last_write_evacuated = 0;  // old buckets the last op evacuated

  // Applies `op` (with the hash Go reported as the key) and compares the states.
  // Returns false (after one failure message) on the first difference.
  bool step(const GenOp& op, const GoState& g) {
    const PortState before = last_;
    std::uint64_t r = 0;
    switch (op.kind) {
      case OpKind::kInsert: r = port.insert_or_assign(g.hash, op.value) ? 1 : 0; break;
      case OpKind::kFind: {
        const std::uint64_t* v = port.find(g.hash);
        r = v != nullptr ? *v : kFindMiss;
        break;
      }
      case OpKind::kErase: r = port.erase(g.hash) ? 1 : 0; break;
    }
    const PortState p = last_ = port_state(port);
    const std::uint64_t i = ops++;
    // A grow that started and a migration that ended in one op: the end came first
    // (Go's mapassign finishes growWork before it calls hashGrow).
    for (std::uint64_t k = 0; k < g.migrations_ended; ++k) go_points.push_back({i, false, false});
    for (std::uint64_t k = 0; k < g.grows_started; ++k) go_points.push_back({i, true, g.same_size});
    for (std::uint64_t k = before.migrations; k < p.migrations; ++k) port_points.push_back({i, false, false});
    for (std::uint64_t k = before.grows; k < p.grows; ++k) port_points.push_back({i, true, p.same_size()});
    const bool same = r == g.r && p.b == g.b && p.growing == (g.growing ? 1u : 0u) &&
                      p.same_size() == g.same_size && (!g.growing || p.nevacuate == g.nevacuate) &&
                      (g.b >= 16 || p.noverflow == g.noverflow) && p.count == g.count &&
                      p.grows - before.grows == g.grows_started &&
                      p.migrations - before.migrations == g.migrations_ended;
    last_write_evacuated = p.evacuated - before.evacuated;
    if (p.grows != before.grows || p.migrations != before.migrations) {
      if (before.growing != 0 && p.grows != before.grows) ++finish_and_start;
      port.check_invariants();
      ++invariant_checks;
    }
    if (!same) {
      ADD_FAILURE() << "op " << i << " (" << (op.kind == OpKind::kInsert ? "insert" : op.kind == OpKind::kFind ? "find" : "erase")
                    << "): result go " << g.r << " port " << r << "\n"
                    << describe(g, p);
    }
    return same;
  }

 private:
  PortState last_;  // the port's state after the previous op (all zero: empty)
};

// (a) 2M inserts of random keys (harness's insert_growth keys): 2,000,000 > 6.5 * 2^18,
// so B climbs 0 -> 19 (19 doublings; the grows from B = 16 on run with Go's
// noverflow sampled, so noverflow is compared below B = 16 only).
TEST(GoCrosscheck, TwoMillionInsertsMatchTheRealMapAfterEveryOp) {
  WorkloadSpec spec;
  spec.n = 2'000'000;
  Workload w(spec);
  std::vector<GenOp> ops;
  ops.reserve(spec.n);
  for (std::uint64_t i = 0; i < spec.n; ++i) ops.push_back(w.next());
  const GoStateDump dump = dump_go_runtime_state("u64", 8, ops);
  ASSERT_EQ(dump.states.size(), ops.size());
  // Same bucket layout: 8 tophash bytes, 8 keys, 8 values, an overflow pointer.
  EXPECT_EQ(dump.map.bucket_bytes, sizeof(buckets::Bucket<std::uint64_t, std::uint64_t>));

  Lockstep ls;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    if (!ls.step(ops[i], dump.states[i])) break;
  }
  EXPECT_EQ(ls.finish_and_start, 0u);
  EXPECT_EQ(ls.invariant_checks, 19u + 19u - 2u);  // B 0->1 and 1->2 start and end in one op
  EXPECT_EQ(ls.go_points, ls.port_points);
  // Hash-independent facts of Go's mechanism, as a check on the peer itself: the
  // doubling to B + 1 starts at the insert that finds count = 13 * 2^(B-1) (8 for B = 0).
  std::vector<std::uint64_t> starts;
  for (const GrowPoint& p : ls.go_points) {
    if (p.start) {
      EXPECT_FALSE(p.same_size) << "op " << p.op;
      starts.push_back(p.op);
    }
  }
  ASSERT_EQ(starts.size(), 19u);
  EXPECT_EQ(starts[0], 8u);
  for (std::size_t b = 1; b < starts.size(); ++b) EXPECT_EQ(starts[b], 13u << (b - 1)) << "B " << b;
  EXPECT_EQ(ls.go_points.size(), 2 * 19u - (dump.states.back().growing ? 1 : 0));
}

// (b) The churn scenario of issue 14: 6,200 keys (B = 10, 6.05 per bucket), FIFO
// churn (insert a new key, erase the oldest) until the first same-size grow starts,
// then only inserts. A same-size grow needs >= 512 writes (at most 2 old buckets per
// write, 1024 of them) and the inserts reach 6.5 * 2^10 = 6,656 keys within 457, so
// the insert that finishes the same-size grow finds the map over its load factor and
// starts a doubling in the same write (mapassign's "goto again"). The churn length is
// chosen by the map's own state because the real map's hash seed is random per process
// (aeshash key schedule and hash0): the first same-size grow comes after about 60,000
// churn pairs, give or take a few thousand.
TEST(GoCrosscheck, ChurnThenInsertsFinishesASameSizeGrowAndStartsADoubling) {
  constexpr std::uint64_t kKeys = 6200;
  constexpr std::uint64_t kMaxChurnPairs = 2'000'000;
  WorkloadSpec spec;
  spec.kind = WorkloadKind::kChurn;
  spec.n = kKeys;
  Workload w(spec);
  GoLockstep go;
  ASSERT_EQ(go.map().bucket_bytes, sizeof(buckets::Bucket<std::uint64_t, std::uint64_t>));
  Lockstep ls;
  auto apply = [&](const GenOp& op) {
    const GoState g = go.apply(op);
    return std::make_pair(ls.step(op, g), g);
  };

  for (std::uint64_t i = 0; i < kKeys; ++i) ASSERT_TRUE(apply(w.load_op(i)).first);
  ASSERT_EQ(port_state(ls.port).b, 10u);

  // Churn until the first same-size grow starts.
  std::uint64_t next_key = kKeys, oldest = 0, pairs = 0, same_size_start = 0;
  for (; same_size_start == 0; ++pairs) {
    ASSERT_LT(pairs, kMaxChurnPairs) << "no same-size grow in " << kMaxChurnPairs << " churn pairs";
    const auto [ok, g] = apply({OpKind::kInsert, w.key_at(next_key), mix64(next_key + 1)});
    ++next_key;
    ASSERT_TRUE(ok);
    if (g.grows_started != 0) {
      ASSERT_TRUE(g.same_size) << "churn at 6,200 keys started a doubling";
      same_size_start = ls.ops - 1;
    }
    const auto [erase_ok, erase_g] = apply({OpKind::kErase, w.key_at(oldest++), 0});
    ASSERT_TRUE(erase_ok);
    ASSERT_EQ(erase_g.grows_started, 0) << "an erase started a grow";
  }

  // Inserts until the same-size grow's migration ends.
  std::uint64_t finish_op = 0;
  GoState finish{};
  for (std::uint64_t k = 0; finish_op == 0; ++k) {
    ASSERT_LT(k, 1100u) << "the same-size migration of 1024 buckets did not end within 1100 writes";
    const auto [ok, g] = apply({OpKind::kInsert, w.key_at(next_key), mix64(next_key + 1)});
    ++next_key;
    ASSERT_TRUE(ok);
    if (g.migrations_ended != 0) {
      finish_op = ls.ops - 1;
      finish = g;
    }
  }
  const std::uint64_t inserts = finish_op - same_size_start;
  // 1,024 old buckets at <= 2 per write: the starting insert, the erase after it and
  // k inserts make >= 512 writes, so k >= 510 and inserts = k + 1 (the erase) >= 511.
  EXPECT_GE(inserts, 511u);
  // The write that ended the same-size migration started the doubling 10 -> 11.
  EXPECT_EQ(finish.grows_started, 1);
  EXPECT_EQ(finish.b, 11);
  EXPECT_TRUE(finish.growing);
  EXPECT_FALSE(finish.same_size);
  EXPECT_GE(finish.nevacuate, 1u) << "the new grow's growWork ran in the same write";
  // The port did the same in that write: the end of one grow's evacuation and the
  // start of the next, more than 2 and at most 4 old buckets (go_growth.h's bound,
  // which check_invariants() enforced on that write too).
  const std::size_t at_finish = ls.last_write_evacuated;
  EXPECT_GT(at_finish, 2u);
  EXPECT_LE(at_finish, 4u);
  EXPECT_EQ(ls.finish_and_start, 1u);

  // A few hundred more inserts into the doubling, still in step.
  for (int k = 0; k < 600; ++k) {
    ASSERT_TRUE(apply({OpKind::kInsert, w.key_at(next_key), mix64(next_key + 1)}).first);
    ++next_key;
    ls.port.check_invariants();
  }
  EXPECT_EQ(ls.go_points, ls.port_points);
  RecordProperty("churn_pairs", static_cast<int>(pairs));
  RecordProperty("same_size_start_op", static_cast<int>(same_size_start));
  RecordProperty("finish_op", static_cast<int>(finish_op));
  std::printf("churn: %llu pairs after %llu loads; same-size grow started at op %llu, ended at op %llu "
              "(%llu inserts later) by the insert that started the doubling to B=11; that write evacuated "
              "%zu old buckets in the port\n",
              static_cast<unsigned long long>(pairs), static_cast<unsigned long long>(kKeys),
              static_cast<unsigned long long>(same_size_start), static_cast<unsigned long long>(finish_op),
              static_cast<unsigned long long>(inserts), at_finish);
}

}  // namespace
}  // namespace rehashlab::peers
