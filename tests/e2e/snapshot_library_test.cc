// Function snapshots of actions declaring libraries (invoker/snapshot_store.h, docs/faasnap.md): real
// Debian packages from the repository scripts/setup builds, a LibraryCache, a SnapshotStore and a
// sandboxed RuntimeContainerFactory. A numpy action's snapshot binds the library's cache directory into
// the runsc bundle; the restored runtime answers with numpy imported from the cache (not from /usr), and
// the snapshot pins the library in the cache: with the cache just large enough for numpy, another library
// cannot evict it while the snapshot exists, and does once the snapshot is gone (the probe). Needs root,
// runsc and the repository; skipped elsewhere with the reason.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "controller/library_repository.h"
#include "invoker/library_cache.h"
#include "invoker/runtime_container_factory.h"
#include "invoker/snapshot_store.h"
#include "sandbox/sandbox.h"
#include "snapshot/runsc_container.h"
#include "tests/trace/temp_dir.h"

namespace hearth {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kNumpy = R"(import numpy
TABLE = numpy.arange(1000)
def main(a):
    return {"sum": int(TABLE[:a.get("n", 10)].sum()), "from": numpy.__file__}
)";

struct SnapshotLibrary : ::testing::Test {
  void SetUp() override {
    std::string why;
    if (geteuid() != 0) GTEST_SKIP() << "runsc and cgroups need root";
    if (!snapshot::find_runsc()) GTEST_SKIP() << "runsc (gVisor) is not installed: scripts/setup installs it";
    if (!sandbox::Sandbox::supported(&why)) GTEST_SKIP() << "sandboxes unsupported here: " << why;
    if (!fs::exists(fs::path(HEARTH_LIBRARY_REPO) / "manifest.json"))
      GTEST_SKIP() << "no library repository at " << HEARTH_LIBRARY_REPO << " (scripts/setup builds it)";
    ::chmod(dir.str().c_str(), 0755);
    repo = std::make_unique<controller::LibraryRepository>(HEARTH_LIBRARY_REPO);
  }
  std::unique_ptr<invoker::LibraryCache> cache(const std::string& name, std::int64_t max_bytes) {
    auto c = std::make_unique<invoker::LibraryCache>(dir.str() + "/" + name, max_bytes);
    c->set_fetcher([this](const net::LibraryRef& ref) {
      auto bytes = repo->read(ref.sha256);
      if (!bytes) throw std::runtime_error("not in the repository: " + ref.name);
      return *bytes;
    });
    return c;
  }
  net::ActionRecord action() const {
    net::ActionRecord a;
    a.ns = "guest";
    a.name = "np";
    a.kind = "python:3";
    a.memory_mb = 256;
    a.timeout_ms = 30'000;
    a.revision = 1;
    a.code = kNumpy;
    a.libraries = {"numpy"};
    a.library_refs = repo->resolve(a.libraries);
    return a;
  }
  hearth::testing::TempDir dir;
  std::unique_ptr<controller::LibraryRepository> repo;
};

TEST_F(SnapshotLibrary, ANumpyActionRestoresWithItsLibraryPinnedInTheCache) {
  const net::ActionRecord a = action();
  // How many bytes numpy (with what it depends on) takes unpacked: the cache below holds exactly that.
  std::int64_t numpy_bytes = 0;
  {
    auto sizing = cache("sizing", std::int64_t{2} << 30);
    sizing->acquire(a.library_refs);
    numpy_bytes = sizing->bytes();
  }
  ASSERT_GT(numpy_bytes, 1 << 20);
  auto libraries = cache("cache", numpy_bytes + (64 << 10));
  const std::vector<net::LibraryRef> other = repo->resolve({"yaml"});
  {
    invoker::SnapshotStore store(dir.str() + "/snapshots", invoker::SnapshotMode::kFaasnap, 1024);
    invoker::RuntimeContainerFactory factory(dir.str() + "/code", /*sandboxed=*/true, 0, /*zygotes=*/false);
    factory.set_library_cache(libraries.get());
    factory.set_snapshots(&store);
    std::int64_t init_us = 0;
    std::string error;
    {
      auto plain = factory.create(a, &init_us, &error);
      ASSERT_TRUE(plain) << error;
      ASSERT_FALSE(plain->from_snapshot());
      const invoker::RunOutcome out = plain->run(R"({"n":10})", 30'000);
      ASSERT_EQ(out.status, "success") << out.result_json;
    }
    ASSERT_TRUE(store.wait_ready(a, 180'000)) << "no snapshot of the numpy action";
    auto restored = factory.create(a, &init_us, &error);
    ASSERT_TRUE(restored) << error;
    EXPECT_TRUE(restored->from_snapshot());
    const invoker::RunOutcome out = restored->run(R"({"n":100})", 30'000);
    ASSERT_EQ(out.status, "success") << out.result_json;
    const json r = json::parse(out.result_json);
    EXPECT_EQ(r["sum"], 4950);
    EXPECT_EQ(r["from"].get<std::string>().rfind(libraries->dir(), 0), 0u) << "numpy from " << r["from"];
    restored.reset();
    // Only the snapshot holds numpy now: another library cannot evict it.
    EXPECT_THROW(libraries->acquire(other), std::runtime_error);
    for (const net::LibraryRef& ref : a.library_refs) EXPECT_TRUE(libraries->cached(ref.sha256)) << ref.name;
  }
  // The snapshot is gone (the store with it): now the other library fits by evicting numpy.
  EXPECT_NO_THROW(libraries->acquire(other));
  for (const net::LibraryRef& ref : a.library_refs)
    if (ref.name.find("numpy") != std::string::npos) {
      EXPECT_FALSE(libraries->cached(ref.sha256)) << ref.name;
    }
}

}  // namespace
}  // namespace hearth
