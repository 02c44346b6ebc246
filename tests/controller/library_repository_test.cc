// LibraryRepository (the manifest the controller trusts, closures, reads by digest only) and the wire's
// library_get: an authenticated invoker gets a manifest's .deb, and nothing else.
#include "controller/library_repository.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>

#include "controller/remote_dispatcher.h"
#include "net/base64.h"
#include "net/sha256.h"
#include "tests/controller/raw_invoker.h"
#include "tests/trace/temp_dir.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

// A repository of three fake packages: app depends on mid, mid on base.
struct RepoDir {
  hearth::testing::TempDir dir;
  std::map<std::string, std::string> bytes;  // name → file content
  RepoDir() {
    json libs = json::array();
    for (const auto& [name, dep] : std::vector<std::pair<std::string, std::string>>{{"app", "python3-mid"}, {"mid", "python3-base"}, {"base", ""}}) {
      const std::string content = "not really a deb: " + name;
      bytes[name] = content;
      const std::string file = "python3-" + name + "_1_all.deb";
      std::ofstream(dir.path() / file, std::ios::binary) << content;
      libs.push_back({{"name", name}, {"package", "python3-" + name}, {"version", "1"}, {"file", file},
                      {"sha256", net::sha256_hex(content)}, {"size", content.size()},
                      {"depends", dep.empty() ? json::array() : json::array({dep})}});
    }
    std::ofstream(dir.path() / "manifest.json") << json{{"libraries", libs}}.dump();
  }
};

TEST(LibraryRepository, ResolvesTheClosureAndChecksNames) {
  RepoDir r;
  LibraryRepository repo(r.dir.str());
  EXPECT_EQ(repo.size(), 3u);
  const auto refs = repo.resolve({"app"});
  ASSERT_EQ(refs.size(), 3u);
  EXPECT_EQ(refs[0].name, "app");
  EXPECT_EQ(refs[2].name, "base");
  EXPECT_EQ(refs[2].sha256, net::sha256_hex(r.bytes["base"]));
  EXPECT_EQ(repo.resolve({"base", "app"}).size(), 3u);  // each once
  EXPECT_NE(repo.check({"nope"}).find("unknown library 'nope'"), std::string::npos);
  EXPECT_NE(repo.check({"app", "app"}).find("twice"), std::string::npos);
  EXPECT_THROW(repo.resolve({"../etc"}), std::invalid_argument);
  EXPECT_EQ(repo.read(net::sha256_hex(r.bytes["mid"])), r.bytes["mid"]);
  EXPECT_EQ(repo.read(std::string(64, 'a')), std::nullopt);  // not in the manifest: nothing is read
}

TEST(LibraryRepository, RefusesAManifestThatDoesNotMatchItsFiles) {
  RepoDir r;
  std::ofstream(r.dir.path() / "python3-mid_1_all.deb", std::ios::app) << "grown";
  try {
    LibraryRepository repo(r.dir.str());
    FAIL() << "a file of another size was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("python3-mid_1_all.deb has"), std::string::npos) << e.what();
  }
  RepoDir bad;
  json m = json::parse(std::ifstream(bad.dir.path() / "manifest.json"));
  m["libraries"][0]["file"] = "../../etc/passwd";
  std::ofstream(bad.dir.path() / "manifest.json") << m.dump();
  EXPECT_THROW(LibraryRepository(bad.dir.str()), std::runtime_error);
}

// A controller serving RepoDir's repository on the wire.
struct WireRepo {
  RepoDir r;
  RemoteDispatcher controller{[this] {
    RemoteDispatcherConfig config;
    config.token = testing::kToken;
    config.libraries = std::make_shared<const LibraryRepository>(r.dir.str());
    return config;
  }()};
};

TEST(LibraryWire, AnAuthenticatedInvokerGetsManifestDebsOnly) {
  WireRepo w;
  RepoDir& r = w.r;
  RemoteDispatcher& controller = w.controller;
  std::string answer;
  const int fd = testing::raw_invoker(controller.port(), "inv", testing::kToken, &answer);
  ASSERT_NE(answer.find("welcome"), std::string::npos) << answer;
  // The answer to `id`, skipping heartbeats or anything else the controller sends meanwhile.
  const auto ask = [&](std::uint64_t id, const std::string& sha) {
    net::wire::send_frame(fd, json{{"type", "library_get"}, {"id", id}, {"sha256", sha}}.dump());
    const auto deadline = net::FrameClock::now() + std::chrono::seconds(5);
    std::string payload, error;
    while (testing::recv_frame(fd, &payload, &error, deadline)) {
      const json j = json::parse(payload);
      if (j.value("type", "") == "library" && j.value("id", 0u) == id) return j;
    }
    return json{{"error", "no answer: " + error}};
  };
  const json got = ask(1, net::sha256_hex(r.bytes["base"]));
  std::string deb;
  ASSERT_TRUE(got.contains("data")) << got.dump();
  ASSERT_TRUE(net::base64_decode(got["data"].get<std::string>(), &deb));
  EXPECT_EQ(deb, r.bytes["base"]);
  const json unknown = ask(2, net::sha256_hex("/etc/passwd"));
  EXPECT_FALSE(unknown.contains("data"));
  EXPECT_NE(unknown.value("error", "").find("no library"), std::string::npos) << unknown.dump();
  close(fd);
  controller.stop();
}

TEST(LibraryWire, AnUnauthenticatedPeerGetsNothing) {
  WireRepo w;
  RepoDir& r = w.r;
  RemoteDispatcher& controller = w.controller;
  // Asks before any handshake, in place of the hello: refused, and no library frame ever comes.
  const int fd = testing::connect_wire(controller.port());
  std::string payload, error;
  ASSERT_TRUE(testing::recv_frame(fd, &payload, &error));  // the challenge
  net::wire::send_frame(fd, json{{"type", "library_get"}, {"id", 1}, {"sha256", net::sha256_hex(r.bytes["base"])}}.dump());
  const auto deadline = net::FrameClock::now() + std::chrono::seconds(3);
  bool got_library = false;
  while (testing::recv_frame(fd, &payload, &error, deadline)) got_library = got_library || payload.find("\"data\"") != std::string::npos;
  EXPECT_FALSE(got_library);
  close(fd);
  controller.stop();
}

}  // namespace
}  // namespace hearth::controller
