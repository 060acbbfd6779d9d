// The C++ side of the go_runtime peer: runs the real Go 1.19 map (the Go program in
// peers/go_runtime/, protocol in its main.go) on an operation sequence and reads its
// results back into plain structs the harness turns into its results schema.
//
// A call: locate the Go binary (locate_go_runtime), write the ops to a temporary file,
// run the binary as a child process (it dies with its parent: PR_SET_PDEATHSIG), read
// the results file, and return. The temporary files are unlinked as soon as both
// sides hold them open (the child gets them as /dev/fd/3 and /dev/fd/4), so nothing
// is left on disk whatever happens, even if this process is killed. A non-zero exit
// of the child throws GoPeerError with its exit status and stderr.
//
// Ops: GenOp {kind, key number, value number} (workloads/workload.h); the first
// `load_ops` are the untimed load phase, the rest are measured. Keys and values are
// built from the numbers by the Go program exactly as workloads/keys.h make_key and
// maps/types.h make_value do, so checksums agree with the C++ maps on the same ops.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "workloads/workload.h"

namespace rehashlab::peers {

struct GoPeerError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Environment variable naming the go_runtime binary, overriding the runfiles search.
inline constexpr const char* kGoPeerEnv = "REHASHLAB_GO_PEER";

// Path of the go_runtime binary: $REHASHLAB_GO_PEER if set, else
// peers/go_runtime/go_runtime under $RUNFILES_DIR, $TEST_SRCDIR or <exe>.runfiles,
// in the workspace "rehashlab". Throws GoPeerError naming every path tried.
std::string locate_go_runtime();

struct GoRunConfig {
  std::string key = "u64";  // u64 | str16 | str64
  int value_bytes = 8;      // 8 | 64 | 256
  bool gc = true;           // false: debug.SetGCPercent(-1)
  double rate = 0;          // open loop at this many ops/s; 0: closed loop
  std::uint64_t window = 4096;  // measured ops per memory sample
  std::uint64_t noise_every = 0;  // an empty timed op after every k measured ops (0: none)
  bool uninstrumented = false;    // then the same ops on a fresh map, timed as a whole
};

// The Go map type's facts, as the runtime reports them (maptype).
struct GoMapInfo {
  std::uint32_t gomaxprocs = 0;
  std::uint32_t key_slot_bytes = 0;   // 8 if the key is stored indirectly
  std::uint32_t elem_slot_bytes = 0;  // 8 if the elem is stored indirectly (> 128 bytes)
  std::uint32_t bucket_bytes = 0;
  bool indirect_key = false;
  bool indirect_elem = false;
};

enum class GoEventKind : std::uint8_t { kGrowStart = 1, kMigrationEnd = 2 };

struct GoEvent {
  std::uint64_t op;  // global op index: below load_ops is the load phase
  GoEventKind kind;
  bool same_size;          // same-size grow (else doubling)
  std::uint8_t b;          // B after the op
  std::uint8_t old_b;      // B of the array being (or just) evacuated
  std::uint64_t count;     // len(m) after the op
};

struct GoMemorySample {
  std::uint64_t ops_done;            // measured ops completed (0: right after the load)
  std::uint64_t count;               // len(m)
  std::uint64_t map_bytes;           // the map's structure, computed from hmap
  std::uint64_t heap_objects_bytes;  // runtime/metrics /memory/classes/heap/objects:bytes
  std::int64_t heap_bytes;           // heap_objects_bytes minus the baseline
  std::uint64_t gc_cycles;           // GC cycles completed since the measured phase began
  std::uint8_t b;
  std::uint8_t old_b;  // while growing
  bool growing;
  std::optional<double> steal_ms;  // host steal since the previous sample; nullopt: unknown
};

struct GoRunResult {
  std::uint64_t load_ops = 0;
  std::uint64_t ops = 0;  // measured
  std::vector<std::uint64_t> start_ns;  // per measured op, relative to t0
  std::vector<std::uint32_t> dur_ns;    // per measured op (saturated at 2^32-1)
  std::uint64_t noise_every = 0;        // the noise floor: an empty timed op after every k ops
  std::vector<std::uint32_t> noise_ns;  // its durations, in order
  std::uint64_t uninstrumented_ns = 0;  // measured ops on a fresh map timed as a whole (0: not run)
  std::vector<GoEvent> events;
  std::vector<GoMemorySample> memory;
  std::uint64_t checksum_value = 0;  // over load and measured ops
  std::string checksum;              // "0x%016x"
  std::string go_version;            // runtime.Version()
  bool gc = true;
  int gc_percent = 100;  // -1: off
  bool open_loop = false;
  double rate = 0;
  std::uint64_t window = 0;
  std::uint64_t elapsed_ns = 0;  // t0 to the end of the last measured op
  std::uint64_t load_ns = 0;
  double clock_overhead_median_ns = 0;  // back-to-back runtime.nanotime()
  double clock_overhead_min_ns = 0;
  double metrics_read_median_ns = 0;  // one memory sample (runtime/metrics.Read)
  std::uint64_t sampling_ns = 0;      // spent sampling memory in the measured phase (untimed)
  std::uint64_t heap_baseline_bytes = 0;
  std::uint64_t gc_cycles_load = 0;
  std::uint64_t gc_cycles_measured = 0;
  GoMapInfo map;

