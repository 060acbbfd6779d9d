// Atomic file replacement: write to a temporary file in the same directory, fsync
// it, rename it over the destination, fsync the directory. A reader (or a suite
// resumed after a crash) therefore sees either the old complete file or the new
// complete file, never a torn one.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace rehashlab {

struct FileError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Throws FileError (naming the path and errno text) on any failure; on failure the
// destination is untouched and the temporary file is removed.
void write_file_atomically(const std::string& path, std::string_view contents);

// mkdir -p; throws FileError.
void make_directories(const std::string& path);

}  // namespace rehashlab
