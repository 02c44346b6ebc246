#include "controller/file_change_watch.h"

#include <sys/inotify.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace hearth::controller {

FileChangeWatch::FileChangeWatch(std::vector<std::string> files) : files_(std::move(files)) {
  if (files_.empty()) return;
  fd_ = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
  if (fd_ < 0) return;
  const std::filesystem::path dir = std::filesystem::path(files_.front()).parent_path();
  const std::string where = dir.empty() ? "." : dir.string();
  if (inotify_add_watch(fd_, where.c_str(), IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE) < 0) {
    close(fd_);
    fd_ = -1;
    return;
  }
  add_file_watches();
}

FileChangeWatch::~FileChangeWatch() {
  if (fd_ >= 0) close(fd_);
}

void FileChangeWatch::add_file_watches() {
  // Adding a watch to a file already watched just returns its descriptor again; a file not there yet is
  // added when the directory reports its creation.
  for (const std::string& f : files_)
    inotify_add_watch(fd_, f.c_str(), IN_MODIFY | IN_ATTRIB | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF);
}

bool FileChangeWatch::changed() {
  if (fd_ < 0) return true;
  alignas(inotify_event) char buf[4096];
  bool any = false, rewatch = false;
  while (true) {
    const ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // EAGAIN: drained
    any = true;
    for (ssize_t at = 0; at < n;) {
      const auto* e = reinterpret_cast<const inotify_event*>(buf + at);
      // A file (re)created or moved into place, or a watch that ended with its file: watch again.
      if (e->mask & (IN_CREATE | IN_MOVED_TO | IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF | IN_Q_OVERFLOW)) rewatch = true;
      at += static_cast<ssize_t>(sizeof(inotify_event) + e->len);
    }
  }
  if (rewatch) add_file_watches();
  return any;
}

}  // namespace hearth::controller
