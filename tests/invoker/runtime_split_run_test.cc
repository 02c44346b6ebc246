// RuntimeProcess's run in two steps (start_run / poll_reply / expire_run), driven as the invoker's reading
// thread drives them (invoker/run_multiplexer.h): several Python runtimes finishing in the reverse of their
// start order each answer once with their own result; one past its time limit is killed at its deadline
// while the others answer; a hostile reply (an all-ones length header, a truncated frame) ends the run
// with the same error and broken container as run() gives (runtime_hostile_test.cc).
#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "invoker/run_multiplexer.h"
#include "runtime/runtime_process.h"
#include "tests/trace/temp_dir.h"

namespace hearth::runtime {
namespace {

using nlohmann::json;
using namespace std::chrono_literals;
using Clock = net::FrameClock;

struct Ended {
  std::map<int, RunResult> results;
  std::vector<int> order;
};

class ProcessRun final : public invoker::RunMultiplexer::Run {
 public:
  ProcessRun(int id, RuntimeProcess& p, Ended& out) : id_(id), p_(p), out_(out) {}
  int fd() const override { return p_.reply_fd(); }
  Clock::time_point deadline() const override { return p_.run_deadline(); }
  bool step() override {
    std::optional<RunResult> r = p_.poll_reply();
    if (!r) return false;
    end(std::move(*r));
    return true;
  }
  void expire() override { end(p_.expire_run()); }

 private:
  void end(RunResult r) {
    EXPECT_EQ(out_.results.count(id_), 0u) << "run " << id_ << " ended twice";
    out_.results[id_] = std::move(r);
    out_.order.push_back(id_);
  }
  int id_;
  RuntimeProcess& p_;
  Ended& out_;
};

struct SplitRun : ::testing::Test {
  hearth::testing::TempDir dir;
  std::unique_ptr<RuntimeProcess> python(const std::string& body) {
    auto p = std::make_unique<RuntimeProcess>(Language::kPython);
    dir.write("main.py", "import os, time\ndef main(a):\n" + body);
    const RunResult init = p->init(dir.str() + "/main.py", "main", 10'000);
    EXPECT_TRUE(init.ok) << init.error;
    return p;
  }
  void drive(invoker::RunMultiplexer& mux) {
    const auto give_up = Clock::now() + 30s;
    while (!mux.empty() && Clock::now() < give_up) mux.wait(-1, give_up);
    EXPECT_TRUE(mux.empty());
  }
  // One run of `p` alone, started and driven to its end as the reading thread does.
  RunResult run_alone(RuntimeProcess& p, std::int64_t timeout_ms) {
    Ended out;
    invoker::RunMultiplexer mux;
    const auto ended = p.start_run("{}", timeout_ms);
    EXPECT_FALSE(ended.has_value()) << ended->error;
    if (ended) return *ended;
    mux.add(std::make_unique<ProcessRun>(0, p, out));
    drive(mux);
    return out.results[0];
  }
};

TEST_F(SplitRun, SeveralRuntimesEachAnswerOnceWithTheirOwnResultInTheOrderTheyFinish) {
  constexpr int n = 4;
  std::vector<std::unique_ptr<RuntimeProcess>> ps;
  for (int i = 0; i < n; ++i) ps.push_back(python("    time.sleep(a['delay'])\n    return {'id': a['id']}\n"));
  Ended out;
  invoker::RunMultiplexer mux;
  for (int i = 0; i < n; ++i) {
    // Started first, finishes last: 0.4 s, 0.3 s, 0.2 s, 0.1 s.
    const auto ended = ps[static_cast<std::size_t>(i)]->start_run(json{{"id", i}, {"delay", 0.1 * (n - i)}}.dump(), 10'000);
    ASSERT_FALSE(ended.has_value()) << ended->error;
    mux.add(std::make_unique<ProcessRun>(i, *ps[static_cast<std::size_t>(i)], out));
  }
  drive(mux);
  ASSERT_EQ(out.order, (std::vector<int>{3, 2, 1, 0}));
  for (int i = 0; i < n; ++i) {
    const RunResult& r = out.results[i];
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(json::parse(r.result_json)["id"], i);
    EXPECT_FALSE(ps[static_cast<std::size_t>(i)]->broken());
  }
  // And each runs again, through run() this time: the channel is in step.
  const RunResult again = ps[0]->run(json{{"id", 9}, {"delay", 0}}.dump(), 5000);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(json::parse(again.result_json)["id"], 9);
}

TEST_F(SplitRun, ARunPastItsTimeLimitIsKilledAtItsDeadlineWhileTheOthersAnswer) {
  auto slow = python("    time.sleep(30)\n    return {}\n");
  auto fast = python("    time.sleep(0.05)\n    return {'fast': True}\n");
  Ended out;
  invoker::RunMultiplexer mux;
  const auto t0 = Clock::now();
  ASSERT_FALSE(slow->start_run("{}", 400).has_value());
  ASSERT_FALSE(fast->start_run("{}", 10'000).has_value());
  mux.add(std::make_unique<ProcessRun>(0, *slow, out));
  mux.add(std::make_unique<ProcessRun>(1, *fast, out));
  drive(mux);
  const auto took = Clock::now() - t0;
  ASSERT_EQ(out.order, (std::vector<int>{1, 0}));
  EXPECT_TRUE(out.results[1].ok) << out.results[1].error;
  const RunResult& r = out.results[0];
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.timed_out);
  EXPECT_EQ(r.error, "The action exceeded its time limit of 400 ms.");
  EXPECT_TRUE(slow->broken());
  EXPECT_FALSE(fast->broken());
  EXPECT_GE(took, 400ms);
  EXPECT_LT(took, 3s);
}

TEST_F(SplitRun, AnAllOnesLengthHeaderEndsTheRunAsRunDoes) {
  auto p = python("    os.write(4, b'\\xff\\xff\\xff\\xff')\n    return {}\n");
  const RunResult r = run_alone(*p, 3000);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.crashed);
  EXPECT_TRUE(p->broken());
  EXPECT_EQ(r.error, "The action produced a response that exceeded the allowed length: 4294967295 > 1048576 bytes.");
}

TEST_F(SplitRun, ATruncatedFrameThenExitIsACrash) {
  auto p = python("    os.write(4, b'\\x10\\x00\\x00\\x00abc')\n    os.close(4)\n    os._exit(0)\n");
  const RunResult r = run_alone(*p, 3000);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.crashed);
  EXPECT_EQ(r.error, "The action did not produce a valid response and exited unexpectedly.");
  // A broken runtime starts nothing more.
  const auto again = p->start_run("{}", 1000);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->error, "runtime is not running");
}

}  // namespace
}  // namespace hearth::runtime
