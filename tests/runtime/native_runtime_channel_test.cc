// The native runtime's side of the channel (runtime/native/hearth_native_runtime.cc), driven over raw
// pipes: the warm run's fast path (no JSON DOM) answers as the general path does, frames that arrive in
// pieces or together are each answered once, and a warm run costs the runtime one read and one write.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "net/frame_codec.h"
#include "runtime/runtime_process.h"

namespace hearth::runtime {
namespace {

using nlohmann::json;

// The native runtime as a child on fds 3 (requests) and 4 (replies); killed and reaped by the destructor.
class NativeChild {
 public:
  NativeChild() {
    int down[2], up[2];
    if (pipe2(down, O_CLOEXEC) != 0 || pipe2(up, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
    const std::string path = native_runtime_path();
    pid_ = fork();
    if (pid_ == 0) {
      const int in = fcntl(down[0], F_DUPFD, 64), out = fcntl(up[1], F_DUPFD, 64);
      if (in < 0 || out < 0 || dup2(in, 3) < 0 || dup2(out, 4) < 0) _exit(127);
      execl(path.c_str(), path.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(down[0]);
    close(up[1]);
    to_ = down[1];
    from_ = up[0];
  }
  ~NativeChild() {
    close(to_);
    close(from_);
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  void send_raw(const std::string& bytes) { ASSERT_EQ(net::write_all(to_, bytes, net::FdKind::kPipe), net::FrameStatus::kOk); }
  static std::string frame(const std::string& payload) {
    std::string f;
    net::append_frame(f, payload);
    return f;
  }
  json reply() {
    std::string_view payload;
    const auto deadline = net::FrameClock::now() + std::chrono::seconds(10);
    EXPECT_EQ(reader_.read(from_, &payload, deadline), net::FrameStatus::kOk);
    return json::parse(payload, nullptr, false);
  }
  json exchange(const std::string& payload) {
    send_raw(frame(payload));
    return reply();
  }
  // Read- and write-type syscalls the runtime made so far (/proc/PID/io: counted by the kernel, no tracer).
  std::pair<long, long> io_calls() const {
    std::ifstream f("/proc/" + std::to_string(pid_) + "/io");
    std::string key;
    long v = 0, r = -1, w = -1;
    while (f >> key >> v) {
      if (key == "syscr:") r = v;
      if (key == "syscw:") w = v;
    }
    return {r, w};
  }

 private:
  pid_t pid_ = -1;
  int to_ = -1, from_ = -1;
  net::FrameReader reader_{1 << 20};
};

std::string init_request() { return json{{"op", "init"}, {"path", HEARTH_NATIVE_NOOP}, {"main", "main"}}.dump(); }

TEST(NativeRuntimeChannel, TheWarmFastPathAnswersAsTheGeneralPathDoes) {
  NativeChild rt;
  ASSERT_EQ(rt.exchange(init_request()), json({{"ok", true}}));
  for (const std::string args : {R"({})", R"({"v":"x","n":[1,2,{"k":null}]})", R"(  {"log": 1, "u": "\u00e9"} )"}) {
    // RuntimeProcess::run's form (the fast path) and the same request with its keys the other way round
    // (parsed whole): the same reply.
    const json fast = rt.exchange(R"({"op":"run","args":)" + args + "}");
    const json general = rt.exchange(R"({"args":)" + args + R"(,"op":"run"})");
    ASSERT_TRUE(fast.is_object()) << args;
    EXPECT_EQ(fast, general) << args;
    EXPECT_EQ(fast.at("ok"), true);
    EXPECT_EQ(fast.at("result"), json::parse(args));
    EXPECT_EQ(fast.at("logs"), args.find("log") != std::string::npos ? json::array({"native noop called"}) : json::array());
  }
  // Not an object after the prefix: the general path says what is wrong, as before.
  const json bad = rt.exchange(R"({"op":"run","args":{"a":1},"op2":"x"})");
  EXPECT_EQ(bad.at("ok"), true);  // a valid request with an extra key: run, the extra key ignored
  EXPECT_EQ(bad.at("result"), json({{"a", 1}}));
  const json unknown = rt.exchange(R"({"op":"nope"})");
  EXPECT_EQ(unknown.at("ok"), false);
}

TEST(NativeRuntimeChannel, FramesInPiecesOrTogetherAreEachAnsweredOnce) {
  NativeChild rt;
  ASSERT_EQ(rt.exchange(init_request()), json({{"ok", true}}));
  const std::string one = NativeChild::frame(R"({"op":"run","args":{"i":1}})");
  // Byte by byte, with pauses: partial reads of the header and of the body.
  for (char c : one) {
    rt.send_raw(std::string(1, c));
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(rt.reply().at("result"), json({{"i", 1}}));
  // Three frames in one write, the last one large (beyond the first read's 64 KiB): three replies in order.
  const std::string big(200 * 1024, 'b');
  rt.send_raw(NativeChild::frame(R"({"op":"run","args":{"i":2}})") + NativeChild::frame(R"({"op":"run","args":{"i":3}})") +
              NativeChild::frame(json{{"op", "run"}, {"args", {{"i", 4}, {"big", big}}}}.dump()));
  EXPECT_EQ(rt.reply().at("result"), json({{"i", 2}}));
  EXPECT_EQ(rt.reply().at("result"), json({{"i", 3}}));
  const json last = rt.reply();
  EXPECT_EQ(last.at("result").at("i"), 4);
  EXPECT_EQ(last.at("result").at("big").get<std::string>().size(), big.size());
}

TEST(NativeRuntimeChannel, AWarmRunCostsTheRuntimeOneReadAndOneWrite) {
  NativeChild rt;
  ASSERT_EQ(rt.exchange(init_request()), json({{"ok", true}}));
  ASSERT_EQ(rt.exchange(R"({"op":"run","args":{}})").at("ok"), true);
  const auto before = rt.io_calls();
  ASSERT_GE(before.first, 0) << "no /proc/PID/io";
  constexpr int kRuns = 50;
  for (int i = 0; i < kRuns; ++i) ASSERT_EQ(rt.exchange(R"({"op":"run","args":{}})").at("ok"), true);
  const auto after = rt.io_calls();
  // Before: a read of the header and one of the body per request (2 per run).
  EXPECT_EQ(after.first - before.first, kRuns);
  EXPECT_EQ(after.second - before.second, kRuns);
  // A run that logs reads its log memfd back (one pread more), and the next run has none of it.
  const json logged = rt.exchange(R"({"op":"run","args":{"log":1}})");
  EXPECT_EQ(logged.at("logs"), json::array({"native noop called"}));
  EXPECT_EQ(rt.exchange(R"({"op":"run","args":{}})").at("logs"), json::array());
}

}  // namespace
}  // namespace hearth::runtime
