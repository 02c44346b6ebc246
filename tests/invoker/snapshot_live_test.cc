// Function snapshots in the invoker (invoker/snapshot_store.h, invoker/snapshot_container.h): a Python
// action's first run makes a snapshot, the next cold start restores from it and answers from the state its
// initialisation built; the restored container is held to the action's memory limit and a CPU quota by its
// own cgroup (the same allocation succeeds under a larger limit: the limit is what stops it), cannot read a
// host file the plain path cannot read either (the probe reads it on the host first), is dropped when the
// code changes, kept within the disk budget, and nothing is left behind. Needs root, cgroups and runsc;
// skipped elsewhere with the reason.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "invoker/runtime_container_factory.h"
#include "invoker/snapshot_store.h"
#include "sandbox/sandbox.h"
#include "tests/trace/temp_dir.h"

namespace hearth::invoker {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kStateful = R"(import time
STARTED = time.time()
TABLE = [i * i for i in range(100000)]
calls = 0
def main(args):
    global calls
    calls += 1
    return {"calls": calls, "started": STARTED, "sum": sum(TABLE[:10]), "echo": args.get("x")}
)";

constexpr const char* kAllocate = R"(def main(args):
    block = b"x" * (args["mb"] << 20)
    return {"held": len(block) >> 20}
)";

constexpr const char* kProbe = R"(import os
def main(args):
    try:
        seen = open(args["path"]).read()
    except OSError as e:
        seen = type(e).__name__
    return {"seen": seen, "uid": os.getuid()}
)";

