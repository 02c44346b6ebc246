// CpuWakeLatencyHold (net/cpu_wake_latency.h) against a stand-in device (a temporary file): what the kernel
// sees of a PM QoS request is an open descriptor of the device holding the written value, so each case
// checks this process's descriptors (/proc/self/fd) and the bytes written. On the real device: the same,
// when this runs as root.
#include "net/cpu_wake_latency.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "tests/net/eventually.h"

namespace hearth::net {
namespace {

namespace fs = std::filesystem;
using std::chrono::milliseconds;

class TempDevice {
 public:
  TempDevice() {
    char dir[] = "/tmp/hearth-wake-XXXXXX";
    if (!mkdtemp(dir)) throw std::runtime_error("mkdtemp");
    dir_ = dir;
    path_ = dir_ / "cpu_dma_latency";
    std::ofstream(path_) << "";
  }
  ~TempDevice() { fs::remove_all(dir_); }
  std::string path() const { return path_.string(); }
  std::string bytes() const {
    std::ifstream in(path_, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }

 private:
  fs::path dir_, path_;
};

// Descriptors of this process open on `path`.
int open_descriptors(const std::string& path) {
  int n = 0;
  for (const auto& e : fs::directory_iterator("/proc/self/fd")) {
    std::error_code ec;
    if (fs::read_symlink(e.path(), ec) == fs::path(path)) ++n;
  }
  return n;
}

template <typename Pred>
bool eventually(Pred pred, milliseconds within = milliseconds(3000)) {
  return hearth::testing::eventually(pred, within);
}

CpuWakeLatencyConfig config(const TempDevice& d, std::int32_t us, milliseconds release) {
  CpuWakeLatencyConfig c;
  c.device = d.path();
  c.latency_us = us;
  c.release_after = release;
  return c;
}

TEST(CpuWakeLatencyHold, NothingIsHeldUntilAnInvocationArrives) {
  TempDevice d;
  CpuWakeLatencyHold hold(config(d, 0, milliseconds(50)));
  EXPECT_TRUE(hold.available());
  std::this_thread::sleep_for(milliseconds(120));
  EXPECT_FALSE(hold.held());
  EXPECT_EQ(open_descriptors(d.path()), 0);
  EXPECT_EQ(hold.holds_taken(), 0u);
}

TEST(CpuWakeLatencyHold, AnInvocationTakesItWithTheValueAsABinaryS32) {
  TempDevice d;
  CpuWakeLatencyHold hold(config(d, 7, milliseconds(5000)));
  hold.note_activity();
  ASSERT_TRUE(eventually([&] { return hold.held(); }));
  EXPECT_EQ(open_descriptors(d.path()), 1);
  const std::string bytes = d.bytes();
  ASSERT_EQ(bytes.size(), sizeof(std::int32_t));
  std::int32_t value = -1;
  std::memcpy(&value, bytes.data(), sizeof value);
  EXPECT_EQ(value, 7);
  EXPECT_NE(hold.prometheus_metrics().find("hearth_cpu_wake_latency_held 1\n"), std::string::npos);
}

TEST(CpuWakeLatencyHold, HeldWhileInvocationsKeepComingAndReleasedAfterAQuietPeriod) {
  TempDevice d;
  CpuWakeLatencyHold hold(config(d, 0, milliseconds(40)));
  hold.note_activity();
  ASSERT_TRUE(eventually([&] { return hold.held(); }));
  for (int i = 0; i < 30; ++i) {  // 300 ms of invocations every 10 ms: several periods, never released
    hold.note_activity();
    std::this_thread::sleep_for(milliseconds(10));
    ASSERT_TRUE(hold.held()) << "released at " << i * 10 << " ms while invocations kept coming";
  }
  EXPECT_EQ(hold.holds_taken(), 1u);
  // No invocation: released within two periods (the one running, then a whole quiet one).
  ASSERT_TRUE(eventually([&] { return !hold.held(); }, milliseconds(1000)));
  EXPECT_EQ(open_descriptors(d.path()), 0);
  EXPECT_NE(hold.prometheus_metrics().find("hearth_cpu_wake_latency_held 0\n"), std::string::npos);
  hold.note_activity();  // taken again
  ASSERT_TRUE(eventually([&] { return hold.held(); }));
  EXPECT_EQ(hold.holds_taken(), 2u);
  EXPECT_NE(hold.prometheus_metrics().find("hearth_cpu_wake_latency_holds_total 2\n"), std::string::npos);
}

TEST(CpuWakeLatencyHold, DestructionWhileHeldLetsGo) {
  TempDevice d;
  {
    CpuWakeLatencyHold hold(config(d, 0, milliseconds(60'000)));
    hold.note_activity();
    ASSERT_TRUE(eventually([&] { return hold.held(); }));
    EXPECT_EQ(open_descriptors(d.path()), 1);
  }
  EXPECT_EQ(open_descriptors(d.path()), 0);
}

TEST(CpuWakeLatencyHold, AnUnavailableDeviceIsSaidOnceAndCostsNothing) {
  TempDevice d;
  CpuWakeLatencyConfig c = config(d, 0, milliseconds(10));
  c.device = d.path() + ".missing/cpu_dma_latency";
  std::vector<std::string> notices;
  CpuWakeLatencyHold hold(c, [&](const std::string& n) { notices.push_back(n); });
  ASSERT_EQ(notices.size(), 1u);
  EXPECT_NE(notices[0].find(c.device), std::string::npos) << notices[0];
  EXPECT_NE(notices[0].find("No such file"), std::string::npos) << notices[0];
  EXPECT_FALSE(hold.available());
  for (int i = 0; i < 100; ++i) hold.note_activity();
  std::this_thread::sleep_for(milliseconds(30));
  EXPECT_FALSE(hold.held());
  EXPECT_EQ(notices.size(), 1u);
}

TEST(CpuWakeLatencyHold, ABadConfigurationIsRefused) {
  TempDevice d;
  EXPECT_THROW(CpuWakeLatencyHold(config(d, -1, milliseconds(10))), std::invalid_argument);
  EXPECT_THROW(CpuWakeLatencyHold(config(d, kMaxCpuWakeLatencyUs + 1, milliseconds(10))), std::invalid_argument);
  EXPECT_THROW(CpuWakeLatencyHold(config(d, 0, milliseconds(0))), std::invalid_argument);
  EXPECT_NO_THROW(CpuWakeLatencyHold(config(d, kMaxCpuWakeLatencyUs, milliseconds(1))));
}

// The keeper releases while invocations may arrive at any moment: an invocation that comes as it lets go
// must never be lost (the hold taken again), over many release/take cycles with a 1-ms period, with
// invocations noted from several threads, then one at a time at varied points of the keeper's period.
TEST(CpuWakeLatencyHoldProperty, AnInvocationDuringAReleaseIsNeverLost) {
  TempDevice d;
  CpuWakeLatencyHold hold(config(d, 0, milliseconds(1)));
  std::atomic<bool> stop{false};
  std::vector<std::thread> noters;
  for (int t = 0; t < 3; ++t)
    noters.emplace_back([&, t] {
      unsigned x = 12345u + t;
      while (!stop.load()) {
        x = x * 1103515245u + 12345u;  // sporadic: 0–2.5 ms apart, around the 1-ms period
        std::this_thread::sleep_for(std::chrono::microseconds((x >> 8) % 2500));
        hold.note_activity();
      }
    });
  std::this_thread::sleep_for(milliseconds(300));
  stop = true;
  for (auto& t : noters) t.join();
  ASSERT_TRUE(eventually([&] { return !hold.held(); }));
  for (int cycle = 0; cycle < 200; ++cycle) {  // each cycle: released, one invocation, held again
    ASSERT_TRUE(eventually([&] { return !hold.held(); })) << "cycle " << cycle;
    const std::uint64_t taken = hold.holds_taken();
    if (cycle % 2) std::this_thread::sleep_for(std::chrono::microseconds(cycle * 7 % 1500));  // at varied points of the keeper's release
    hold.note_activity();
    ASSERT_TRUE(eventually([&] { return hold.holds_taken() > taken; })) << "lost at cycle " << cycle;
  }
  EXPECT_GT(hold.holds_taken(), 200u);
}

}  // namespace
}  // namespace hearth::net
