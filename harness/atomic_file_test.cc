#include "harness/atomic_file.h"

#include <dirent.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace rehashlab {
namespace {

std::string tmpdir() {
  const char* t = std::getenv("TEST_TMPDIR");
  std::string base = std::string(t ? t : "/tmp") + "/atomic_XXXXXX";
  std::vector<char> buf(base.begin(), base.end());
  buf.push_back('\0');
  EXPECT_NE(::mkdtemp(buf.data()), nullptr);
  return buf.data();
}

std::string slurp(const std::string& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int entries(const std::string& dir) {
  int n = 0;
  DIR* d = ::opendir(dir.c_str());
  while (dirent* e = ::readdir(d)) n += e->d_name[0] != '.';
  ::closedir(d);
  return n;
}

TEST(AtomicFile, WritesAndReplacesWithoutLeavingTemporaries) {
  const std::string dir = tmpdir();
  const std::string p = dir + "/result.json";
  write_file_atomically(p, "first");
  EXPECT_EQ(slurp(p), "first");
  write_file_atomically(p, std::string(1 << 20, 'x'));
  EXPECT_EQ(slurp(p).size(), 1u << 20);
  EXPECT_EQ(entries(dir), 1);
}

TEST(AtomicFile, FailureLeavesTheOldFileIntact) {
  const std::string dir = tmpdir();
  const std::string p = dir + "/keep.json";
  write_file_atomically(p, "old");
  // Renaming over a non-empty directory fails: the destination must survive and no
  // temporary may be left behind.
  const std::string blocker = dir + "/blocker";
  ASSERT_EQ(::mkdir(blocker.c_str(), 0755), 0);
  write_file_atomically(blocker + "/inner", "x");
  EXPECT_THROW(write_file_atomically(blocker, "new"), FileError);
  EXPECT_EQ(slurp(p), "old");
  EXPECT_EQ(entries(dir), 2);  // keep.json and blocker only
  // A missing directory is a clear error naming the path.
  try {
    write_file_atomically(dir + "/no/such/dir/f", "x");
    FAIL() << "expected FileError";
  } catch (const FileError& e) {
    EXPECT_NE(std::string(e.what()).find("no/such/dir"), std::string::npos) << e.what();
  }
}

TEST(AtomicFile, MakeDirectoriesCreatesNestedPaths) {
  const std::string dir = tmpdir() + "/a/b/c";
  make_directories(dir);
  write_file_atomically(dir + "/f", "y");
  EXPECT_EQ(slurp(dir + "/f"), "y");
  make_directories(dir);  // idempotent
}

}  // namespace
}  // namespace rehashlab
