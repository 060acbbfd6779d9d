#include "workloads/workload.h"

#include <cmath>
#include <stdexcept>

#include "maps/hash.h"

namespace rehashlab {

const std::vector<std::string>& workload_names() {
  static const std::vector<std::string> names = {"insert_growth", "mixed", "churn", "shrink", "replay", "grow_read"};
  return names;
}

WorkloadKind parse_workload(const std::string& name) {
  const auto& names = workload_names();
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (names[i] == name) return static_cast<WorkloadKind>(i);
  }
  std::string list;
  for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
  throw std::invalid_argument("unknown workload '" + name + "' (valid workloads: " + list + ")");
}

const char* workload_name(WorkloadKind k) { return workload_names()[static_cast<std::size_t>(k)].c_str(); }

ZipfianGenerator::ZipfianGenerator(std::uint64_t n, double theta) : n_(n), theta_(theta) {
  if (n == 0) throw std::invalid_argument("zipfian over zero items");
  if (!(theta > 0 && theta < 1)) throw std::invalid_argument("zipfian theta must be in (0, 1)");
  double z = 0;
  for (std::uint64_t i = 1; i <= n; ++i) z += 1.0 / std::pow(static_cast<double>(i), theta);
  zetan_ = z;
  const double zeta2 = 1.0 + 1.0 / std::pow(2.0, theta);
  alpha_ = 1.0 / (1.0 - theta);
  eta_ = (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta)) / (1.0 - zeta2 / zetan_);
}

std::uint64_t ZipfianGenerator::next(double u) const {
  const double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + std::pow(0.5, theta_)) return n_ > 1 ? 1 : 0;
  const auto r = static_cast<std::uint64_t>(static_cast<double>(n_) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return r < n_ ? r : n_ - 1;
}

Workload::Workload(const WorkloadSpec& spec)
    : spec_(spec), key_seed_(mix64(spec.seed ^ 0x6b65797365656421ULL)), rng_(mix64(spec.seed + 0x9e3779b97f4a7c15ULL)) {
  const std::uint64_t n = spec.n;
  const std::uint64_t ops = spec.ops != 0 ? spec.ops : n;
  switch (spec.kind) {
    case WorkloadKind::kInsertGrowth:
      ops_ = n;
      break;
    case WorkloadKind::kMixed:
      if (spec.read_pct + spec.update_pct + spec.insert_pct != 100) {
        throw std::invalid_argument("mixed: read + update + insert percentages must sum to 100");
      }
      if (n == 0) throw std::invalid_argument("mixed: --n must be > 0");
      load_ops_ = n;
      ops_ = ops;
      if (spec.zipfian) zipf_ = std::make_unique<ZipfianGenerator>(n, spec.theta);
      break;
    case WorkloadKind::kChurn:
      if (n == 0) throw std::invalid_argument("churn: --n must be > 0");
      load_ops_ = n;
      ops_ = ops;
      break;
    case WorkloadKind::kShrink:
      if (n < 100) throw std::invalid_argument("shrink: --n must be >= 100");
      load_ops_ = n;
      ops_ = (n - n / 100) + ops;
      break;
    case WorkloadKind::kReplay:
      trace_ = load_trace(spec.trace_path);
      ops_ = trace_.size();
      break;
    case WorkloadKind::kGrowRead:
      if (n == 0) throw std::invalid_argument("grow_read: --n must be > 0");
      if (spec.read_pct < 1 || spec.read_pct > 99) throw std::invalid_argument("grow_read: --read must be in [1, 99]");
      inserts_left_ = n;
      reads_left_ = n * spec.read_pct / (100 - spec.read_pct);
      ops_ = inserts_left_ + reads_left_;
      break;
  }
  next_new_ = load_ops_;
}

std::uint64_t Workload::key_at(std::uint64_t index) const { return mix64(index ^ key_seed_); }

std::uint64_t Workload::rand64() {
  rng_ += 0x9e3779b97f4a7c15ULL;  // splitmix64
  return mix64(rng_);
}

GenOp Workload::load_op(std::uint64_t i) const { return {OpKind::kInsert, key_at(i), mix64(i + 1)}; }

std::uint64_t Workload::pick_loaded() {
  const std::uint64_t n = spec_.n;
  if (zipf_) {
    // YCSB's ScrambledZipfian: popularity by rank, ranks scattered over the keys.
    return mix64(zipf_->next(rand_unit()) ^ 0x5ca1ab1e) % n;
  }
  return rand64() % n;
}

GenOp Workload::next() {
  const std::uint64_t i = step_++;
  switch (spec_.kind) {
    case WorkloadKind::kInsertGrowth:
      return {OpKind::kInsert, key_at(i), mix64(i + 1)};
    case WorkloadKind::kMixed: {
      const std::uint64_t roll = rand64() % 100;
      if (roll < spec_.read_pct) return {OpKind::kFind, key_at(pick_loaded()), 0};
      if (roll < spec_.read_pct + spec_.update_pct) return {OpKind::kInsert, key_at(pick_loaded()), rand64() >> 1};
      const std::uint64_t k = next_new_++;
      return {OpKind::kInsert, key_at(k), rand64() >> 1};
    }
    case WorkloadKind::kChurn: {
      if (i % 2 == 0) {
        const std::uint64_t k = next_new_++;
        return {OpKind::kInsert, key_at(k), mix64(k + 1)};
      }
      return {OpKind::kErase, key_at(i / 2), 0};
    }
    case WorkloadKind::kShrink: {
      const std::uint64_t n = spec_.n;
      const std::uint64_t erases = n - n / 100;
      if (i < erases) return {OpKind::kErase, key_at(i), 0};
      return {OpKind::kFind, key_at(erases + rand64() % (n / 100)), 0};
    }
    case WorkloadKind::kReplay: {
      const Op& op = trace_[i];
      return {op.kind, op.key, op.value};
    }
    case WorkloadKind::kGrowRead: {
      // Exactly N inserts and reads_left_ finds, in a uniformly random order.
      const bool read = reads_left_ > 0 && rand64() % (inserts_left_ + reads_left_) < reads_left_;
      if (!read) {
        --inserts_left_;
        const std::uint64_t k = next_new_++;
        return {OpKind::kInsert, key_at(k), mix64(k + 1)};
      }
      --reads_left_;
      const std::uint64_t r = rand64();
      // Key indexes >= N are never inserted: those finds miss.
      if (next_new_ > 0 && (r & 1) == 0) return {OpKind::kFind, key_at((r >> 1) % next_new_), 0};
      return {OpKind::kFind, key_at(spec_.n + (r >> 1) % spec_.n), 0};
    }
  }
  return {OpKind::kFind, 0, 0};
}

}  // namespace rehashlab
