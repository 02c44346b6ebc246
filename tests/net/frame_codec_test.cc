// The frame codec shared by the runtime channel and the wire (runtime/frame_codec.h): hand-checked cases
// and properties — frames survive any split of the byte stream, and no byte sequence makes a reader hold
// more than its cap allows.
#include "net/frame_codec.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <thread>
#include <vector>

namespace hearth::net {
namespace {

std::string frame(std::string_view payload) {
  std::string out;
  append_frame(out, payload);
  return out;
}

TEST(FrameCodec, HeaderIsLittleEndianLength) {
  EXPECT_EQ(frame("abc"), std::string("\x03\x00\x00\x00" "abc", 7));
  EXPECT_EQ(frame(std::string(258, 'x')).substr(0, 4), std::string("\x02\x01\x00\x00", 4));
  EXPECT_EQ(frame(""), std::string(4, '\0'));
}

TEST(FrameCodec, DecodesFramesFedInPieces) {
  FrameReader r(16);
  std::string_view p;
  r.feed(std::string("\x02\x00", 2));
  EXPECT_EQ(r.next(&p), FrameReader::Next::kNeedMore);
  r.feed(std::string("\x00\x00h", 3));
  EXPECT_EQ(r.next(&p), FrameReader::Next::kNeedMore);
  r.feed("i" + frame(""));
  ASSERT_EQ(r.next(&p), FrameReader::Next::kFrame);
  EXPECT_EQ(p, "hi");
  ASSERT_EQ(r.next(&p), FrameReader::Next::kFrame);
  EXPECT_EQ(p, "");
  EXPECT_EQ(r.next(&p), FrameReader::Next::kNeedMore);
  EXPECT_EQ(r.buffered(), 0u);
}

TEST(FrameCodec, TheCapIsInclusive) {
  FrameReader r(3);
  std::string_view p;
  r.feed(frame("abc"));
  EXPECT_EQ(r.next(&p), FrameReader::Next::kFrame);
  r.feed(frame("abcd"));
  EXPECT_EQ(r.next(&p), FrameReader::Next::kOversized);
  EXPECT_EQ(r.describe(FrameStatus::kOversized), "frame of 4 bytes exceeds the 3-byte limit");
}

TEST(FrameCodec, ReadsClosedTruncatedAndTimedOutStreams) {
  int s[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
  FrameReader r(1 << 20);
  std::string_view p;
  ASSERT_EQ(write_frame(s[0], "one", FdKind::kSocket), FrameStatus::kOk);
  ASSERT_EQ(r.read(s[1], &p), FrameStatus::kOk);
  EXPECT_EQ(p, "one");
  const auto t0 = FrameClock::now();
  EXPECT_EQ(r.read(s[1], &p, t0 + std::chrono::milliseconds(50)), FrameStatus::kTimeout);
  EXPECT_GE(FrameClock::now() - t0, std::chrono::milliseconds(50));
  ASSERT_EQ(write_all(s[0], std::string("\x05\x00\x00\x00" "ab", 6), FdKind::kSocket), FrameStatus::kOk);
  close(s[0]);
  EXPECT_EQ(r.read(s[1], &p), FrameStatus::kTruncated);
  close(s[1]);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
  close(s[0]);
  FrameReader fresh(16);
  EXPECT_EQ(fresh.read(s[1], &p), FrameStatus::kClosed);
  close(s[1]);
}

// A deadline under a millisecond away is waited for to the microsecond (a sender reading its own
// result for a few hundred µs, controller/read_role.h): a frame written 300 µs into a 20-ms wait is
// read, and a 700-µs wait with nothing coming times out after 700 µs, not at once (the probe: the
// millisecond poll rounded such a wait down to nothing).
TEST(FrameCodec, SubMillisecondDeadlinesAreWaitedFor) {
  int s[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
  FrameReader r(1 << 10);
  std::string_view p;
  auto t0 = FrameClock::now();
  EXPECT_EQ(r.read(s[1], &p, t0 + std::chrono::microseconds(700)), FrameStatus::kTimeout);
  EXPECT_GE(FrameClock::now() - t0, std::chrono::microseconds(700));
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::microseconds(300));
    write_frame(s[0], "late", FdKind::kSocket);
  });
  t0 = FrameClock::now();
  EXPECT_EQ(r.read(s[1], &p, t0 + std::chrono::milliseconds(20)), FrameStatus::kOk);
  writer.join();
  EXPECT_EQ(p, "late");
  close(s[0]);
  close(s[1]);
}

TEST(FrameCodec, FrameBufferedTellsWhetherTheNextReadNeedsNoIo) {
  FrameReader r(16);
  std::string_view p;
  EXPECT_FALSE(r.frame_buffered());
  r.feed(frame("one") + frame("two").substr(0, 5));
  EXPECT_TRUE(r.frame_buffered());
  ASSERT_EQ(r.next(&p), FrameReader::Next::kFrame);
  EXPECT_FALSE(r.frame_buffered());  // "two" is still partial
  r.feed(frame("two").substr(5));
  EXPECT_TRUE(r.frame_buffered());
  ASSERT_EQ(r.next(&p), FrameReader::Next::kFrame);
  EXPECT_EQ(p, "two");
  r.feed(std::string("\xff\xff\x00\x00", 4));  // over the cap: read() returns at once (kOversized)
  EXPECT_TRUE(r.frame_buffered());
}

// A frame larger than the socket's buffer goes out whole through a non-blocking socket (the gathering
// write takes part of it, write_all the rest), and a reader without a deadline on a non-blocking
// descriptor waits for data instead of spinning or failing on EAGAIN.
TEST(FrameCodec, LargeFramesCrossNonBlockingSocketsWhole) {
  int s[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, s), 0);
  std::string big(4 << 20, 'x');
  for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + (i / 4096) % 26);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the reader first finds nothing (EAGAIN)
    EXPECT_EQ(write_frame(s[0], big, FdKind::kSocket, FrameClock::now() + std::chrono::seconds(20)), FrameStatus::kOk);
    EXPECT_EQ(write_frame(s[0], "after", FdKind::kSocket), FrameStatus::kOk);
  });
  FrameReader r(8 << 20);
  std::string_view p;
  ASSERT_EQ(r.read(s[1], &p), FrameStatus::kOk);
  EXPECT_EQ(p.size(), big.size());
  EXPECT_TRUE(p == big);
  ASSERT_EQ(r.read(s[1], &p), FrameStatus::kOk);
  EXPECT_EQ(p, "after");
  writer.join();
  close(s[0]);
  close(s[1]);
}

