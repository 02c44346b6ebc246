// AdaptiveSpin (net/adaptive_spin.h) by hand, and FrameReader's spinning read: a reader that spins sees a
// frame arriving within its budget without being put to sleep (no voluntary context switch), while the
// same read without a budget sleeps (the probe).
#include "net/adaptive_spin.h"

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <sched.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "net/frame_codec.h"

namespace hearth::net {
namespace {

TEST(AdaptiveSpin, BudgetIsTwiceTheTypicalWaitWithinItsBounds) {
  AdaptiveSpin off(0);
  EXPECT_EQ(off.budget_us(), 0);
  off.observe(1);
  EXPECT_EQ(off.budget_us(), 0);

  AdaptiveSpin s(100);
  EXPECT_EQ(s.budget_us(), 100);  // nothing observed: the first wait may spin it all
  s.observe(20);
  EXPECT_EQ(s.mean_us(), 20);
  EXPECT_EQ(s.budget_us(), 40);
  s.observe(36);  // (7 * 20 + 36) / 8 = 22
  EXPECT_EQ(s.mean_us(), 22);
  EXPECT_EQ(s.budget_us(), 44);
  s.observe(400);  // (7 * 22 + 400) / 8 = 69: twice that is capped at 100
  EXPECT_EQ(s.mean_us(), 69);
  EXPECT_EQ(s.budget_us(), 100);
  for (int i = 0; i < 3; ++i) s.observe(400);  // 110, 146, 177: longer than the cap, so never spin
  EXPECT_EQ(s.mean_us(), 177);
  EXPECT_EQ(s.budget_us(), 0);
  for (int i = 0; i < 40; ++i) s.observe(0);  // short again (measured while sleeping): spin again, at least 5 µs
  EXPECT_EQ(s.mean_us(), 0);
  EXPECT_EQ(s.budget_us(), AdaptiveSpin::kMinBudgetUs);
}

long voluntary_switches() {
  rusage u{};
  getrusage(RUSAGE_THREAD, &u);
  return u.ru_nvcsw;
}

// Reads one frame written 20 ms after the read starts; returns the reading thread's voluntary context
// switches during the read.
long switches_reading_a_late_frame(AdaptiveSpin* spin) {
  int s[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_EQ(write_frame(s[0], "late", FdKind::kSocket), FrameStatus::kOk);
  });
  FrameReader r(64);
  std::string_view p;
  const long before = voluntary_switches();
  EXPECT_EQ(r.read(s[1], &p, kNoDeadline, nullptr, spin), FrameStatus::kOk);
  const long after = voluntary_switches();
  EXPECT_EQ(p, "late");
  writer.join();
  close(s[0]);
  close(s[1]);
  return after - before;
}

TEST(AdaptiveSpin, ASpinningReaderIsNotPutToSleep) {
  AdaptiveSpin none(0);
  EXPECT_GE(switches_reading_a_late_frame(&none), 1);  // the probe: without a budget the read sleeps
  EXPECT_GE(none.mean_us(), 15'000);                    // and the wait is still measured
  AdaptiveSpin spin(2'000'000, 0);  // a first wait: all of it may be spun, even on a loaded machine
  EXPECT_EQ(switches_reading_a_late_frame(&spin), 0);
  EXPECT_GE(spin.mean_us(), 15'000);
  EXPECT_LE(spin.mean_us(), 2'000'000);
}

// On a core shared with a busy thread, a yield runs that thread: a spin that gives up when contended
// sleeps instead (a voluntary switch), one told never to give up (the probe) spins on.
TEST(AdaptiveSpin, AContendedCoreEndsTheSpin) {
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu(), &one);
  cpu_set_t before;
  ASSERT_EQ(sched_getaffinity(0, sizeof before, &before), 0);
  ASSERT_EQ(sched_setaffinity(0, sizeof one, &one), 0);  // this thread; the busy one inherits it
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  AdaptiveSpin gives_up(2'000'000), never(2'000'000, 0);
  const long probe = switches_reading_a_late_frame(&never);
  const long contended = switches_reading_a_late_frame(&gives_up);
  stop = true;
  busy.join();
  ASSERT_EQ(sched_setaffinity(0, sizeof before, &before), 0);
  EXPECT_EQ(probe, 0);
  EXPECT_GE(contended, 1);
}

// A watched descriptor that becomes readable while the read spins fires the watch once; the read goes on
// to its own frame.
TEST(AdaptiveSpin, AWatchFiresWhileSpinning) {
  int s[2], w[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, w), 0);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(write(w[0], "x", 1), 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    EXPECT_EQ(write_frame(s[0], "mine", FdKind::kSocket), FrameStatus::kOk);
  });
  int fired = 0;
  ReadWatch watch{w[1], [&] { ++fired; }};
  AdaptiveSpin spin(2'000'000, 0);
  FrameReader r(64);
  std::string_view p;
  ASSERT_EQ(r.read(s[1], &p, FrameClock::now() + std::chrono::seconds(10), &watch, &spin), FrameStatus::kOk);
  EXPECT_EQ(p, "mine");
  EXPECT_EQ(fired, 1);
  EXPECT_TRUE(watch.fired);
  writer.join();
  for (int fd : {s[0], s[1], w[0], w[1]}) close(fd);
}

}  // namespace
}  // namespace hearth::net
