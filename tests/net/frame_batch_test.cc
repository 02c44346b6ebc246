#include "net/frame_batch.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace hearth::net {
namespace {

struct SocketPair {
  int fd[2];
  SocketPair() { EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fd), 0); }
  ~SocketPair() {
    for (int f : fd) close(f);
  }
};

std::string read_frame(int fd, FrameReader& reader) {
  std::string_view payload;
  EXPECT_EQ(reader.read(fd, &payload), FrameStatus::kOk);
  return std::string(payload);
}

TEST(FrameBatch, ALoneSenderWritesEachFrameItself) {
  SocketPair s;
  std::mutex mu;
  FrameBatch batch;
  for (int i = 0; i < 3; ++i) {
    std::unique_lock lock(mu);
    EXPECT_EQ(batch.send(lock, s.fd[0], "f" + std::to_string(i)), FrameStatus::kOk);
    EXPECT_TRUE(lock.owns_lock());
  }
  FrameReader reader(1 << 20);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(read_frame(s.fd[1], reader), "f" + std::to_string(i));
  EXPECT_EQ(batch.writes(), 3u);
  EXPECT_EQ(batch.coalesced(), 0u);
}

// The first sender's write blocks (a frame larger than the socket's buffer, nobody reading yet); senders
// that come meanwhile return at once, without waiting for the reader, and their frames go out together in
// one more write.
TEST(FrameBatch, SendersDuringAWriteReturnAtOnceAndShareTheNextWrite) {
  SocketPair s;
  std::mutex mu;
  FrameBatch batch;
  const std::string big(8 << 20, 'b');
  std::thread first([&] {
    std::unique_lock lock(mu);
    EXPECT_EQ(batch.send(lock, s.fd[0], big), FrameStatus::kOk);
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // it is blocked in its write by now
  {
    std::lock_guard lock(mu);  // the lock is free while it writes
    EXPECT_EQ(batch.writes(), 0u);
  }
  constexpr int kSenders = 10;
  std::atomic<int> returned{0};
  std::vector<std::thread> senders;
  for (int i = 0; i < kSenders; ++i)
    senders.emplace_back([&, i] {
      std::unique_lock lock(mu);
      EXPECT_EQ(batch.send(lock, s.fd[0], "small" + std::to_string(i)), FrameStatus::kOk);
      ++returned;
    });
  for (std::thread& t : senders) t.join();  // they did not wait for the reader
  EXPECT_EQ(returned.load(), kSenders);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(batch.coalesced(), static_cast<std::uint64_t>(kSenders));
  }
  FrameReader reader(16 << 20);
  EXPECT_EQ(read_frame(s.fd[1], reader).size(), big.size());
  std::vector<std::string> got;
  for (int i = 0; i < kSenders; ++i) got.push_back(read_frame(s.fd[1], reader));
  first.join();
  std::sort(got.begin(), got.end());
  std::vector<std::string> want;
  for (int i = 0; i < kSenders; ++i) want.push_back("small" + std::to_string(i));
  std::sort(want.begin(), want.end());
  EXPECT_EQ(got, want);
  std::lock_guard lock(mu);
  EXPECT_EQ(batch.writes(), 2u);  // the big frame, then all ten in one write
}

TEST(FrameBatch, AFailedWriteIsReportedToItsWriter) {
  SocketPair s;
  close(s.fd[1]);
  s.fd[1] = -1;
  std::mutex mu;
  FrameBatch batch;
  std::unique_lock lock(mu);
  EXPECT_EQ(batch.send(lock, s.fd[0], "x"), FrameStatus::kError);
}

}  // namespace
}  // namespace hearth::net
