#include "harness/host_steal.h"

#include <unistd.h>

#include <cstdio>

namespace rehashlab {

std::optional<double> host_steal_ms() {
  std::FILE* f = std::fopen("/proc/stat", "r");
  if (f == nullptr) return std::nullopt;
  unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
  const int got = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle,
                              &iowait, &irq, &softirq, &steal);
  std::fclose(f);
  const long hz = ::sysconf(_SC_CLK_TCK);
  if (got != 8 || hz <= 0) return std::nullopt;
  return static_cast<double>(steal) * 1000.0 / static_cast<double>(hz);
}

}  // namespace rehashlab
