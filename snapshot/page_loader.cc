#include "snapshot/page_loader.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace hearth::snapshot {

namespace {

constexpr std::int64_t kChunkBytes = 1 << 20;

std::vector<int> open_all(const LoadingSet& set) {
  std::vector<int> fds;
  for (const std::string& f : set.files) {
    const int fd = ::open(f.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      const std::string why = std::strerror(errno);
      for (int done : fds) ::close(done);
      throw std::runtime_error("page loader: cannot open " + f + ": " + why);
    }
    fds.push_back(fd);
  }
  return fds;
}

LoaderStats read_regions(const LoadingSet& set, const std::vector<int>& fds, const std::atomic<bool>* stop) {
  LoaderStats stats;
  std::vector<char> buf(static_cast<std::size_t>(kChunkBytes));
  const auto begin = std::chrono::steady_clock::now();
  for (const LoadingRegion& r : set.regions) {
    std::int64_t offset = r.first_page * kPageBytes;
    const std::int64_t end = offset + r.pages * kPageBytes;
    while (offset < end) {
      if (stop && *stop) {
        stats.stopped = true;
        stats.elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - begin).count();
        return stats;
      }
      const ssize_t n = ::pread(fds[r.file], buf.data(), static_cast<std::size_t>(std::min(kChunkBytes, end - offset)), offset);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // past the end of the file (or unreadable): nothing more to cache here
      stats.bytes += n;
      offset += n;
    }
    ++stats.regions;
  }
  stats.elapsed_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - begin).count();
  return stats;
}

}  // namespace

LoaderStats load_now(const LoadingSet& set) {
  const std::vector<int> fds = open_all(set);
  const LoaderStats stats = read_regions(set, fds, nullptr);
  for (int fd : fds) ::close(fd);
  return stats;
}

PageLoader::PageLoader(LoadingSet set) : set_(std::move(set)) {}

PageLoader::~PageLoader() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  for (int fd : fds_) ::close(fd);
}

void PageLoader::start() {
  if (thread_.joinable() || !fds_.empty()) throw std::logic_error("page loader: started twice");
  fds_ = open_all(set_);
  thread_ = std::thread([this] { stats_ = read_regions(set_, fds_, &stop_); });
}

LoaderStats PageLoader::wait() {
  if (thread_.joinable()) thread_.join();
  return stats_;
}

}  // namespace hearth::snapshot
