// ReadRole (controller/read_role.h): who reads a wire connection — its reader thread or a sender waiting
// for its own result. Hand-checked transitions, and a race test for the park / send ordering: a sender
// that raises the in-flight count and then wakes the thread is never lost.
#include "controller/read_role.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <thread>

namespace hearth::controller {
namespace {

using namespace std::chrono_literals;
using Holder = ReadRole::Holder;
using Park = ReadRole::Park;

// Waits (at most 5 s) until the role is free: the thread parked.
bool wait_free(const ReadRole& role) {
  const auto until = std::chrono::steady_clock::now() + 5s;
  while (role.holder() != Holder::kFree)
    if (std::chrono::steady_clock::now() > until) return false;
    else std::this_thread::sleep_for(100us);
  return true;
}

// The reader thread's park, on a thread of its own.
std::future<Park> park_async(ReadRole& role, std::function<bool()> idle, std::chrono::milliseconds tick = 10s) {
  return std::async(std::launch::async, [&role, idle = std::move(idle), tick] { return role.thread_park(idle, tick); });
}

TEST(ReadRole, AThreadWithWorkInFlightKeepsTheRole) {
  ReadRole role;
  EXPECT_EQ(role.thread_park([] { return false; }, 10s), Park::kBusy);
  EXPECT_EQ(role.holder(), Holder::kThread);
  EXPECT_FALSE(role.caller_try_take());  // the thread reads: no sender may
}

TEST(ReadRole, AParkedThreadLooksAtItsSocketEveryTick) {
  ReadRole role;
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(role.thread_park([] { return true; }, 20ms), Park::kTick);
  EXPECT_GE(std::chrono::steady_clock::now() - t0, 20ms);
  EXPECT_EQ(role.holder(), Holder::kThread);  // it holds the role again while it looks
}

TEST(ReadRole, ACallerTakesOnlyAFreeRoleAndTheThreadWaitsForItWhateverTheTick) {
  ReadRole role;
  std::atomic<bool> idle{true};
  auto parked = park_async(role, [&] { return idle.load(); }, 5ms);
  ASSERT_TRUE(wait_free(role));
  ASSERT_TRUE(role.caller_try_take());
  EXPECT_FALSE(role.caller_try_take());  // one reader at a time
  EXPECT_EQ(role.holder(), Holder::kCaller);
  // Many ticks pass: the thread does not read while the caller does.
  EXPECT_EQ(parked.wait_for(50ms), std::future_status::timeout);
  role.wake_thread();  // a sender that does not read: a no-op while a caller holds the role
  EXPECT_EQ(role.holder(), Holder::kCaller);
  // Released with work in flight: the thread gets the role, at once.
  idle = false;
  role.caller_release([&] { return idle.load(); });
  EXPECT_EQ(parked.get(), Park::kHanded);
  EXPECT_EQ(role.holder(), Holder::kThread);
  EXPECT_EQ(role.caller_reads(), 1u);
  EXPECT_EQ(role.handed_back(), 1u);
}

TEST(ReadRole, ACallerReleasingWithNothingInFlightLeavesTheThreadParked) {
  ReadRole role;
  auto parked = park_async(role, [] { return true; });
  ASSERT_TRUE(wait_free(role));
  ASSERT_TRUE(role.caller_try_take());
  role.caller_release([] { return true; });
  EXPECT_EQ(role.holder(), Holder::kFree);
  EXPECT_EQ(parked.wait_for(30ms), std::future_status::timeout);  // still parked: no wake-up
  ASSERT_TRUE(role.caller_try_take());  // the next sender reads too
  role.caller_release([] { return true; });
  role.wake_thread();
  EXPECT_EQ(parked.get(), Park::kHanded);
  EXPECT_EQ(role.handed_back(), 0u);
}

TEST(ReadRole, ACallersFailureGoesToTheThreadOnce) {
  ReadRole role;
  auto parked = park_async(role, [] { return true; });
  ASSERT_TRUE(wait_free(role));
  ASSERT_TRUE(role.caller_try_take());
  role.caller_release([] { return true; }, std::string("connection closed in the middle of a frame"));  // idle, yet
  EXPECT_EQ(parked.get(), Park::kHanded);
  EXPECT_EQ(role.take_failure(), std::optional<std::string>("connection closed in the middle of a frame"));
  EXPECT_EQ(role.take_failure(), std::nullopt);
}

// The sender raises the in-flight count, then wakes the thread (or reads itself); the thread parks only
// if nothing is in flight, checked after it marked the role free. Whatever the interleaving, the work
// is read: the thread returns (kBusy or kHanded) long before its 10-s tick, or the sender took the role.
TEST(ReadRole, ASenderRacingTheParkIsNeverLost) {
  for (int i = 0; i < 2000; ++i) {
    ReadRole role;
    std::atomic<int> in_flight{0};
    const bool reads_itself = i % 2 == 1;
    std::atomic<bool> took{false};
    std::thread sender([&] {
      in_flight = 1;
      if (reads_itself && role.caller_try_take()) {
        took = true;
        in_flight = 0;  // its result read
        role.caller_release([&] { return in_flight.load() == 0; });
      } else {
        role.wake_thread();
      }
    });
    auto parked = park_async(role, [&] { return in_flight.load() == 0; });
    sender.join();
    if (took) {
      role.wake_thread();  // nothing left in flight: the test ends the park
    }
    ASSERT_EQ(parked.wait_for(2s), std::future_status::ready) << "iteration " << i << ": a lost wake-up";
    EXPECT_NE(parked.get(), Park::kTick);
  }
}

}  // namespace
}  // namespace hearth::controller
