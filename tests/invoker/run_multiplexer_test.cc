// RunMultiplexer (invoker/run_multiplexer.h) over pipes, a writer thread playing the runtimes: runs that
// finish in any order, their replies arriving in pieces, each end exactly once with their own reply (a
// property); a run that never answers is expired at its own deadline and delays no other — the probe
// first: one thread waiting for the runs one after another, as a blocking read per run would, holds the
// others until the silent one's deadline —; the watched descriptor is reported without ending a run.
#include "invoker/run_multiplexer.h"

#include <fcntl.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "net/frame_codec.h"

namespace hearth::invoker {
namespace {

using namespace std::chrono_literals;
using Clock = net::FrameClock;

struct Pipe {
  int r = -1, w = -1;
  Pipe() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    r = fds[0];
    w = fds[1];
  }
  ~Pipe() {
    close(r);
    close(w);
  }
};

// What the runs saw: for each run id, every reply it ended with (step) and whether it expired.
struct Outcomes {
  std::map<int, std::vector<std::string>> replies;
  std::map<int, int> expiries;
  std::map<int, Clock::time_point> ended_at;
};

// A run reading one frame from its pipe (FrameReader::read_ready, as a runtime's reply is read).
class PipeRun final : public RunMultiplexer::Run {
 public:
  PipeRun(int id, int fd, Clock::time_point deadline, Outcomes& out) : id_(id), fd_(fd), deadline_(deadline), out_(out) {}
  int fd() const override { return fd_; }
  Clock::time_point deadline() const override { return deadline_; }
  bool step() override {
    std::string_view payload;
    const net::FrameStatus s = reader_.read_ready(fd_, &payload);
    if (s == net::FrameStatus::kTimeout) return false;  // not whole yet
    out_.replies[id_].push_back(s == net::FrameStatus::kOk ? std::string(payload) : "error: " + reader_.describe(s));
    out_.ended_at[id_] = Clock::now();
    return true;
  }
  void expire() override {
    ++out_.expiries[id_];
    out_.ended_at[id_] = Clock::now();
  }