net::ActionRecord action(const std::string& name, const std::string& code, std::int64_t memory_mb = 128,
                         std::int64_t revision = 1) {
  return net::ActionRecord{.ns = "guest", .name = name, .kind = "python:3", .code = code, .memory_mb = memory_mb,
                           .timeout_ms = 30'000, .revision = revision};
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

struct SnapshotLive : ::testing::Test {
  void SetUp() override {
    std::string why;
    if (geteuid() != 0) GTEST_SKIP() << "runsc and cgroups need root";
    if (!snapshot::find_runsc()) GTEST_SKIP() << "runsc (gVisor) is not installed: scripts/setup installs it";
    if (!sandbox::Sandbox::supported(&why)) GTEST_SKIP() << "sandboxes unsupported here: " << why;
    ::chmod(dir.str().c_str(), 0755);
  }
  // A cold start of `a` through the factory; fails the test without a container.
  std::unique_ptr<LiveContainer> start(RuntimeContainerFactory& factory, const net::ActionRecord& a) {
    std::int64_t init_us = 0;
    std::string error;
    auto c = factory.create(a, &init_us, &error);
    EXPECT_TRUE(c) << error;
    return c;
  }
  // Makes `a`'s snapshot: a plain cold start and its first run.
  void snapshot(RuntimeContainerFactory& factory, SnapshotStore& store, const net::ActionRecord& a, const json& args) {
    auto c = start(factory, a);
    ASSERT_TRUE(c);
    ASSERT_FALSE(c->from_snapshot());
    const RunOutcome out = c->run(args.dump(), 30'000);
    ASSERT_EQ(out.status, "success") << out.result_json;
    ASSERT_TRUE(store.wait_ready(a, 120'000)) << "no snapshot of " << a.name;
  }
  hearth::testing::TempDir dir;
};

TEST_F(SnapshotLive, TheNextColdStartRestoresAndAnswersFromTheInitialisedState) {
  SnapshotStore store(dir.str() + "/snapshots", SnapshotMode::kFaasnap, 1024);
  RuntimeContainerFactory factory(dir.str() + "/code", /*sandboxed=*/true, /*pool_size=*/0, /*zygotes=*/false);
  factory.set_snapshots(&store);
  const net::ActionRecord a = action("stateful", kStateful);
  snapshot(factory, store, a, {{"x", 1}});
  EXPECT_EQ(store.count(), 1u);
  EXPECT_GT(store.bytes(), 1 << 20);
  for (int i = 0; i < 2; ++i) {  // each restore starts from the snapshot, not from the previous one
    std::int64_t init_us = 0;
    std::string error;
    auto c = factory.create(a, &init_us, &error);
    ASSERT_TRUE(c) << error;
    EXPECT_TRUE(c->from_snapshot());
    EXPECT_GT(init_us, 0);
    const RunOutcome out = c->run(json{{"x", 2 + i}}.dump(), 30'000);
    ASSERT_EQ(out.status, "success") << out.result_json;
    const json r = json::parse(out.result_json);
    EXPECT_EQ(r["calls"], 1);
    EXPECT_EQ(r["sum"], 285);
    EXPECT_EQ(r["echo"], 2 + i);
    EXPECT_EQ(json::parse(c->run("{}", 30'000).result_json)["calls"], 2);
    EXPECT_TRUE(c->usage().has_value()) << "the restored container's cgroup is readable";
  }
}

TEST_F(SnapshotLive, ARestoredContainerIsHeldToTheActionsMemoryAndCpuLimits) {
  SnapshotStore store(dir.str() + "/snapshots", SnapshotMode::kVanilla, 4096);
  RuntimeContainerFactory factory(dir.str() + "/code", true, 0, false);
  factory.set_snapshots(&store);
  // The probe: 300 MB in a restored container of a 1 GB action succeeds.
  const net::ActionRecord large = action("alloc-large", kAllocate, 1024);
  snapshot(factory, store, large, {{"mb", 1}});
  {
    auto c = start(factory, large);
    ASSERT_TRUE(c && c->from_snapshot());
    const RunOutcome out = c->run(R"({"mb": 300})", 30'000);
    ASSERT_EQ(out.status, "success") << out.result_json;
    EXPECT_EQ(json::parse(out.result_json)["held"], 300);
  }
  // The same allocation in a restored container of a 64 MB action is stopped by its cgroup.
  const net::ActionRecord small = action("alloc-small", kAllocate, 64);
  snapshot(factory, store, small, {{"mb", 1}});
  auto c = start(factory, small);
  ASSERT_TRUE(c && c->from_snapshot());
  const std::string group = "hearth-" + std::to_string(getpid()) + "-" + c->id();
  const std::string memory = "/sys/fs/cgroup/memory/hearth/" + group;
  if (fs::exists("/sys/fs/cgroup/memory/hearth")) {  // cgroup v1, as on these machines: the limit and quota as set
    ASSERT_TRUE(fs::exists(memory)) << memory;
    EXPECT_EQ(std::stoll(read_file(memory + "/memory.limit_in_bytes")), (64 + kRunscOverheadMb) << 20);
    EXPECT_EQ(std::stoll(read_file("/sys/fs/cgroup/cpu/hearth/" + group + "/cpu.cfs_quota_us")), 100'000);
    // runsc, its sandbox and its gofer are all in the group.
    const std::string procs = read_file(memory + "/cgroup.procs");
    EXPECT_GE(std::count(procs.begin(), procs.end(), '\n'), 3) << procs;
  }
  EXPECT_EQ(c->run(R"({"mb": 8})", 30'000).status, "success");
  const RunOutcome out = c->run(R"({"mb": 300})", 30'000);
  EXPECT_NE(out.status, "success") << out.result_json;
  EXPECT_TRUE(out.container_broken);
}

TEST_F(SnapshotLive, ARestoredFunctionCannotReadAHostFileThePlainPathCannotReadEither) {
  const std::string secret = dir.str() + "/secret";
  dir.write("secret", "host secret");
  const std::string host = "python3 -c 'import sys; sys.path.insert(0, \"" + dir.str() + "\"); import probe; print(probe.main({\"path\": \"" + secret + "\"})[\"seen\"])'";
  dir.write("probe.py", kProbe);
  FILE* p = popen(host.c_str(), "r");
  ASSERT_NE(p, nullptr);
  char buf[256] = {};
  const std::size_t n = fread(buf, 1, sizeof buf - 1, p);
  pclose(p);
  ASSERT_EQ(std::string(buf, n), "host secret\n") << "the probe reads the file on the host";

  SnapshotStore store(dir.str() + "/snapshots", SnapshotMode::kReap, 1024);
  RuntimeContainerFactory factory(dir.str() + "/code", true, 0, false);
  factory.set_snapshots(&store);
  const net::ActionRecord a = action("probe", kProbe);
  auto plain = start(factory, a);
  ASSERT_TRUE(plain);
  const RunOutcome first = plain->run(json{{"path", secret}}.dump(), 30'000);
  ASSERT_EQ(first.status, "success") << first.result_json;
  plain.reset();
  ASSERT_TRUE(store.wait_ready(a, 120'000));
  auto restored = start(factory, a);
  ASSERT_TRUE(restored && restored->from_snapshot());
  const RunOutcome out = restored->run(json{{"path", secret}}.dump(), 30'000);
  ASSERT_EQ(out.status, "success") << out.result_json;
  const json plain_r = json::parse(first.result_json), restored_r = json::parse(out.result_json);
  EXPECT_NE(plain_r["seen"], "host secret");
  EXPECT_NE(restored_r["seen"], "host secret");
  EXPECT_EQ(restored_r["seen"], "FileNotFoundError");
  EXPECT_EQ(restored_r["uid"], 65534);
}

TEST_F(SnapshotLive, ANewRevisionDropsTheSnapshotAndTheBudgetEvictsTheLeastRecentlyUsed) {
  // Budget for one hello-sized image (a few MB) but not two.
  SnapshotStore store(dir.str() + "/snapshots", SnapshotMode::kVanilla, 12);
  RuntimeContainerFactory factory(dir.str() + "/code", true, 0, false);
  factory.set_snapshots(&store);
  const net::ActionRecord a = action("a", kStateful);
  snapshot(factory, store, a, {});
  ASSERT_LT(store.bytes(), 12 << 20) << "the test assumes a small image";
  ASSERT_GT(store.bytes(), 6 << 20) << "the test assumes two images exceed the budget";
  const net::ActionRecord b = action("b", kStateful);
  snapshot(factory, store, b, {});
  EXPECT_EQ(store.count(), 1u);
  EXPECT_FALSE(store.find(a)) << "a, least recently used, made room for b";
  EXPECT_TRUE(store.find(b));
  // b's code changes: its snapshot runs the old code and is dropped; the cold start is plain.
  net::ActionRecord b2 = action("b", "def main(a):\n    return {'v': 2}\n", 128, 2);
  auto c = start(factory, b2);
  ASSERT_TRUE(c);
  EXPECT_FALSE(c->from_snapshot());
  EXPECT_EQ(store.count(), 0u);
  EXPECT_EQ(json::parse(c->run("{}", 30'000).result_json)["v"], 2);
}

TEST_F(SnapshotLive, NothingIsLeftBehindAndADeadInvokersSnapshotsAreSwept) {
  const std::string parent = dir.str() + "/snapshots";
  // A dead invoker's directory (a reaped child's pid) and a live process's.
  const pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  fs::create_directories(parent + "/hearth-snapshots-" + std::to_string(child) + "/state");
  fs::create_directories(parent + "/hearth-snapshots-" + std::to_string(getppid()));
  std::string dir_made;
  {
    SnapshotStore store(parent, SnapshotMode::kFaasnap, 1024);  // sweeps on construction
    EXPECT_FALSE(fs::exists(parent + "/hearth-snapshots-" + std::to_string(child)));
    EXPECT_TRUE(fs::exists(parent + "/hearth-snapshots-" + std::to_string(getppid()))) << "a live pid's is kept";
    dir_made = store.dir();
    RuntimeContainerFactory factory(dir.str() + "/code", true, 0, false);
    factory.set_snapshots(&store);
    const net::ActionRecord a = action("gone", kStateful);
    snapshot(factory, store, a, {});
    auto c = start(factory, a);
    ASSERT_TRUE(c && c->from_snapshot());
  }
  EXPECT_FALSE(fs::exists(dir_made)) << "the store removes its directory";
  // No runsc process names the store's state root any more.
  int left = 0;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string pid = entry.path().filename().string();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (read_file((entry.path() / "cmdline").string()).find(dir_made) != std::string::npos) ++left;
  }
  EXPECT_EQ(left, 0);
}

}  // namespace
}  // namespace hearth::invoker
