#include "harness/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace rehashlab {
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path, int err) {
  throw FileError(what + " " + path + ": " + std::strerror(err));
}

std::string parent_dir(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

}  // namespace

namespace {

// Writes `contents` to `tmp` and syncs it; on failure removes tmp and throws.
void write_synced(const std::string& tmp, std::string_view contents) {
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail("cannot create", tmp, errno);
  std::size_t done = 0;
  while (done < contents.size()) {
    const ssize_t w = ::write(fd, contents.data() + done, contents.size() - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      const int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      fail("cannot write", tmp, err);
    }
    done += static_cast<std::size_t>(w);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    fail("cannot fsync", tmp, err);
  }
  if (::close(fd) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    fail("cannot close", tmp, err);
  }
}

void sync_dir_of(const std::string& path) {
  const int dfd = ::open(parent_dir(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {  // best effort: the rename is already visible
    ::fsync(dfd);
    ::close(dfd);
  }
}

std::string temp_name(const std::string& path) { return path + ".tmp." + std::to_string(::getpid()); }

}  // namespace

void write_file_atomically(const std::string& path, std::string_view contents) {
  FileSet one;
  one.stage(path, contents);
  one.commit();
}

void FileSet::stage(const std::string& path, std::string_view contents) {
  const std::string tmp = temp_name(path);
  write_synced(tmp, contents);
  staged_.push_back({path, tmp});
}

void FileSet::commit() {
  for (const Staged& s : staged_) {
    if (::rename(s.tmp.c_str(), s.path.c_str()) != 0) {
      const int err = errno;
      fail("cannot rename " + s.tmp + " to", s.path, err);  // abandon() cleans up
    }
    renamed_.push_back(s.path);
  }
  if (!staged_.empty()) sync_dir_of(staged_.back().path);
  committed_ = true;
  staged_.clear();
  renamed_.clear();
}

void FileSet::abandon() noexcept {
  if (committed_) return;
  for (const Staged& s : staged_) ::unlink(s.tmp.c_str());
  for (const std::string& p : renamed_) ::unlink(p.c_str());
  staged_.clear();
  renamed_.clear();
}

void make_directories(const std::string& path) {
  if (path.empty()) return;
  std::string partial;
  std::size_t pos = 0;
  while (pos != std::string::npos) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (partial.empty()) continue;
    if (::mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) fail("cannot create directory", partial, errno);
  }
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) fail("not a directory:", path, ENOTDIR);
}

}  // namespace rehashlab
