// LeaderFollowers (invoker/leader_followers.h): one leader at a time, a hand-off makes another thread lead
// while the old one finishes, threads stay within the bound, and join() waits for every thread.
#include "invoker/leader_followers.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include "tests/invoker/fake_factory.h"

namespace hearth::invoker {
namespace {

TEST(LeaderFollowers, AHandOffMakesAnotherThreadLeadWhileTheFirstFinishes) {
  LeaderFollowers lf(4);
  Gate release;
  std::mutex mu;
  std::set<std::thread::id> leaders;
  std::atomic<int> calls{0}, finished{0};
  lf.start([&] {
    const int n = ++calls;
    {
      std::lock_guard lock(mu);
      leaders.insert(std::this_thread::get_id());
    }
    if (n == 1) {  // the first leader runs "a function": hands off, then finishes later
      lf.hand_off();
      release.pass();
    }
    ++finished;
  });
  ASSERT_TRUE(eventually([&] { return finished.load() == 1; })) << "the second leader ran while the first still ran";
  EXPECT_EQ(calls.load(), 2);
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(leaders.size(), 2u) << "the leadership moved to another thread";
  }
  release.open();
  ASSERT_TRUE(eventually([&] { return finished.load() == 2; }));
  EXPECT_EQ(lf.threads(), 2u);
  EXPECT_EQ(lf.hand_offs(), 1u);
  lf.join();
  EXPECT_EQ(calls.load(), 2) << "no leadership was handed out without a hand-off";
}

TEST(LeaderFollowers, ThreadsStayWithinTheBoundAndAFinishedOneTakesTheWaitingLeadership) {
  LeaderFollowers lf(2);
  Gate release;
  std::atomic<int> calls{0};
  lf.start([&] {
    if (++calls <= 3) {  // each of the first three hands off and then "runs" until released
      lf.hand_off();
      release.pass();
    }
  });
  ASSERT_TRUE(eventually([&] { return calls.load() == 2; }));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(calls.load(), 2) << "the second hand-off found no thread: the leadership waits";
  EXPECT_EQ(lf.threads(), 2u);
  release.open();  // a finished thread takes it: the third lead hands off once more, the fourth returns
  ASSERT_TRUE(eventually([&] { return calls.load() == 4; }));
  EXPECT_EQ(lf.threads(), 2u);
  lf.join();
  EXPECT_EQ(calls.load(), 4);
}

TEST(LeaderFollowers, NeverTwoLeadersBeforeAHandOff) {
  // Many leaderships, each handing off after some work or not: the part before the hand-off (the
  // reading) is never run by two threads at once.
  LeaderFollowers lf(8);
  std::atomic<int> reading{0}, overlaps{0}, calls{0};
  constexpr int kLeads = 2000;
  lf.start([&] {
    const int n = ++calls;
    if (reading.fetch_add(1) != 0) ++overlaps;
    std::this_thread::yield();
    reading.fetch_sub(1);
    if (n < kLeads) {
      lf.hand_off();
      if (n % 3 == 0) std::this_thread::sleep_for(std::chrono::microseconds(200));  // a "function" still runs
    }
  });
  ASSERT_TRUE(eventually([&] { return calls.load() == kLeads; }));
  lf.join();
  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_LE(lf.threads(), 8u);
}

TEST(LeaderFollowers, StopLeavesTheLeadershipUntakenAndJoinWaitsForRunningLeads) {
  LeaderFollowers lf(3);
  Gate release;
  std::atomic<int> calls{0};
  std::atomic<bool> returned{false};
  lf.start([&] {
    ++calls;
    lf.stop();
    lf.hand_off();  // after stop: nobody takes it
    release.pass();
    returned = true;
  });
  ASSERT_TRUE(eventually([&] { return calls.load() == 1; }));
  std::thread joiner([&] { lf.join(); });
  std::this_thread::sleep_for(std::chrono::milliseconds(30));
  EXPECT_FALSE(returned.load());
  release.open();
  joiner.join();  // returned only once the running lead did
  EXPECT_TRUE(returned.load());
  EXPECT_EQ(calls.load(), 1);
}

}  // namespace
}  // namespace hearth::invoker
