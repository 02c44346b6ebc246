#include "invoker/code_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "net/sha256.h"
#include "tests/trace/temp_dir.h"

namespace hearth::invoker {
namespace {

namespace fs = std::filesystem;
using hearth::testing::TempDir;

net::ActionRecord action(const std::string& ns, const std::string& name, const std::string& code) {
  net::ActionRecord a;
  a.ns = ns;
  a.name = name;
  a.kind = "python:3";
  a.code = code;
  return a;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(Sha256, KnownDigests) {  // FIPS 180-2's examples
  EXPECT_EQ(net::sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(net::sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// Deleting and re-creating an action with other code gives it a new file: the old one is never found
// by name (it was: <ns>/<name>/<version> with the version back at 1), and it is removed.
TEST(CodeFiles, OtherCodeUnderTheSameNameIsAnotherFileAndTheOldOneGoes) {
  TempDir dir;
  CodeFiles files(dir.str() + "/code");
  std::string old_path;
  {
    const auto lease = files.acquire(action("guest", "f", "def main(a): return {'v': 1}"));
    old_path = lease.path();
    EXPECT_EQ(read(old_path), "def main(a): return {'v': 1}");
    EXPECT_EQ(fs::path(old_path).filename(), "main.py");
  }
  EXPECT_TRUE(fs::exists(old_path)) << "the latest code of an action stays for its next cold start";
  const auto lease = files.acquire(action("guest", "f", "def main(a): return {'v': 2}"));
  EXPECT_NE(lease.path(), old_path);
  EXPECT_EQ(read(lease.path()), "def main(a): return {'v': 2}");
  EXPECT_FALSE(fs::exists(fs::path(old_path).parent_path())) << "no action refers to the old code";
  EXPECT_EQ(files.files(), 1u);
}

TEST(CodeFiles, SameCodeSharesOneFileUntilNoActionUsesIt) {
  TempDir dir;
  CodeFiles files(dir.str() + "/code");
  const std::string shared = files.acquire(action("a", "f", "same")).path();
  EXPECT_EQ(files.acquire(action("b", "g", "same")).path(), shared);
  files.acquire(action("a", "f", "new for f"));
  EXPECT_TRUE(fs::exists(shared)) << "b/g still runs it";
  files.acquire(action("b", "g", "new for g"));
  EXPECT_FALSE(fs::exists(shared));
  EXPECT_EQ(files.files(), 2u);
}

// A runtime loading the old code keeps it on disk even after the action moved on.
TEST(CodeFiles, ALeaseKeepsItsFileUntilItEnds) {
  TempDir dir;
  CodeFiles files(dir.str() + "/code");
  std::string old_path;
  {
    const auto loading = files.acquire(action("guest", "f", "old"));
    old_path = loading.path();
    files.acquire(action("guest", "f", "new"));
    EXPECT_TRUE(fs::exists(old_path));
  }
  EXPECT_FALSE(fs::exists(old_path));
}

TEST(CodeFiles, StartingRemovesWhatAPreviousProcessLeft) {
  TempDir dir;
  const fs::path code = dir.path() / "code";
  fs::create_directories(code / "stale");
  std::ofstream(code / "stale" / "main.py") << "old";
  CodeFiles files(code.string());
  EXPECT_FALSE(fs::exists(code / "stale"));
  EXPECT_TRUE(fs::is_directory(code));
}

TEST(CodeFiles, NativeCodeIsDecodedAndBadBase64Refused) {
  TempDir dir;
  CodeFiles files(dir.str() + "/code");
  net::ActionRecord a = action("guest", "n", "aGVsbG8=");  // "hello"
  a.kind = "native";
  const auto lease = files.acquire(a);
  EXPECT_EQ(fs::path(lease.path()).filename(), "main.so");
  EXPECT_EQ(read(lease.path()), "hello");
  a.code = "not base64!";
  EXPECT_THROW(files.acquire(a), std::runtime_error);
  EXPECT_EQ(files.files(), 1u);
}

}  // namespace
}  // namespace hearth::invoker
