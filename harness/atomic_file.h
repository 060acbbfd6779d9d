// Atomic file replacement: write to a temporary file in the same directory, fsync
// it, rename it over the destination, fsync the directory. A reader (or a suite
// resumed after a crash) therefore sees either the old complete file or the new
// complete file, never a torn one.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rehashlab {

struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws FileError (naming the path and errno text) on any failure; on failure the
// destination is untouched and the temporary file is removed.
void write_file_atomically(const std::string& path, std::string_view contents);

// mkdir -p; throws FileError.
void make_directories(const std::string& path);

// Several files that appear together or not at all (one run's .hgrm, .csv and
// .json): stage() writes each to a synced temporary file, commit() renames them in
// staging order (so the file a reader looks for first, staged last, appears last).
// If anything fails, or the set is destroyed uncommitted, every temporary file and
// every file this set already renamed is removed: no half of a result is left.
class FileSet {
 public:
  FileSet() = default;
  FileSet(const FileSet&) = delete;
  FileSet& operator=(const FileSet&) = delete;
  ~FileSet() { abandon(); }

  void stage(const std::string& path, std::string_view contents);  // throws FileError
  void commit();                                                    // throws FileError

 private:
  void abandon() noexcept;
  struct Staged {
    std::string path, tmp;
  };
  std::vector<Staged> staged_;
  std::vector<std::string> renamed_;
  bool committed_ = false;
};

}  // namespace rehashlab
