// Atomic file output: the file appears complete under its name or not at all.
#pragma once
#include <cstddef>
#include <string>

namespace lethe {

// Writes a file under a unique temporary name beside `path` and renames it over `path` in
// commit(), so neither a reader nor a crash ever sees a half-written file. Destroyed without
// commit() (an exception, an early return), it removes the temporary file and leaves `path` as it
// was. Every io writer of Lethe goes through it.
class AtomicFileWriter {
 public:
  explicit AtomicFileWriter(const std::string& path);  // creates the temporary file
  ~AtomicFileWriter();
  AtomicFileWriter(const AtomicFileWriter&) = delete;
  AtomicFileWriter& operator=(const AtomicFileWriter&) = delete;

  void write(const void* bytes, size_t count);  // throws on any failed or short write
  void commit();  // flushes to disk, closes and renames to `path`; throws on failure

 private:
  void discard();  // closes and removes the temporary file, ignoring errors

  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
};

}  // namespace lethe
