// FrameBatcher (invoker/frame_batcher.h) over a local socket pair: frames arrive whole and in each sender's
// order under concurrent senders; a sender that finds a write in progress returns at once and its frame
// goes out in the writer's next batch (the probe first: with a lock held across the write, as the agent
// wrote before, such a sender waits for the whole write); reset() drops an old connection's frames.
#include "invoker/frame_batcher.h"

#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "net/frame_codec.h"

namespace hearth::invoker {
namespace {

using namespace std::chrono_literals;

struct Pair {
  int a = -1, b = -1;
  Pair() {
    int fds[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) throw std::runtime_error("socketpair");
    a = fds[0];
    b = fds[1];
  }
  ~Pair() {
    close(a);
    close(b);
  }
};

std::vector<std::string> read_frames(int fd, std::size_t count) {
  net::FrameReader reader(64u << 20);
  std::vector<std::string> out;
  std::string_view payload;
  while (out.size() < count) {
    if (reader.read(fd, &payload, net::FrameClock::now() + 10s) != net::FrameStatus::kOk) break;
    out.emplace_back(payload);
  }
  return out;
}

TEST(FrameBatcher, ConcurrentSendersFramesArriveWholeAndInEachSendersOrder) {
  Pair p;
  FrameBatcher out;
  out.reset(p.a);
  constexpr int kThreads = 8, kFrames = 400;
  auto reading = std::async(std::launch::async, [&] { return read_frames(p.b, kThreads * kFrames); });
  std::vector<std::thread> senders;
  for (int t = 0; t < kThreads; ++t)
    senders.emplace_back([&, t] {
      for (int i = 0; i < kFrames; ++i)  // sizes from a few bytes to ~20 KB: partial writes happen
        out.send(std::to_string(t) + ":" + std::to_string(i) + ":" + std::string(static_cast<std::size_t>((i * 7919) % 20000), 'x'));
    });
  for (auto& s : senders) s.join();
  const std::vector<std::string> got = reading.get();
  ASSERT_EQ(got.size(), static_cast<std::size_t>(kThreads * kFrames));
  std::map<int, int> next;
  for (const std::string& f : got) {
    const auto c1 = f.find(':'), c2 = f.find(':', c1 + 1);
    const int t = std::stoi(f.substr(0, c1)), i = std::stoi(f.substr(c1 + 1, c2 - c1 - 1));
    EXPECT_EQ(i, next[t]++) << "thread " << t;
    EXPECT_EQ(f.size() - c2 - 1, static_cast<std::size_t>((i * 7919) % 20000));
  }
  EXPECT_EQ(out.frames(), static_cast<std::uint64_t>(kThreads * kFrames));
  EXPECT_LE(out.writes(), out.frames());
}

// Thread A writes a frame larger than the socket's buffer while nobody reads (its write waits); B, C and D
// then send. Returns how long their sends took, and the frames once the reader drains.
template <class Send>
std::pair<std::chrono::steady_clock::duration, std::vector<std::string>> behind_a_blocked_write(Pair& p, Send send) {
  const int small = 16 * 1024;
  setsockopt(p.a, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  const std::string big(4u << 20, 'A');
  std::atomic<bool> a_done{false};
  std::thread a([&] {
    send(big);
    a_done = true;
  });
  std::this_thread::sleep_for(100ms);  // A is inside its write, waiting for room
  EXPECT_FALSE(a_done.load());
  auto others = std::async(std::launch::async, [&] {
    const auto start = std::chrono::steady_clock::now();
    for (const char* s : {"B", "C", "D"}) send(s);
    return std::chrono::steady_clock::now() - start;
  });
  const bool returned_while_blocked = others.wait_for(1s) == std::future_status::ready;
  std::vector<std::string> frames = read_frames(p.b, 4);  // unblocks A (and, without batching, B, C, D)
  a.join();
  const auto took = others.get();
  return {returned_while_blocked ? took : std::chrono::steady_clock::duration::max(), frames};
}

TEST(FrameBatcher, ProbeALockAcrossTheWriteMakesTheNextSendersWait) {
  Pair p;
  std::mutex mu;
  const auto [took, frames] = behind_a_blocked_write(p, [&](const std::string& s) {
    std::lock_guard lock(mu);  // the agent before: the write lock held across write_frame
    net::write_frame(p.a, s, net::FdKind::kSocket);
  });
  EXPECT_EQ(took, std::chrono::steady_clock::duration::max()) << "B, C and D waited for A's write";
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[1], "B");
}

TEST(FrameBatcher, SendersBehindAWriteReturnAtOnceAndGoOutInOneBatch) {
  Pair p;
  FrameBatcher out;
  out.reset(p.a);
  const auto [took, frames] = behind_a_blocked_write(p, [&](const std::string& s) { out.send(s); });
  EXPECT_LT(took, 1s) << "B, C and D returned while A's write waited";
  ASSERT_EQ(frames.size(), 4u);
  EXPECT_EQ(frames[0].size(), 4u << 20);
  EXPECT_EQ(frames[1], "B");
  EXPECT_EQ(frames[2], "C");
  EXPECT_EQ(frames[3], "D");
  EXPECT_EQ(out.frames(), 4u);
  EXPECT_EQ(out.writes(), 2u) << "A's frame, then B, C and D together";
}

TEST(FrameBatcher, AResetDropsWhatAnEarlierConnectionLeftQueued) {
  Pair old_conn, new_conn;
  FrameBatcher out;
  out.reset(old_conn.a);
  out.queue("for the old connection");  // queued, not yet written
  out.reset(new_conn.a);
  out.send("hello");
  const std::vector<std::string> got = read_frames(new_conn.b, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0], "hello");
  char byte;
  EXPECT_EQ(recv(old_conn.b, &byte, 1, MSG_DONTWAIT), -1) << "nothing reached the old connection";
}

}  // namespace
}  // namespace hearth::invoker
