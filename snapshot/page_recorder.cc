#include "snapshot/page_recorder.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace hearth::snapshot {

namespace {

std::runtime_error file_error(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

}  // namespace

void evict_page_cache(const std::vector<std::string>& files) {
  for (const std::string& path : files) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw file_error("evict: cannot open", path);
    ::fdatasync(fd);  // best effort: a read-only file system has nothing dirty
    const int rc = ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    ::close(fd);
    if (rc != 0) throw std::runtime_error("evict: posix_fadvise " + path + ": " + std::strerror(rc));
  }
}

std::int64_t resident_pages(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw file_error("mincore: cannot open", path);
  struct stat st {};
  ::fstat(fd, &st);
  if (st.st_size == 0) {
    ::close(fd);
    return 0;
  }
  const std::int64_t pages = (st.st_size + kPageBytes - 1) / kPageBytes;
  void* addr = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (addr == MAP_FAILED) throw file_error("mincore: cannot map", path);
  std::vector<unsigned char> vec(static_cast<std::size_t>(pages));
  const int rc = ::mincore(addr, static_cast<std::size_t>(st.st_size), vec.data());
  ::munmap(addr, static_cast<std::size_t>(st.st_size));
  if (rc != 0) throw file_error("mincore", path);
  std::int64_t n = 0;
  for (unsigned char v : vec) n += v & 1;
  return n;
}

PageRecorder::PageRecorder(std::vector<std::string> files, std::chrono::microseconds interval) : interval_(interval) {
  if (files.empty()) throw std::invalid_argument("page recorder: no files to record");
  if (interval < std::chrono::microseconds(100))
    throw std::invalid_argument("page recorder: scan interval " + std::to_string(interval.count()) + " µs is below 100 µs");
  for (const std::string& path : files) {
    Mapping m;
    m.path = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw file_error("page recorder: cannot open", path);
    struct stat st {};
    ::fstat(fd, &st);
    m.pages = (st.st_size + kPageBytes - 1) / kPageBytes;
    if (st.st_size > 0) {
      m.addr = ::mmap(nullptr, static_cast<std::size_t>(st.st_size), PROT_READ, MAP_SHARED, fd, 0);
      if (m.addr == MAP_FAILED) {
        ::close(fd);
        for (Mapping& done : maps_) ::munmap(done.addr, static_cast<std::size_t>(done.pages * kPageBytes));
        throw file_error("page recorder: cannot map", path);
      }
    }
    ::close(fd);
    m.seen.assign(static_cast<std::size_t>(m.pages), 0);
    m.vec.assign(static_cast<std::size_t>(m.pages), 0);
    result_.files.push_back(path);
    result_.file_pages.push_back(m.pages);
    maps_.push_back(std::move(m));
  }
}

PageRecorder::~PageRecorder() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  for (Mapping& m : maps_)
    if (m.addr) ::munmap(m.addr, static_cast<std::size_t>(m.pages * kPageBytes));
}

void PageRecorder::scan() {
  for (std::uint32_t f = 0; f < maps_.size(); ++f) {
    Mapping& m = maps_[f];
    if (!m.addr) continue;
    if (::mincore(m.addr, static_cast<std::size_t>(m.pages * kPageBytes), m.vec.data()) != 0) continue;
    for (std::int64_t p = 0; p < m.pages; ++p) {
      const auto i = static_cast<std::size_t>(p);
      if ((m.vec[i] & 1) && !m.seen[i]) {
        m.seen[i] = 1;
        result_.order.push_back({f, p});
      }
    }
  }
  ++result_.scans;
}

void PageRecorder::start() {
  if (started_) throw std::logic_error("page recorder: started twice");
  started_ = true;
  scan();
  result_.initially_resident = static_cast<std::int64_t>(result_.order.size());
  thread_ = std::thread([this] {
    while (!stop_) {
      std::this_thread::sleep_for(interval_);
      scan();
    }
  });
}

WorkingSet PageRecorder::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  scan();
  return result_;
}

}  // namespace hearth::snapshot