 private:
  int id_, fd_;
  Clock::time_point deadline_;
  Outcomes& out_;
  net::FrameReader reader_{1 << 20};
};

std::string frame(const std::string& payload) {
  std::string f;
  net::append_frame(f, payload);
  return f;
}

RC_GTEST_PROP(RunMultiplexerProperty, RunsFinishingInAnyOrderEachEndOnceWithTheirOwnReply, ()) {
  const int n = *rc::gen::inRange(1, 24);
  // Each run's reply, cut into pieces; the writer sends the pieces of all runs in a random interleaving
  // that keeps each run's pieces in order.
  std::vector<std::string> replies;
  std::vector<std::vector<std::string>> pieces(static_cast<std::size_t>(n));
  std::vector<int> schedule;
  for (int i = 0; i < n; ++i) {
    const std::string reply = "reply-" + std::to_string(i) + "-" + std::string(*rc::gen::inRange(0, 3000), 'x');
    replies.push_back(reply);
    const std::string bytes = frame(reply);
    std::size_t at = 0;
    while (at < bytes.size()) {
      const std::size_t len = std::min(bytes.size() - at, static_cast<std::size_t>(*rc::gen::inRange(1, 1200)));
      pieces[static_cast<std::size_t>(i)].push_back(bytes.substr(at, len));
      schedule.push_back(i);
      at += len;
    }
  }
  const std::vector<int> order = *rc::gen::container<std::vector<int>>(schedule.size(), rc::gen::arbitrary<int>());
  std::vector<std::pair<int, int>> keyed;  // (random key, run): sorted, then each run's pieces taken in order
  for (std::size_t k = 0; k < schedule.size(); ++k) keyed.emplace_back(order[k], schedule[k]);
  std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  std::vector<std::unique_ptr<Pipe>> pipes;
  Outcomes out;
  RunMultiplexer mux;
  const auto deadline = Clock::now() + 20s;  // none should need it
  for (int i = 0; i < n; ++i) {
    pipes.push_back(std::make_unique<Pipe>());
    mux.add(std::make_unique<PipeRun>(i, pipes.back()->r, deadline, out));
  }
  std::thread writer([&] {
    std::vector<std::size_t> next(static_cast<std::size_t>(n), 0);
    for (const auto& [key, run] : keyed) {
      const auto i = static_cast<std::size_t>(run);
      (void)key;
      const std::string& piece = pieces[i][next[i]++];
      if (net::write_all(pipes[i]->w, piece, net::FdKind::kPipe) != net::FrameStatus::kOk) return;
      if (next[i] % 3 == 0) std::this_thread::yield();
    }
  });
  while (!mux.empty()) mux.wait(-1);
  writer.join();

  RC_ASSERT(mux.stepped_out() == static_cast<std::size_t>(n));
  RC_ASSERT(mux.expired() == 0u);
  RC_ASSERT(out.expiries.empty());
  for (int i = 0; i < n; ++i) {
    RC_ASSERT(out.replies[i].size() == 1u);  // exactly once
    RC_ASSERT(out.replies[i][0] == replies[static_cast<std::size_t>(i)]);  // its own reply
  }
}

// n runs: run 0 never answers (deadline 600 ms); runs 1..n-1 are answered at 20, 40, … ms.
struct OneSilent {
  static constexpr int n = 5;
  std::vector<std::unique_ptr<Pipe>> pipes;
  Clock::time_point start = Clock::now();
  Clock::time_point silent_deadline = start + 600ms;
  std::thread writer;
  OneSilent() {
    for (int i = 0; i < n; ++i) pipes.push_back(std::make_unique<Pipe>());
    writer = std::thread([this] {
      for (int i = 1; i < n; ++i) {
        std::this_thread::sleep_until(start + i * 20ms);
        net::write_all(pipes[static_cast<std::size_t>(i)]->w, frame("reply-" + std::to_string(i)), net::FdKind::kPipe);
      }
    });
  }
  ~OneSilent() { writer.join(); }
  Clock::time_point deadline(int i) const { return i == 0 ? silent_deadline : start + 10s; }
};

TEST(RunMultiplexer, ProbeRunsWaitedForOneAfterAnotherWaitBehindASilentOne) {
  OneSilent s;
  // One thread, one blocking read per run in the order they started (a worker-less thread without a
  // multiplexer): the answered runs end only after the silent one's deadline.
  std::vector<Clock::time_point> ended(OneSilent::n);
  for (int i = 0; i < OneSilent::n; ++i) {
    net::FrameReader reader(1 << 20);
    std::string_view payload;
    reader.read(s.pipes[static_cast<std::size_t>(i)]->r, &payload, s.deadline(i));
    ended[static_cast<std::size_t>(i)] = Clock::now();
  }
  for (int i = 1; i < OneSilent::n; ++i) EXPECT_GE(ended[static_cast<std::size_t>(i)], s.silent_deadline);
}

TEST(RunMultiplexer, ARunThatNeverAnswersIsExpiredAtItsDeadlineAndDelaysNoOther) {
  OneSilent s;
  Outcomes out;
  RunMultiplexer mux;
  for (int i = 0; i < OneSilent::n; ++i)
    mux.add(std::make_unique<PipeRun>(i, s.pipes[static_cast<std::size_t>(i)]->r, s.deadline(i), out));
  while (!mux.empty()) mux.wait(-1);
  EXPECT_EQ(mux.stepped_out(), static_cast<std::size_t>(OneSilent::n - 1));
  EXPECT_EQ(mux.expired(), 1u);
  EXPECT_EQ(out.expiries[0], 1);
  EXPECT_TRUE(out.replies[0].empty());
  EXPECT_GE(out.ended_at[0], s.silent_deadline);
  EXPECT_LT(out.ended_at[0], s.silent_deadline + 300ms);
  for (int i = 1; i < OneSilent::n; ++i) {
    ASSERT_EQ(out.replies[i].size(), 1u);
    EXPECT_EQ(out.replies[i][0], "reply-" + std::to_string(i));
    EXPECT_LT(out.ended_at[i], s.silent_deadline - 200ms) << "run " << i << " waited behind the silent run";
    EXPECT_EQ(out.expiries.count(i), 0u);
  }
}

TEST(RunMultiplexer, TheWatchedDescriptorIsReportedAndEndsNoRun) {
  Pipe run_pipe, wire;
  Outcomes out;
  RunMultiplexer mux;
  mux.add(std::make_unique<PipeRun>(7, run_pipe.r, Clock::now() + 10s, out));
  ASSERT_EQ(net::write_all(wire.w, "x", net::FdKind::kPipe), net::FrameStatus::kOk);
  EXPECT_TRUE(mux.wait(wire.r));
  EXPECT_EQ(mux.size(), 1u);
  EXPECT_TRUE(out.replies.empty());
  // Nothing ready and a bound: returns at it, the run still in the set.
  char c;
  ASSERT_EQ(read(wire.r, &c, 1), 1);
  const auto t0 = Clock::now();
  EXPECT_FALSE(mux.wait(wire.r, t0 + 30ms));
  EXPECT_GE(Clock::now(), t0 + 30ms);
  EXPECT_EQ(mux.size(), 1u);
  // A run whose runtime hung up (EOF) is stepped: it ends with what its reader says.
  close(run_pipe.w);
  run_pipe.w = -1;
  EXPECT_FALSE(mux.wait(wire.r));
  EXPECT_TRUE(mux.empty());
  ASSERT_EQ(out.replies[7].size(), 1u);
  EXPECT_EQ(out.replies[7][0], "error: connection closed by peer");
}

}  // namespace
}  // namespace hearth::invoker
