#include "convexscore/io/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

#include "convexscore/common.h"

namespace convexscore {
namespace {

namespace fs = std::filesystem;

[[noreturn]] void ThrowCannotWrite(const fs::path& path, const std::string& reason) {
  throw Error("cannot write " + path.string() + ": " + reason);
}

fs::path DirectoryOf(const fs::path& path) {
  const fs::path parent = path.parent_path();
  return parent.empty() ? fs::path(".") : parent;
}

// A hidden name beside the destination that no other writer (process or thread) picks.
fs::path TemporaryPathFor(const fs::path& path) {
  static std::atomic<unsigned> counter{0};
  // Built with appends: GCC 12 warns falsely (-Wrestrict) on "literal" + std::string here.
  std::string name = ".";
  name += path.filename().string();
  name += ".tmp-";
  name += std::to_string(::getpid());
  name += '-';
  name += std::to_string(counter++);
  return DirectoryOf(path) / name;
}

// Shared checks on the destination; throws with a reason a person can act on.
void CheckDestination(const fs::path& path) {
  if (path.empty()) ThrowCannotWrite(path, "empty file name");
  if (!path.has_filename()) ThrowCannotWrite(path, "the path names a directory");
  std::error_code error;
  const fs::path directory = DirectoryOf(path);
  const fs::file_status directory_status = fs::status(directory, error);
  if (error || !fs::exists(directory_status)) {
    // status() fails with ENOTDIR when a regular file sits somewhere in the path.
    ThrowCannotWrite(path, error && error != std::errc::no_such_file_or_directory
                               ? error.message()
                               : "directory " + directory.string() + " does not exist");
  }
  if (!fs::is_directory(directory_status)) {
    ThrowCannotWrite(path, directory.string() + " is not a directory");
  }
  if (fs::is_directory(fs::status(path, error))) {
    ThrowCannotWrite(path, "it is a directory");
  }
}

// Creates a new file exclusively; returns its descriptor or throws.
int CreateExclusive(const fs::path& destination, const fs::path& temporary) {
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) ThrowCannotWrite(destination, std::strerror(errno));
  return fd;
}

}  // namespace

void CheckOutputWritable(const fs::path& path) {
  CheckDestination(path);
  const fs::path probe = TemporaryPathFor(path);
  const int fd = CreateExclusive(path, probe);
  ::close(fd);
  ::unlink(probe.c_str());
}

void WriteFileAtomically(const fs::path& path, std::string_view contents) {
  CheckDestination(path);
  const fs::path temporary = TemporaryPathFor(path);
  const int fd = CreateExclusive(path, temporary);

  const auto fail = [&](int error_number) {
    ::close(fd);
    ::unlink(temporary.c_str());
    ThrowCannotWrite(path, std::strerror(error_number));
  };

  const char* data = contents.data();
  std::size_t remaining = contents.size();
  while (remaining > 0) {
    const ssize_t written = ::write(fd, data, remaining);
    if (written < 0) {
      if (errno == EINTR) continue;
      fail(errno);
    }
    data += written;
    remaining -= static_cast<std::size_t>(written);
  }
  // fsync so a crash after the rename cannot leave an empty file under the final name.
  if (::fsync(fd) != 0) fail(errno);
  if (::close(fd) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    ThrowCannotWrite(path, std::strerror(error_number));
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error_number = errno;
    ::unlink(temporary.c_str());
    ThrowCannotWrite(path, std::strerror(error_number));
  }
}

}  // namespace convexscore
