// FileChangeWatch: whether a file (an SQLite database and its write-ahead log) may have been written since
// the last look, by this process or any other, from inotify. It watches the files for writes, attribute
// changes, replacement and removal, and their directory for the files being created, moved or deleted (a
// log that appears later). changed() is one non-blocking read of the inotify descriptor (EAGAIN when
// nothing happened: no other syscall, no I/O on the files), draining every queued event; it says true
// when any event came, or when the queue overflowed. Without inotify (no descriptors left, a file system
// that has none) ok() is false and changed() always says true, so a cache built on it never trusts
// itself. Not thread-safe (callers serialise).
#pragma once

#include <string>
#include <vector>

namespace hearth::controller {

class FileChangeWatch {
 public:
  // `files` must share one directory; those that do not exist yet are watched once they appear.
  explicit FileChangeWatch(std::vector<std::string> files);
  ~FileChangeWatch();
  FileChangeWatch(const FileChangeWatch&) = delete;
  FileChangeWatch& operator=(const FileChangeWatch&) = delete;

  bool ok() const { return fd_ >= 0; }
  bool changed();

 private:
  void add_file_watches();
  std::vector<std::string> files_;
  int fd_ = -1;
};

}  // namespace hearth::controller