  // Scheduled start of measured op i in open loop, relative to t0 (timed_loop's formula).
  std::uint64_t scheduled_ns(std::uint64_t i) const {
    return open_loop ? static_cast<std::uint64_t>(static_cast<double>(i) * (1e9 / rate)) : start_ns[i];
  }
  // Response time of measured op i: end minus scheduled start (closed loop: the duration).
  std::uint64_t response_ns(std::uint64_t i) const { return start_ns[i] + dur_ns[i] - scheduled_ns(i); }
};

// Produces op i, for i = 0, 1, ..., total-1 in order (each exactly once).
using GoOpSource = std::function<GenOp(std::uint64_t)>;

// Runs the real Go map on `total` ops, the first `load_ops` untimed. Throws GoPeerError.
GoRunResult run_go_runtime(const GoRunConfig& cfg, std::uint64_t load_ops, std::uint64_t total, const GoOpSource& op);
GoRunResult run_go_runtime(const GoRunConfig& cfg, std::uint64_t load_ops, std::span<const GenOp> ops);

// State of the Go map after one op (dump-state mode).
struct GoState {
  std::uint64_t hash;       // the op's key under the map's hasher, with hash0 before the op
  std::uint64_t count;      // len(m)
  std::uint64_t nevacuate;  // hmap.nevacuate (not reset when a migration ends)
  std::uint64_t r;          // the op's checksum result
  std::uint32_t hash0;      // before the op
  std::uint16_t noverflow;  // hmap.noverflow: exact while B < 16, sampled above
  std::uint8_t b;
  bool growing;             // oldbuckets != nil
  bool same_size;           // sameSizeGrow flag
  std::uint8_t grows_started;     // by this op
  std::uint8_t migrations_ended;  // by this op
};

struct GoStateDump {
  GoMapInfo map;
  std::string go_version;
  std::vector<GoState> states;  // one per op
};

// Runs the ops (untimed) and returns the map's state after every op.
GoStateDump dump_go_runtime_state(const std::string& key, int value_bytes, std::span<const GenOp> ops);

// The real Go map driven one op at a time (lockstep mode), so the caller can choose
// each op from the state the previous one left. Not timed.
class GoLockstep {
 public:
  // Starts the Go program (its map is empty). Throws GoPeerError.
  explicit GoLockstep(const std::string& key = "u64", int value_bytes = 8);
  ~GoLockstep();  // ends the program (EOF on its input) and waits for it
  GoLockstep(const GoLockstep&) = delete;
  GoLockstep& operator=(const GoLockstep&) = delete;

  // Applies one op; returns the map's state after it. Throws GoPeerError.
  GoState apply(const GenOp& op);
  const GoMapInfo& map() const { return map_; }
  const std::string& go_version() const { return go_version_; }
  std::uint64_t ops() const { return ops_; }

 private:
  struct Child;
  [[noreturn]] void fail();  // collects the child's exit status and output, throws
  std::unique_ptr<Child> child_;
  GoMapInfo map_;
  std::string go_version_;
  std::uint64_t ops_ = 0;
};

// Runs the go_runtime binary with `args` (stdin /dev/null); returns its exit status
// (128 + signal if killed) and its stdout+stderr in `output`. For tests and checks.
int run_go_runtime_binary(const std::vector<std::string>& args, std::string* output);

}  // namespace rehashlab::peers
