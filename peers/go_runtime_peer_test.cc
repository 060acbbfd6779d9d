// The go_runtime peer end to end: the real Go map run through the C++ client.
// Expectations are independent of the peer: the traces' recorded checksums, a C++
// map on the same ops, Go's documented growth points, the open-loop schedule
// formula, and the protocol's error contract.
#include "peers/go_runtime_peer.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "maps/full_rehash.h"
#include "workloads/keys.h"
#include "workloads/trace.h"
#include "workloads/workload.h"

namespace rehashlab::peers {
namespace {

std::vector<GenOp> to_gen(const std::vector<Op>& ops) {
  std::vector<GenOp> out;
  out.reserve(ops.size());
  for (const Op& o : ops) out.push_back({o.kind, o.key, o.value});
  return out;
}

// All of a workload's ops (load first); returns the load count in *load.
std::vector<GenOp> workload_ops(const WorkloadSpec& spec, std::uint64_t* load) {
  Workload w(spec);
  std::vector<GenOp> ops;
  for (std::uint64_t i = 0; i < w.load_ops(); ++i) ops.push_back(w.load_op(i));
  for (std::uint64_t i = 0; i < w.ops(); ++i) ops.push_back(w.next());
  *load = w.load_ops();
  return ops;
}

// The harness's checksum of `ops` on a C++ map of K -> V.
template <class K, class V>
std::string cpp_checksum(const std::vector<GenOp>& ops) {
  MemoryCounter mem;
  FullRehashMap<K, V> map(SeededHash<K>{0x1234}, mem);
  Checksum sum;
  for (const GenOp& o : ops) {
    const K k = make_key<K>(o.key);
    switch (o.kind) {
      case OpKind::kInsert: sum.add(map.insert_or_assign(k, make_value<V>(o.value)) ? 1 : 0); break;
      case OpKind::kFind: {
        const V* v = map.find(k);
        sum.add(v != nullptr ? value_word(*v) : kFindMiss);
        break;
      }
      case OpKind::kErase: sum.add(map.erase(k) ? 1 : 0); break;
    }
  }
  return sum.hex();
}

std::map<std::string, std::string> expected_checksums() {
  std::ifstream in("workloads/testdata/EXPECTED");
  std::map<std::string, std::string> out;
  std::string name, sum, rest;
  while (in >> name >> sum) {
    std::getline(in, rest);
    out[name] = sum;
  }
  return out;
}

TEST(GoRuntimePeer, TraceChecksumsMatchTheRecordedOnes) {
  const auto expected = expected_checksums();
  ASSERT_EQ(expected.size(), 2u);
  for (const auto& [name, sum] : expected) {
    const std::vector<GenOp> ops = to_gen(load_trace("workloads/testdata/" + name));
    // The checksum covers load and measured ops alike, wherever the split is.
    for (const std::uint64_t load : {std::uint64_t{0}, std::uint64_t{ops.size() / 3}}) {
      GoRunConfig cfg;
      cfg.window = 1000;
      const GoRunResult r = run_go_runtime(cfg, load, ops);
      EXPECT_EQ(r.checksum, sum) << name << " load " << load;
      EXPECT_EQ(r.load_ops, load);
      EXPECT_EQ(r.ops, ops.size() - load);
      EXPECT_EQ(r.start_ns.size(), r.ops);
      EXPECT_EQ(r.dur_ns.size(), r.ops);
      EXPECT_EQ(r.go_version.rfind("go1.19", 0), 0u) << r.go_version;
    }
  }
}

// Every key and value type the harness runs: the Go program must build the same
// keys and values from the numbers (checked byte for byte) and so produce the same
// checksum as a C++ map on the same ops.
template <class K, class V>
void expect_types_agree(const std::string& key, int value_bytes) {
  SCOPED_TRACE(key + "/" + std::to_string(value_bytes));
  for (const std::uint64_t num : {std::uint64_t{0}, std::uint64_t{0xfedcba9876543210ULL}, std::uint64_t{255}}) {
    std::string out;
    ASSERT_EQ(run_go_runtime_binary({"check", "--key=" + key, "--value-bytes=" + std::to_string(value_bytes),
                                     "--show-number=" + std::to_string(num)},
                                    &out),
              0)
        << out;
    const K k = make_key<K>(num);
    const V v = make_value<V>(num);
    std::string want = "key=";
    char hex[3];
    for (std::size_t i = 0; i < sizeof k; ++i) {
      std::snprintf(hex, sizeof hex, "%02x", reinterpret_cast<const unsigned char*>(&k)[i]);
      want += hex;
    }
    want += " value=";
    for (std::size_t i = 0; i < sizeof v; ++i) {
      std::snprintf(hex, sizeof hex, "%02x", reinterpret_cast<const unsigned char*>(&v)[i]);
      want += hex;
    }
    EXPECT_NE(out.find(want), std::string::npos) << "want " << want << "\ngot " << out;
  }
  WorkloadSpec spec;
  spec.kind = WorkloadKind::kMixed;
  spec.n = 3000;
  spec.ops = 6000;
  spec.insert_pct = 20;
  spec.read_pct = 50;
  spec.update_pct = 30;
  std::uint64_t load = 0;
  std::vector<GenOp> ops = workload_ops(spec, &load);
  // Misses and erases too: find and erase keys that were never inserted.
  for (std::uint64_t i = 0; i < 500; ++i) {
    ops.push_back({OpKind::kFind, mix64(i) | 1, 0});
    ops.push_back({OpKind::kErase, ops[i * 7].key, 0});
    ops.push_back({OpKind::kErase, mix64(i + 99), 0});
  }
  GoRunConfig cfg;
  cfg.key = key;
  cfg.value_bytes = value_bytes;
  const GoRunResult r = run_go_runtime(cfg, load, ops);
  EXPECT_EQ(r.checksum, (cpp_checksum<K, V>(ops)));
  EXPECT_EQ(r.map.key_slot_bytes, sizeof(K));
  if (sizeof(V) > 128) {  // Go stores elems over 128 bytes behind a pointer
    EXPECT_TRUE(r.map.indirect_elem);
    EXPECT_EQ(r.map.elem_slot_bytes, 8u);
  } else {
    EXPECT_FALSE(r.map.indirect_elem);
    EXPECT_EQ(r.map.elem_slot_bytes, sizeof(V));
  }
}

TEST(GoRuntimePeer, KeysValuesAndChecksumsMatchTheCppSideForEveryType) {
  expect_types_agree<std::uint64_t, std::uint64_t>("u64", 8);
  expect_types_agree<std::uint64_t, Blob<64>>("u64", 64);
  expect_types_agree<std::uint64_t, Blob<256>>("u64", 256);
  expect_types_agree<FixedString<16>, std::uint64_t>("str16", 8);
  expect_types_agree<FixedString<64>, std::uint64_t>("str64", 8);
}

// Go's doubling rule (overLoadFactor): the insert that finds count + 1 > 8 and
// count + 1 > 6.5 * 2^B starts a grow to B + 1, i.e. 0-based insert number
// 8, 13, 26, 52, ... 13 * 2^(B-1); inserts never trigger same-size grows here.
TEST(GoRuntimePeer, GrowthEventsAtGosDoublingPoints) {
  WorkloadSpec spec;
  spec.n = 100000;
  std::uint64_t load = 0;
  const std::vector<GenOp> ops = workload_ops(spec, &load);
  for (const bool gc : {true, false}) {
    SCOPED_TRACE(gc ? "GC on" : "GC off");
    GoRunConfig cfg;
    cfg.gc = gc;
    cfg.value_bytes = 64;
    const GoRunResult r = run_go_runtime(cfg, 20000, ops);
    EXPECT_EQ(r.gc_percent, gc ? 100 : -1);
    if (gc) {
      EXPECT_GT(r.gc_cycles_load + r.gc_cycles_measured, 0u);  // > 10 MB allocated, 4 MB first goal
    } else {
      EXPECT_EQ(r.gc_cycles_load + r.gc_cycles_measured, 0u);
    }
    std::vector<std::uint64_t> starts, ends;
    for (const GoEvent& e : r.events) {
      (e.kind == GoEventKind::kGrowStart ? starts : ends).push_back(e.op);
      if (e.kind == GoEventKind::kGrowStart) {
        EXPECT_FALSE(e.same_size);
        EXPECT_EQ(e.b, e.old_b + 1);
        EXPECT_EQ(e.count, e.op + 1);  // the triggering insert is in the map
      }
    }
    // 100,000 keys: 6.5 * 2^13 < 100,000 <= 6.5 * 2^14, so 14 doublings.
    ASSERT_EQ(starts.size(), 14u);
    EXPECT_EQ(starts[0], 8u);
    for (std::size_t b = 1; b < starts.size(); ++b) EXPECT_EQ(starts[b], 13u << (b - 1)) << "B " << b;
    ASSERT_GE(ends.size(), 13u);
    for (std::size_t i = 0; i < ends.size(); ++i) {
      EXPECT_GE(ends[i], starts[i]);
      if (i + 1 < starts.size()) {
        EXPECT_LT(ends[i], starts[i + 1]);
      }
    }
    // Memory samples: after the load, every 4096 measured ops, and after the last.
    ASSERT_EQ(r.memory.size(), 1 + (80000 + 4095) / 4096);
    EXPECT_EQ(r.memory.front().ops_done, 0u);
    EXPECT_EQ(r.memory.back().ops_done, 80000u);
    for (const GoMemorySample& s : r.memory) {
      EXPECT_EQ(s.count, 20000 + s.ops_done);
      // The structure is at least its 2^B buckets, and all of it is live heap.
      EXPECT_GE(s.map_bytes, (std::uint64_t{1} << s.b) * r.map.bucket_bytes);
      EXPECT_GE(s.heap_bytes + 4096, static_cast<std::int64_t>(s.map_bytes)) << "at op " << s.ops_done;
    }
    EXPECT_GT(r.clock_overhead_median_ns, 0);
    EXPECT_GT(r.metrics_read_median_ns, 0);
  }
}

TEST(GoRuntimePeer, OpenLoopFollowsTheHarnessSchedule) {
  WorkloadSpec spec;
  spec.kind = WorkloadKind::kChurn;
  spec.n = 5000;
  spec.ops = 20000;
  std::uint64_t load = 0;
  const std::vector<GenOp> ops = workload_ops(spec, &load);
  GoRunConfig cfg;
  cfg.rate = 200000;  // 0.1 s of ops
  const GoRunResult r = run_go_runtime(cfg, load, ops);
  ASSERT_TRUE(r.open_loop);
  ASSERT_EQ(r.ops, 20000u);
  for (std::uint64_t i = 0; i < r.ops; ++i) {
    const auto sched = static_cast<std::uint64_t>(static_cast<double>(i) * (1e9 / 200000));
    ASSERT_EQ(r.scheduled_ns(i), sched);
    ASSERT_GE(r.start_ns[i], sched) << "op " << i << " started before its scheduled time";
    ASSERT_GE(r.response_ns(i), r.dur_ns[i]);
    if (i > 0) {
      ASSERT_GE(r.start_ns[i], r.start_ns[i - 1] + r.dur_ns[i - 1]);
    }
  }
  EXPECT_GE(r.elapsed_ns, r.scheduled_ns(r.ops - 1));

  GoRunConfig closed;
  const GoRunResult c = run_go_runtime(closed, load, ops);
  EXPECT_FALSE(c.open_loop);
  EXPECT_EQ(c.checksum, r.checksum);
  for (std::uint64_t i = 0; i < c.ops; ++i) ASSERT_EQ(c.response_ns(i), c.dur_ns[i]);
}

TEST(GoRuntimePeer, RefusesRuntimesWhoseLayoutItDoesNotRead) {
  std::string out;
  EXPECT_EQ(run_go_runtime_binary({"check"}, &out), 0) << out;
  for (const char* v : {"go1.22.0", "go1.18.10", "go1.20", "go1.19rc1", "devel go1.19-abc"}) {
    EXPECT_EQ(run_go_runtime_binary({"check", std::string("--pretend-version=") + v}, &out), 3) << v;
    EXPECT_NE(out.find("is not Go 1.19.x"), std::string::npos) << out;
    EXPECT_NE(out.find("apt-get install golang-go"), std::string::npos) << out;
  }
  // The refusal also stops a run before it reads anything.
  EXPECT_EQ(run_go_runtime_binary({"run", "--ops=/nonexistent", "--out=/nonexistent", "--pretend-version=go1.21.5"},
                                  &out),
            3)
      << out;
  for (const char* v : {"go1.19", "go1.19.13"}) {
    EXPECT_EQ(run_go_runtime_binary({"check", std::string("--pretend-version=") + v}, &out), 0) << v << out;
  }
}

// Writes `bytes` to a file in the test's temporary directory; returns its path.
std::string write_temp(const std::string& name, const std::string& bytes) {
  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  return path;
}

std::string ops_header(std::uint64_t total, std::uint64_t load) {
  std::string h = "RHLGOPS1";
  for (const std::uint64_t x : {total, load, std::uint64_t{0}}) {
    for (int i = 0; i < 8; ++i) h += static_cast<char>(x >> (8 * i));
  }
  return h;
}

std::string op_record(char kind, std::uint64_t key) {
  std::string r(1, kind);
  for (int i = 0; i < 8; ++i) r += static_cast<char>(key >> (8 * i));
  r += std::string(8, '\0');
  return r;
}

TEST(GoRuntimePeer, MalformedOpsFilesFailWithTheReason) {
  const std::string out = write_temp("out", "");
  const struct {
    const char* name;
    std::string bytes;
    const char* reason;
  } cases[] = {
      {"empty", "", "shorter than its 32-byte header"},
      {"magic", "RHLGOPS9" + ops_header(1, 0).substr(8) + op_record('I', 1), "bad magic"},
      {"short", ops_header(2, 0) + op_record('I', 1), "but 2 ops need"},
      {"long", ops_header(1, 0) + op_record('I', 1) + "x", "but 1 ops need"},
      {"load", ops_header(1, 2) + op_record('I', 1), "header says 1 ops, 2 of them load"},
      {"kind", ops_header(2, 0) + op_record('I', 1) + op_record('X', 2), "op 1 has kind byte 0x58"},
  };
  for (const auto& c : cases) {
    const std::string path = write_temp(std::string("ops_") + c.name, c.bytes);
    std::string text;
    EXPECT_EQ(run_go_runtime_binary({"run", "--ops=" + path, "--out=" + out}, &text), 2) << c.name << ": " << text;
    EXPECT_NE(text.find("ops file " + path), std::string::npos) << text;
    EXPECT_NE(text.find(c.reason), std::string::npos) << c.name << ": " << text;
  }
  std::string text;
  EXPECT_EQ(run_go_runtime_binary({"run", "--ops=/nonexistent/ops", "--out=" + out}, &text), 2) << text;
  EXPECT_EQ(run_go_runtime_binary({"run", "--ops=" + out, "--out=" + out, "--gc=maybe"}, &text), 2) << text;
  EXPECT_NE(text.find("--gc=maybe"), std::string::npos) << text;
  EXPECT_EQ(run_go_runtime_binary({"run", "--ops=" + out, "--out=" + out, "--key=str32"}, &text), 2) << text;
}

TEST(GoRuntimePeer, ClientErrorsNameTheCause) {
  // A bad configuration reaches the Go program, whose message comes back.
  GoRunConfig cfg;
  cfg.value_bytes = 16;
  const std::vector<GenOp> ops = {{OpKind::kInsert, 1, 1}};
  try {
    run_go_runtime(cfg, 0, ops);
    ADD_FAILURE() << "no error";
  } catch (const GoPeerError& e) {
    EXPECT_NE(std::string(e.what()).find("status 2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("--value-bytes=16"), std::string::npos) << e.what();
  }
  // The override must name an executable; the message says which.
  ::setenv(kGoPeerEnv, "/nonexistent/go_runtime", 1);
  try {
    locate_go_runtime();
    ADD_FAILURE() << "no error";
  } catch (const GoPeerError& e) {
    EXPECT_NE(std::string(e.what()).find("REHASHLAB_GO_PEER=/nonexistent/go_runtime"), std::string::npos) << e.what();
  }
  ::unsetenv(kGoPeerEnv);
  EXPECT_NE(locate_go_runtime().find("peers/go_runtime/go_runtime"), std::string::npos);
}

TEST(GoRuntimePeer, LeavesNoTemporaryFiles) {
  const char* dir = std::getenv("TEST_TMPDIR");
  ASSERT_NE(dir, nullptr);
  ::setenv("TMPDIR", dir, 1);
  const std::vector<GenOp> ops = {{OpKind::kInsert, 1, 1}, {OpKind::kFind, 1, 0}};
  run_go_runtime(GoRunConfig{}, 0, ops);
  GoRunConfig bad;
  bad.key = "nope";
  EXPECT_THROW(run_go_runtime(bad, 0, ops), GoPeerError);
  std::ostringstream cmd;
  cmd << "ls -A " << dir << " | grep -c rehashlab-go-peer";
  FILE* p = ::popen(cmd.str().c_str(), "r");
  ASSERT_NE(p, nullptr);
  int n = -1;
  ASSERT_EQ(std::fscanf(p, "%d", &n), 1);
  ::pclose(p);
  EXPECT_EQ(n, 0);
}

}  // namespace
}  // namespace rehashlab::peers
