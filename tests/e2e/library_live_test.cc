// End-to-end: libraries, live (docs/libraries.md). `hearth up --library-repo` with the repository that
// scripts/setup builds (build/libraries: real Debian .deb files), a spawned invoker that fetches them over
// the wire, verifies, unpacks and mounts them into the sandbox. Skips, saying why, without the repository.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>
#include <thread>

#include "net/http_client.h"
#include "tests/e2e/platform.h"
#include "tests/e2e/run_hearth.h"
#include "tests/trace/temp_dir.h"

namespace {

using nlohmann::json;
using hearth::net::HttpClient;
using hearth::testing::Platform;

const std::string kRepo = HEARTH_LIBRARY_REPO;

bool have_repository() { return std::filesystem::exists(kRepo + "/manifest.json"); }

json invoke(const Platform& p, const std::string& name) {
  HttpClient client("127.0.0.1", p.port());
  const auto r = client.send({"POST", "/api/v1/namespaces/_/actions/" + name + "?blocking=true", p.auth(), "{}"});
  return json::parse(r.body, nullptr, false);
}

int create(const Platform& p, const std::string& name, const std::string& file, const std::string& flags) {
  return hearth::testing::hearth("action create " + name + " " + file + " " + flags + " --apihost 127.0.0.1:" +
                                 std::to_string(p.port()) + " -u " + p.auth_pair())
      .exit_code;
}

// Skips, saying why, without the repository; up() starts `hearth up` with it.
struct LibraryLive : ::testing::Test {
  hearth::testing::TempDir dir;
  std::unique_ptr<Platform> started;
  void SetUp() override {
    if (!have_repository()) GTEST_SKIP() << "no library repository at " << kRepo << " (scripts/setup builds it with scripts/library-repo)";
  }
  Platform& up(const std::string& extra = "") {
    started = std::make_unique<Platform>(dir.str() + "/data", "--prewarm none --library-repo " + kRepo + " " + extra);
    EXPECT_NE(started->port(), 0);
    return *started;
  }
};

constexpr const char* kYamlAction =
    "import yaml\n"
    "def main(args):\n"
    "    doc = yaml.safe_load('a: 1\\nb: [2, 3]\\n')\n"
    "    return {'sum': doc['a'] + sum(doc['b']), 'from': yaml.__file__}\n";

TEST_F(LibraryLive, DeclaredLibraryIsImportedAndWithoutItTheImportFails) {
  dir.write("yaml_fn.py", kYamlAction);
  Platform& platform = up();
  const std::string file = dir.str() + "/yaml_fn.py";
  ASSERT_EQ(create(platform, "with_yaml", file, "--lib yaml"), 0);
  ASSERT_EQ(create(platform, "without_yaml", file, ""), 0);

  const json with = invoke(platform, "with_yaml");
  ASSERT_TRUE(with.is_object()) << with.dump();
  EXPECT_EQ(with["response"]["status"], "success") << with.dump();
  EXPECT_EQ(with["response"]["result"]["sum"], 6) << with.dump();
  // Imported from the invoker's cache, addressed by the .deb's digest.
  EXPECT_NE(with["response"]["result"]["from"].get<std::string>().find("/libraries/"), std::string::npos) << with.dump();

  // The protection's probe: the same code without the declaration cannot import yaml (the sandbox's
  // Python runs with -S: no site-packages of the host), so the success above came from the mount.
  const json without = invoke(platform, "without_yaml");
  ASSERT_TRUE(without.is_object()) << without.dump();
  EXPECT_NE(without["response"]["status"], "success") << without.dump();
  EXPECT_NE(without.dump().find("No module named 'yaml'"), std::string::npos) << without.dump();

  // A second container of another action with the same library uses the cached copy: still works.
  ASSERT_EQ(create(platform, "with_yaml2", file, "--lib yaml --memory 128"), 0);
  EXPECT_EQ(invoke(platform, "with_yaml2")["response"]["result"]["sum"], 6);
}

TEST_F(LibraryLive, InProcessInvokersPrepareFromTheRepository) {
  dir.write("yaml_fn.py", kYamlAction);
  Platform& platform = up("--in-process");
  ASSERT_EQ(create(platform, "with_yaml", dir.str() + "/yaml_fn.py", "--lib yaml"), 0);
  const json with = invoke(platform, "with_yaml");
  EXPECT_EQ(with["response"]["result"]["sum"], 6) << with.dump();
}

TEST_F(LibraryLive, DependencyClosureIsMountedToo) {
  // urllib3 imports six's vendored copy of itself... requests imports urllib3, idna, certifi, charset_normalizer.
  dir.write("req.py", "import requests, urllib3, idna\ndef main(args):\n    return {'v': requests.__version__, 'idna': idna.encode('bücher.example').decode()}\n");
  Platform& platform = up();
  ASSERT_EQ(create(platform, "req", dir.str() + "/req.py", "--lib requests"), 0);
  const json r = invoke(platform, "req");
  EXPECT_EQ(r["response"]["status"], "success") << r.dump();
  EXPECT_EQ(r["response"]["result"]["idna"], "xn--bcher-kva.example") << r.dump();
}

// A library set's zygote (invoker/zygote_pool.h): the first cold start of {yaml} starts an interpreter and
// imports; the pool then starts a zygote with yaml imported in the background, and a later cold start of
// an action declaring {yaml} forks from it, yaml already in sys.modules before the function imports it.
// The probe's baseline: in a plain cold start the module is not loaded before the import.
// The controller ships an action's code (and its libraries) with the first invoke an invoker gets of that
// revision only: a later cold start there must still mount them (regression: it imported nothing).
TEST_F(LibraryLive, ASecondColdStartOfTheSameActionStillHasItsLibraries) {
  dir.write("yaml_fn.py", kYamlAction);
  Platform& platform = up("--zygotes off --keepalive ttl:1s");
  ASSERT_EQ(create(platform, "again", dir.str() + "/yaml_fn.py", "--lib yaml"), 0);
  for (int i = 0; i < 2; ++i) {
    if (i > 0) std::this_thread::sleep_for(std::chrono::milliseconds(2500));  // the first container expired
    const json r = invoke(platform, "again");
    ASSERT_TRUE(r.is_object());
    EXPECT_EQ(r["hearth"]["start_kind"], "cold") << r.dump();
    EXPECT_EQ(r["response"]["status"], "success") << "cold start " << i + 1 << ": " << r.dump();
    EXPECT_EQ(r["response"]["result"]["sum"], 6) << r.dump();
  }
}

TEST_F(LibraryLive, LaterColdStartsOfALibrarySetForkFromItsZygote) {
  dir.write("probe.py",
            "import sys\n"
            "preloaded = 'yaml' in sys.modules\n"
            "import yaml\n"
            "def main(args):\n"
            "    return {'preloaded': preloaded, 'sum': sum(yaml.safe_load('[1, 2, 3]')), 'from': yaml.__file__}\n");
  Platform& platform = up();
  const std::string file = dir.str() + "/probe.py";
  ASSERT_EQ(create(platform, "probe0", file, "--lib yaml"), 0);
  const json first = invoke(platform, "probe0");
  ASSERT_EQ(first["response"]["status"], "success") << first.dump();
  EXPECT_EQ(first["hearth"]["start_kind"], "cold") << first.dump();
  EXPECT_EQ(first["response"]["result"]["preloaded"], false) << first.dump();

  // Each new action is a new cold start; the zygote comes up in the background within seconds.
  json forked;
  for (int i = 1; i <= 40 && forked.is_null(); ++i) {
    const std::string name = "probe" + std::to_string(i);
    ASSERT_EQ(create(platform, name, file, "--lib yaml"), 0);
    const json r = invoke(platform, name);
    ASSERT_EQ(r["response"]["status"], "success") << r.dump();
    if (r["hearth"]["start_kind"] == "zygote") forked = r;
    else std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_FALSE(forked.is_null()) << "no cold start of {yaml} forked from a zygote within 40 tries";
  EXPECT_EQ(forked["response"]["result"]["preloaded"], true) << forked.dump();
  EXPECT_EQ(forked["response"]["result"]["sum"], 6) << forked.dump();
  EXPECT_NE(forked["response"]["result"]["from"].get<std::string>().find("/libraries/"), std::string::npos) << forked.dump();

  // A function declaring nothing still forks from the empty set's zygote and cannot import yaml.
  ASSERT_EQ(create(platform, "bare", file, ""), 0);
  const json bare = invoke(platform, "bare");
  EXPECT_NE(bare.dump().find("No module named 'yaml'"), std::string::npos) << bare.dump();
}

TEST_F(LibraryLive, UnknownOrTooManyLibrariesAreRefusedAtCreate) {
  dir.write("f.py", "def main(a):\n    return {}\n");
  dir.write("f.js", "function main(a) { return {}; }\n");
  Platform& platform = up();
  EXPECT_NE(create(platform, "unknown", dir.str() + "/f.py", "--lib no-such-library"), 0);
  EXPECT_NE(create(platform, "node", dir.str() + "/f.js", "--lib yaml"), 0);  // Python packages only
  std::string many;
  for (int i = 0; i < 17; ++i) many += " --lib yaml";
  EXPECT_NE(create(platform, "many", dir.str() + "/f.py", many), 0);
  HttpClient client("127.0.0.1", platform.port());
  const auto bad = client.send({"PUT", "/api/v1/namespaces/_/actions/bad", platform.auth(),
                                json{{"exec", {{"kind", "python:3"}, {"code", "def main(a):\n  return {}\n"}}},
                                     {"annotations", {{{"key", "libraries"}, {"value", {"../../etc"}}}}}}.dump()});
  EXPECT_EQ(bad.status, 400) << bad.body;
  EXPECT_NE(bad.body.find("unknown library"), std::string::npos) << bad.body;
  EXPECT_EQ(create(platform, "ok", dir.str() + "/f.py", "--lib yaml"), 0);  // and a known one is taken
}

}  // namespace