// Any sequence of frames, cut anywhere, decodes to the same payloads in order.
RC_GTEST_PROP(FrameCodecProperty, FramesSurviveAnySplit, (const std::vector<std::string>& payloads)) {
  std::string stream;
  std::size_t cap = 0;
  for (const auto& p : payloads) {
    append_frame(stream, p);
    cap = std::max(cap, p.size());
  }
  FrameReader r(cap);
  std::vector<std::string> got;
  std::size_t at = 0;
  while (at < stream.size()) {
    const std::size_t n = *rc::gen::inRange<std::size_t>(1, stream.size() - at + 1);
    r.feed(std::string_view(stream).substr(at, n));
    at += n;
    std::string_view p;
    while (r.next(&p) == FrameReader::Next::kFrame) got.emplace_back(p);
  }
  RC_ASSERT(got == payloads);
  RC_ASSERT(r.buffered() == 0u);
}

// Whatever bytes arrive over a real descriptor, the reader ends with a status (never throws) and its
// buffer never exceeds the cap plus one read chunk.
RC_GTEST_PROP(FrameCodecProperty, ArbitraryBytesNeverOutgrowTheCap, (const std::string& bytes)) {
  int s[2];
  RC_ASSERT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) == 0);
  std::thread writer([&] {
    write_all(s[0], bytes, FdKind::kSocket);
    close(s[0]);
  });
  const std::size_t cap = *rc::gen::inRange<std::size_t>(0, 4096);
  FrameReader r(cap);
  std::string_view p;
  FrameStatus st;
  while ((st = r.read(s[1], &p, FrameClock::now() + std::chrono::seconds(5))) == FrameStatus::kOk) RC_ASSERT(p.size() <= cap);
  close(s[1]);  // a writer still writing (the reader stopped at an oversized frame) fails instead of waiting
  writer.join();
  RC_ASSERT(st != FrameStatus::kTimeout);
  RC_ASSERT(st != FrameStatus::kError);
  RC_ASSERT(r.buffered() <= cap + kFrameHeaderBytes + 64 * 1024);
}

}  // namespace
}  // namespace hearth::net
