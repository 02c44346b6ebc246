// A function cannot crash its invoker (issue 11, item 4): whatever a function writes to its channel fd, the
// platform side of the runtime channel returns a RunResult — an error for that activation, the container
// broken when the stream cannot be trusted — and never allocates what a hostile length header asks for.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "net/frame_codec.h"
#include "runtime/runtime_process.h"
#include "tests/trace/temp_dir.h"

namespace hearth::runtime {
namespace {

using nlohmann::json;

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

struct Hostile : ::testing::Test {
  hearth::testing::TempDir dir;
  // A Python function whose body is `body`; it runs with its channel on fd 4, as every runtime's does.
  RunResult run_once(const std::string& body, RuntimeProcess& p, std::int64_t timeout_ms = 3000) {
    dir.write("main.py", "import os\ndef main(a):\n" + body);
    const RunResult init = p.init(dir.str() + "/main.py", "main", 5000);
    EXPECT_TRUE(init.ok) << init.error;
    return p.run("{}", timeout_ms);
  }
  // After each hostile run, the next invocation (a new container, as the pool would start) works.
  void expect_next_works() {
    RuntimeProcess q(Language::kPython);
    dir.write("ok.py", "def main(a):\n    return {'fine': True}\n");
    ASSERT_TRUE(q.init(dir.str() + "/ok.py", "main", 5000).ok);
    const RunResult r = q.run("{}", 5000);
    ASSERT_TRUE(r.ok) << r.error;
    EXPECT_EQ(json::parse(r.result_json)["fine"], true);
  }
};

// The probe without the cap: a reader allowed 4 GiB takes b'\xff\xff\xff\xff' as the start of a 4 GiB frame
// and waits for it; with the cap the same four bytes are an oversized frame at once.
TEST(FrameCodecProbe, AnAllOnesHeaderIsOnlyRefusedWithACap) {
  const std::string header("\xff\xff\xff\xff", 4);
  std::string_view payload;
  net::FrameReader uncapped(0xffffffffu);
  uncapped.feed(header);
  EXPECT_EQ(uncapped.next(&payload), net::FrameReader::Next::kNeedMore);
  EXPECT_EQ(uncapped.announced(), 0xffffffffu);
  net::FrameReader capped(kDefaultMaxResultBytes + kLogAllowanceBytes);
  capped.feed(header);
  EXPECT_EQ(capped.next(&payload), net::FrameReader::Next::kOversized);
  EXPECT_EQ(capped.describe(net::FrameStatus::kOversized), "frame of 4294967295 bytes exceeds the 2097152-byte limit");
}

TEST_F(Hostile, AllOnesLengthIsAProtocolErrorNotA4GiBAllocation) {
  const long rss_before = max_rss_kb();
  RuntimeProcess p(Language::kPython);
  const RunResult r = run_once("    os.write(4, b'\\xff\\xff\\xff\\xff')\n    return {}\n", p);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.crashed);
  EXPECT_TRUE(p.broken());  // the stream cannot be trusted: the container is destroyed
  EXPECT_EQ(r.error, "The action produced a response that exceeded the allowed length: 4294967295 > 1048576 bytes.");
  EXPECT_LT(max_rss_kb() - rss_before, 64 * 1024);  // well under 64 MiB, not 4 GiB
  expect_next_works();
}

TEST_F(Hostile, RandomBytesEndTheActivation) {
  RuntimeProcess p(Language::kPython);
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = run_once("    os.write(4, os.urandom(65536))\n    return {}\n", p, 1000);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(p.broken());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));
  expect_next_works();
}

TEST_F(Hostile, ATruncatedFrameThenCloseIsACrash) {
  RuntimeProcess p(Language::kPython);
  const RunResult r = run_once("    os.write(4, b'\\x10\\x00\\x00\\x00abc')\n    os.close(4)\n    os._exit(0)\n", p);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.crashed);
  EXPECT_EQ(r.error, "The action did not produce a valid response and exited unexpectedly.");
  expect_next_works();
}

TEST_F(Hostile, MistypedFieldsAreErrorsNotExceptions) {
  RuntimeProcess p(Language::kPython);
  // {"ok":false,"error":123}: a number where the runtime protocol has a string; then the process exits so
  // the runtime's own reply never comes.
  const std::string frame = R"({"ok":false,"error":123,"logs":[1,"x"]})";
  const RunResult r = run_once("    os.write(4, bytes([" + std::to_string(frame.size()) + ",0,0,0]) + b'" + frame +
                                   "')\n    os._exit(0)\n",
                               p);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error, "123");
  ASSERT_EQ(r.logs.size(), 2u);
  EXPECT_EQ(r.logs[0], "1");
  expect_next_works();
}

// A result just over the limit is refused with OpenWhisk's text and the container stays usable (its
// stream is intact); one far over the limit is not read at all and the container is destroyed.
TEST_F(Hostile, ResultsOverTheLimitEndTheActivation) {
  RuntimeProcess p(Language::kPython);
  const RunResult r = run_once("    return {'s': 'a' * ((1 << 20) + 10)}\n", p);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(r.crashed);
  // {"s":"aaa…"}: 1048586 characters plus 8 bytes of JSON around them.
  EXPECT_EQ(r.error, "The action produced a response that exceeded the allowed length: 1048594 > 1048576 bytes.");
  EXPECT_EQ(json::parse(r.result_json)["error"], r.error);
  EXPECT_FALSE(p.broken());
  const RunResult again = p.run("{}", 5000);  // same code, same refusal: the container still serves
  EXPECT_EQ(again.error, r.error);
  EXPECT_FALSE(p.broken());

  RuntimeProcess q(Language::kPython);
  const RunResult huge = run_once("    return {'s': 'a' * (64 << 20)}\n", q, 10000);
  EXPECT_FALSE(huge.ok);
  EXPECT_TRUE(q.broken());
  EXPECT_NE(huge.error.find("exceeded the allowed length"), std::string::npos) << huge.error;
  expect_next_works();
}

TEST_F(Hostile, TheResultLimitIsConfigurable) {
  ProcessOptions o;
  o.max_result_bytes = 4 << 20;
  RuntimeProcess p(Language::kPython, o);
  const RunResult r = run_once("    return {'s': 'a' * (2 << 20)}\n", p);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(json::parse(r.result_json)["s"].get<std::string>().size(), 2u << 20);
}

// The probe: a pipe nobody reads takes only its capacity, so a blocking write of more would wait for ever.
// With the deadline, a run against a runtime that stopped reading ends when its time limit does.
TEST_F(Hostile, WritesToARuntimeThatStoppedReadingHaveADeadline) {
  int fds[2];
  ASSERT_EQ(pipe2(fds, O_NONBLOCK | O_CLOEXEC), 0);
  const std::string mb(1 << 20, 'x');
  const auto t0 = std::chrono::steady_clock::now();
  EXPECT_EQ(net::write_all(fds[1], mb, net::FdKind::kPipe, t0 + std::chrono::milliseconds(100)), net::FrameStatus::kTimeout);
  close(fds[0]);
  close(fds[1]);

  RuntimeProcess p(Language::kPython);
  dir.write("echo.py", "def main(a):\n    return {}\n");
  ASSERT_TRUE(p.init(dir.str() + "/echo.py", "main", 5000).ok);
  ASSERT_EQ(kill(p.pid(), SIGSTOP), 0);  // it never reads again
  const auto start = std::chrono::steady_clock::now();
  const RunResult r = p.run(json{{"big", mb}}.dump(), 300);
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.timed_out);
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_TRUE(p.broken());
}

}  // namespace
}  // namespace hearth::runtime
