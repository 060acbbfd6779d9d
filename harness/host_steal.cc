#include "harness/host_steal.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>

namespace rehashlab {
namespace {

// Steal (ms) from the text of /proc/stat's first line; nullopt if it has none.
std::optional<double> parse_steal(const char* text) {
  unsigned long long user, nice, system, idle, iowait, irq, softirq, steal;
  const int got = std::sscanf(text, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &user, &nice, &system, &idle,
                              &iowait, &irq, &softirq, &steal);
  const long hz = ::sysconf(_SC_CLK_TCK);
  if (got != 8 || hz <= 0) return std::nullopt;
  return static_cast<double>(steal) * 1000.0 / static_cast<double>(hz);
}

}  // namespace

std::optional<double> host_steal_ms() { return StealReader().read(); }

StealReader::StealReader() : fd_(::open("/proc/stat", O_RDONLY | O_CLOEXEC)) {}

StealReader::~StealReader() {
  if (fd_ >= 0) ::close(fd_);
}

std::optional<double> StealReader::read() const {
  if (fd_ < 0) return std::nullopt;
  char buf[512];
  const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
  if (n <= 0) return std::nullopt;
  buf[n] = '\0';
  return parse_steal(buf);
}

}  // namespace rehashlab
