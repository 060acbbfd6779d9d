// Deterministic workload generators. Everything follows from the spec and its seed:
// two runs (or two maps) with the same spec see the same operations in the same
// order, so their result checksums must agree.
//
//   insert_growth  empty to N: N inserts of new keys (the resize-spike workload).
//   mixed          load N keys (untimed), then `ops` operations: read / update /
//                  insert by the given percentages (YCSB-like; default 50/45/5).
//                  Reads and updates pick among the N loaded keys, uniform or
//                  zipfian (YCSB's scrambled zipfian, theta default 0.99); inserts
//                  add new keys.
//   churn          load N keys, then `ops` operations alternating insert of a new key
//                  and erase of the oldest live key: constant size, FIFO turnover
//                  (tombstones, same-size grows).
//   shrink         load N keys, then erase all but N/100 (oldest first), then `ops`
//                  uniform reads of the survivors: does memory come back?
//   replay         the operations of a trace file (workloads/trace.h), as is.
//   grow_read      empty to N like insert_growth, with finds interleaved at random
//                  (read_pct of all ops; half of a present key chosen uniformly
//                  among those inserted so far, half of a key never inserted), so
//                  lookups run while the table grows and migrates.
// Key numbers are mix64(index ^ key_seed): a bijection, so distinct indexes are
// distinct keys, and the keys look random to any hash.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "workloads/trace.h"

namespace rehashlab {

enum class WorkloadKind : std::uint8_t { kInsertGrowth, kMixed, kChurn, kShrink, kReplay, kGrowRead };

// Valid workload names, in help order.
const std::vector<std::string>& workload_names();
// Throws std::invalid_argument naming the valid ones.
WorkloadKind parse_workload(const std::string& name);
const char* workload_name(WorkloadKind k);

struct WorkloadSpec {
  WorkloadKind kind = WorkloadKind::kInsertGrowth;
  std::uint64_t n = 0;
  std::uint64_t ops = 0;  // measured ops (mixed, churn) or reads (shrink); 0: N
  std::uint64_t seed = 1;
  unsigned read_pct = 50, update_pct = 45, insert_pct = 5;  // mixed: sum 100; grow_read: read_pct
  bool zipfian = false;
  double theta = 0.99;
  std::string trace_path;  // replay
};

struct GenOp {
  OpKind kind;
  std::uint64_t key;    // key number (make_key)
  std::uint64_t value;  // value number (make_value), inserts only
};

// YCSB's ZipfianGenerator (Gray et al.): items 0..n-1, item 0 most popular.
class ZipfianGenerator {
 public:
  ZipfianGenerator(std::uint64_t n, double theta);
  // u uniform in [0, 1).
  std::uint64_t next(double u) const;

 private:
  std::uint64_t n_;
  double theta_, alpha_, zetan_, eta_;
};

class Workload {
 public:
  explicit Workload(const WorkloadSpec& spec);  // replay: loads the trace (TraceError)

  const WorkloadSpec& spec() const { return spec_; }
  std::uint64_t load_ops() const { return load_ops_; }  // untimed inserts first
  GenOp load_op(std::uint64_t i) const;
  std::uint64_t ops() const { return ops_; }  // measured ops
  // The measured ops, in order (call exactly ops() times).
  GenOp next();
  // Key number of the i-th key this workload ever inserts.
  std::uint64_t key_at(std::uint64_t index) const;

 private:
  std::uint64_t rand64();
  double rand_unit() { return static_cast<double>(rand64() >> 11) * 0x1.0p-53; }
  std::uint64_t pick_loaded();

  WorkloadSpec spec_;
  std::uint64_t load_ops_ = 0;
  std::uint64_t ops_ = 0;
  std::uint64_t key_seed_;
  std::uint64_t rng_;
  std::uint64_t step_ = 0;
  std::uint64_t next_new_ = 0;  // next key index to insert
  std::uint64_t reads_left_ = 0, inserts_left_ = 0;  // grow_read
  std::unique_ptr<ZipfianGenerator> zipf_;
  std::vector<Op> trace_;
};

}  // namespace rehashlab
