#include "lethe/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <utility>

#include "lethe/core/error.h"

namespace lethe {

AtomicFileWriter::AtomicFileWriter(const std::string& path) : path_(path) {
  static std::atomic<unsigned> writers_started{0};
  temp_path_ = path + ".tmp." + std::to_string(getpid()) + "." + std::to_string(writers_started++);
  fd_ = ::open(temp_path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    fail("cannot write '", path_, "': creating the temporary file '", temp_path_, "' failed (",
         std::strerror(errno), ")");
  }
}

AtomicFileWriter::~AtomicFileWriter() {
  discard();
}

void AtomicFileWriter::write(const void* bytes, size_t count) {
  LETHE_CHECK(fd_ >= 0, "cannot write '", path_, "': the writer was committed or failed");
  const char* next = static_cast<const char*>(bytes);
  while (count > 0) {
    const ssize_t written = ::write(fd_, next, count);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      const int error = errno;
      discard();
      fail("cannot write '", path_, "' (", written < 0 ? std::strerror(error) : "no progress", ")");
    }
    next += written;
    count -= static_cast<size_t>(written);
  }
}

void AtomicFileWriter::commit() {
  LETHE_CHECK(fd_ >= 0, "cannot write '", path_, "': the writer was committed or failed");
  if (::fsync(fd_) != 0 || ::close(std::exchange(fd_, -1)) != 0) {
    const int error = errno;
    discard();
    fail("cannot write '", path_, "': flushing to disk failed (", std::strerror(error), ")");
  }
  if (std::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    const int error = errno;
    discard();
    fail("cannot write '", path_, "': renaming '", temp_path_, "' over it failed (",
         std::strerror(error), ")");
  }
  temp_path_.clear();
}

void AtomicFileWriter::discard() {
  if (fd_ >= 0) ::close(std::exchange(fd_, -1));
  if (!temp_path_.empty()) std::remove(temp_path_.c_str());
  temp_path_.clear();
}

}  // namespace lethe
