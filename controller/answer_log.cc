#include "controller/answer_log.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "controller/store.h"
#include "model/stable_hash.h"
#include "net/little_endian.h"
#include "net/wire_binary.h"

namespace hearth::controller {
namespace {

constexpr std::uint32_t kHeld = 0x4e534841;  // "AHSN"
constexpr std::size_t kHeader = 16;          // u32 state, u32 length, u64 checksum
constexpr std::size_t kMaxPayload = AnswerLog::kSlotBytes - kHeader;

std::runtime_error failure(const std::string& path, const char* call) {
  return std::runtime_error("answer log " + path + ": " + call + ": " + std::strerror(errno));
}

std::atomic_ref<std::uint32_t> state_of(unsigned char* slot) {
  return std::atomic_ref<std::uint32_t>(*reinterpret_cast<std::uint32_t*>(slot));
}

void put_str(std::string& out, std::string_view s) {
  char len[4];
  net::store_le<std::uint32_t>(len, static_cast<std::uint32_t>(s.size()));
  out.append(len, 4);
  out.append(s);
}

// The next u32-length string of `in` at `*at`, or nullopt if it runs past the end.
std::optional<std::string_view> get_str(std::string_view in, std::size_t* at) {
  if (in.size() - *at < 4) return std::nullopt;
  const std::uint32_t n = net::load_le<std::uint32_t>(in.data() + *at);
  *at += 4;
  if (in.size() - *at < n) return std::nullopt;
  std::string_view s = in.substr(*at, n);
  *at += n;
  return s;
}

}  // namespace

AnswerLog::AnswerLog(const std::string& path, std::size_t slots) : path_(path), slots_(slots) {
  if (slots == 0) throw std::invalid_argument("answer log " + path + ": needs at least one slot");
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) throw failure(path, "open");
  const std::size_t bytes = slots * kSlotBytes;
  // Blocks allocated now, not at the first store into a page: a page of a sparse file that the disk has no
  // room for would raise SIGBUS in the process that touches it.
  if (const int e = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes)); e != 0) {
    ::close(fd);
    errno = e;
    throw failure(path, "posix_fallocate");
  }
  void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  const int e = errno;
  ::close(fd);  // the mapping keeps the file
  errno = e;
  if (p == MAP_FAILED) throw failure(path, "mmap");
  base_ = static_cast<unsigned char*>(p);
  free_.reserve(slots);
  for (std::size_t i = slots; i-- > 0;) free_.push_back(i);
}

AnswerLog::~AnswerLog() {
  if (base_) ::munmap(base_, slots_ * kSlotBytes);
}

std::optional<std::size_t> AnswerLog::append(const net::ActivationRecord& record) {
  std::lock_guard lock(mu_);
  if (free_.empty()) return std::nullopt;
  net::wire::encode_result(buffer_, 0, record, {});
  const std::size_t binary = buffer_.size();
  buffer_.insert(0, 4, '\0');
  net::store_le<std::uint32_t>(buffer_.data(), static_cast<std::uint32_t>(binary));
  put_str(buffer_, record.cause);
  put_str(buffer_, record.annotations_json);
  if (buffer_.size() > kMaxPayload) return std::nullopt;
  const std::size_t slot = free_.back();
  free_.pop_back();
  unsigned char* s = base_ + slot * kSlotBytes;
  std::memcpy(s + kHeader, buffer_.data(), buffer_.size());
  net::store_le<std::uint32_t>(reinterpret_cast<char*>(s) + 4, static_cast<std::uint32_t>(buffer_.size()));
  net::store_le<std::uint64_t>(reinterpret_cast<char*>(s) + 8, model::stable_hash(buffer_));
  state_of(s).store(kHeld, std::memory_order_release);  // last: a kill before it leaves the slot free
  return slot;
}

void AnswerLog::release(std::size_t slot) {
  std::lock_guard lock(mu_);
  state_of(base_ + slot * kSlotBytes).store(0, std::memory_order_release);
  free_.push_back(slot);
}

std::size_t AnswerLog::held() const {
  std::lock_guard lock(mu_);
  return slots_ - free_.size();
}

std::vector<net::ActivationRecord> AnswerLog::recover(const std::string& path) {
  std::vector<net::ActivationRecord> out;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return out;
    throw failure(path, "open");
  }
  std::string data;
  char buf[1 << 16];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) != 0;) {
    if (n < 0) {
      if (errno == EINTR) continue;
      const int e = errno;
      ::close(fd);
      errno = e;
      throw failure(path, "read");
    }
    data.append(buf, static_cast<std::size_t>(n));
  }
  ::close(fd);
  for (std::size_t at = 0; at + kSlotBytes <= data.size(); at += kSlotBytes) {
    const char* s = data.data() + at;
    if (net::load_le<std::uint32_t>(s) != kHeld) continue;
    const std::uint32_t length = net::load_le<std::uint32_t>(s + 4);
    if (length > kMaxPayload) continue;
    const std::string_view payload(s + kHeader, length);
    if (model::stable_hash(payload) != net::load_le<std::uint64_t>(s + 8)) continue;
    std::size_t pos = 0;
    const auto binary = get_str(payload, &pos);
    const auto cause = binary ? get_str(payload, &pos) : std::nullopt;
    const auto annotations = cause ? get_str(payload, &pos) : std::nullopt;
    if (!annotations || pos != payload.size()) continue;
    try {
      net::ActivationRecord r = net::wire::decode_result(*binary).activation;
      r.cause = *cause;
      r.annotations_json = *annotations;
      out.push_back(std::move(r));
    } catch (const std::invalid_argument&) {
      // a slot of another layout version: nothing this build can store
    }
  }
  return out;
}

std::size_t store_answered(Store& store, const std::vector<net::ActivationRecord>& answered) {
  std::size_t stored = 0;
  for (const net::ActivationRecord& r : answered) {
    if (store.get_activation(r.ns, r.id)) continue;
    store.put_activation(r);
    ++stored;
  }
  if (stored) store.flush();
  return stored;
}

}  // namespace hearth::controller
