// LibraryCache and unpack_deb: content addressing, the size bound and LRU eviction of unpinned libraries,
// a corrupted .deb refused by its SHA-256, and packages that try to write or point outside their directory.
#include "invoker/library_cache.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>

#include "invoker/deb_unpack.h"
#include "invoker/planned_libraries.h"
#include "net/sha256.h"
#include "tests/invoker/deb_builder.h"
#include "tests/trace/temp_dir.h"

namespace hearth::invoker {
namespace {

namespace fs = std::filesystem;
using testing::TarMember;

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A repository in memory: refs by name, a fetcher that counts its calls and can corrupt what it sends.
struct Repo {
  std::map<std::string, std::string> debs;  // sha256 → bytes
  std::atomic<int> fetches{0};
  bool corrupt = false;
  net::LibraryRef add(const std::string& name, const std::string& deb) {
    const std::string sha = net::sha256_hex(deb);
    debs[sha] = deb;
    return {name, sha, static_cast<std::int64_t>(deb.size())};
  }
  LibraryCache::Fetcher fetcher() {
    return [this](const net::LibraryRef& ref) {
      ++fetches;
      std::string deb = debs.at(ref.sha256);
      if (corrupt) deb[deb.size() / 2] ^= 1;  // same size, other bytes
      return deb;
    };
  }
};

// A cache of `bound` bytes in a temporary directory, fed by `repo`.
struct CacheTest : ::testing::Test {
  hearth::testing::TempDir dir;
  Repo repo;
  std::unique_ptr<LibraryCache> made;
  LibraryCache& make(std::int64_t bound) {
    made = std::make_unique<LibraryCache>(dir.str() + "/cache", bound);
    made->set_fetcher(repo.fetcher());
    return *made;
  }
};

TEST_F(CacheTest, ContentAddressedPreparedOnceAndShared) {
  LibraryCache& cache = make(64 << 20);
  const net::LibraryRef a = repo.add("alpha", testing::python_deb("alpha", "1"));
  const net::LibraryRef b = repo.add("beta", testing::python_deb("beta", "2"));

  LibraryCache::Phases first;
  auto lease = cache.acquire({a, b}, &first);
  EXPECT_EQ(first.prepared, 2);
  EXPECT_EQ(first.hits, 0);
  EXPECT_EQ(first.fetched_bytes, a.bytes + b.bytes);
  ASSERT_EQ(lease->roots().size(), 2u);
  EXPECT_EQ(lease->roots()[0], fs::absolute(dir.path() / "cache" / a.sha256).string());  // addressed by the digest
  ASSERT_EQ(lease->python_paths().size(), 2u);
  EXPECT_EQ(slurp(fs::path(lease->python_paths()[1]) / "beta" / "__init__.py"), "VALUE = 2\n");
  EXPECT_TRUE(cache.cached(a.sha256));

  LibraryCache::Phases again;  // a second container of any action with the same package: no fetch
  auto second = cache.acquire({b}, &again);
  EXPECT_EQ(again.prepared, 0);
  EXPECT_EQ(again.hits, 1);
  EXPECT_EQ(repo.fetches, 2);
  EXPECT_EQ(second->roots()[0], lease->roots()[1]);
  EXPECT_EQ(cache.libraries(), 2u);
}

// The controller's library plan (invoker/planned_libraries.h): a row is prepared in the background and
// stays pinned like a running container's libraries; a new row releases the old one's pins only after it
// is held; a row that cannot be prepared leaves the old pins. The probe for "pinned": with the bound
// holding two libraries, preparing a third evicts the least recently used *unpinned* one.
TEST_F(CacheTest, PlannedRowIsPreparedInTheBackgroundAndStaysPinned) {
  const std::size_t kPad = 400 << 10;  // each library unpacks to about 400 KB; the bound holds two
  LibraryCache& cache = make(1 << 20);
  const net::LibraryRef a = repo.add("a", testing::python_deb("a", "1", kPad));
  const net::LibraryRef b = repo.add("b", testing::python_deb("b", "2", kPad));
  const net::LibraryRef c = repo.add("c", testing::python_deb("c", "3", kPad));
  PlannedLibraries planned(cache);
  planned.set({a});
  ASSERT_TRUE(planned.wait_settled(30'000));
  EXPECT_EQ(planned.rows_prepared(), 1u);
  EXPECT_TRUE(cache.cached(a.sha256));  // prepared before any function needed it

  cache.acquire({b});  // used once by a container and released
  cache.acquire({c});  // over the bound: a is the least recent but pinned by the plan, so the unpinned b goes
  EXPECT_TRUE(cache.cached(a.sha256));
  EXPECT_FALSE(cache.cached(b.sha256));

  planned.set({c});  // a new plan: c pinned, a released
  ASSERT_TRUE(planned.wait_settled(30'000));
  EXPECT_EQ(planned.rows_prepared(), 2u);
  cache.acquire({b});  // over the bound again: now a (unpinned, least recent) goes, c stays
  EXPECT_FALSE(cache.cached(a.sha256));
  EXPECT_TRUE(cache.cached(c.sha256));

  repo.corrupt = true;  // a row that cannot be prepared (a digest mismatch) keeps the old pins
  const net::LibraryRef d = repo.add("d", testing::python_deb("d", "4", kPad));
  planned.set({d});
  ASSERT_TRUE(planned.wait_settled(30'000));
  EXPECT_EQ(planned.rows_prepared(), 2u);
  EXPECT_TRUE(cache.cached(c.sha256));
}

TEST_F(CacheTest, CorruptedDebIsRefusedBySha256) {
  LibraryCache& cache = make(64 << 20);
  const net::LibraryRef a = repo.add("alpha", testing::python_deb("alpha", "1"));
  repo.corrupt = true;
  try {
    cache.acquire({a});
    FAIL() << "a corrupted package was accepted";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("SHA-256"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(cache.cached(a.sha256));
  EXPECT_FALSE(fs::exists(dir.path() / "cache" / a.sha256));  // nothing was unpacked
  repo.corrupt = false;  // the same probe with the real bytes succeeds: the digest alone refused it
  auto lease = cache.acquire({a});
  EXPECT_TRUE(cache.cached(a.sha256));
}

TEST_F(CacheTest, BoundEvictsLeastRecentlyUsedUnpinnedLibraries) {
  const std::size_t kPad = 400 << 10;  // each library unpacks to about 400 KB; the bound holds two
  LibraryCache& cache = make(1 << 20);
  const net::LibraryRef a = repo.add("a", testing::python_deb("a", "1", kPad));
  const net::LibraryRef b = repo.add("b", testing::python_deb("b", "2", kPad));
  const net::LibraryRef c = repo.add("c", testing::python_deb("c", "3", kPad));
  const net::LibraryRef d = repo.add("d", testing::python_deb("d", "4", kPad));

  auto pin_a = cache.acquire({a});       // a running container uses a
  cache.acquire({b});                    // b: used once, released
  auto pin_c = cache.acquire({c});       // over the bound: b (unpinned, least recent) goes, a stays
  EXPECT_TRUE(cache.cached(a.sha256));
  EXPECT_FALSE(cache.cached(b.sha256));
  EXPECT_FALSE(fs::exists(dir.path() / "cache" / b.sha256));
  EXPECT_TRUE(cache.cached(c.sha256));
  EXPECT_EQ(cache.evictions(), 1u);
  EXPECT_LE(cache.bytes(), cache.max_bytes());

  try {  // a and c pinned: d cannot fit, and is not kept
    cache.acquire({d});
    FAIL() << "the cache grew past its bound";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("cannot hold"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(cache.cached(d.sha256));
  EXPECT_TRUE(cache.cached(a.sha256));

  pin_a.reset();  // a's container is gone: now d fits, a is evicted
  auto pin_d = cache.acquire({d});
  EXPECT_FALSE(cache.cached(a.sha256));
  EXPECT_TRUE(cache.cached(c.sha256));
  EXPECT_TRUE(cache.cached(d.sha256));
  EXPECT_LE(cache.bytes(), cache.max_bytes());
}

// unpack_deb on hostile packages: each probe differs from an accepted one only in the hostile member.
struct Unpack : ::testing::Test {
  hearth::testing::TempDir dir;
  // Unpacks `members` into a fresh <dir>/root/out; the error, or "" if it unpacked.
  std::string unpack(const std::vector<TarMember>& members, UnpackStats* stats = nullptr) {
    static int n = 0;
    const fs::path deb = dir.path() / ("p" + std::to_string(++n) + ".deb");
    std::ofstream(deb, std::ios::binary) << testing::deb_of(members);
    fs::remove_all(dir.path() / "root");
    fs::create_directories(dir.path() / "root" / "out");
    try {
      const UnpackStats s = unpack_deb(deb.string(), (dir.path() / "root" / "out").string());
      if (stats) *stats = s;
      return "";
    } catch (const std::runtime_error& e) {
      return e.what();
    }
  }
  fs::path out() const { return dir.path() / "root" / "out"; }
};

TEST_F(Unpack, PathTraversalIsRejected) {
  EXPECT_EQ(unpack({{"./usr/", '5'}, {"./usr/ok.txt", '0', "fine"}}), "");  // the probe without the attack works
  EXPECT_EQ(slurp(out() / "usr" / "ok.txt"), "fine");

  const std::string dotdot = unpack({{"./usr/", '5'}, {"./usr/../../escape.txt", '0', "pwned"}});
  EXPECT_NE(dotdot.find("\"..\""), std::string::npos) << dotdot;
  EXPECT_FALSE(fs::exists(dir.path() / "root" / "escape.txt"));

  const std::string absolute = unpack({{(dir.path() / "root" / "abs.txt").string(), '0', "pwned"}});
  EXPECT_NE(absolute.find("absolute"), std::string::npos) << absolute;
  EXPECT_FALSE(fs::exists(dir.path() / "root" / "abs.txt"));
}

TEST_F(Unpack, NothingIsWrittenThroughOrOutThroughSymlinks) {
  UnpackStats stats;
  // A link inside the tree is kept (Debian packages have them: a .so name pointing at its version).
  EXPECT_EQ(unpack({{"./lib/", '5'}, {"./lib/real.so.1", '0', "elf"}, {"./lib/real.so", '2', "", "real.so.1"}}, &stats), "");
  EXPECT_TRUE(fs::is_symlink(out() / "lib" / "real.so"));
  EXPECT_EQ(slurp(out() / "lib" / "real.so"), "elf");
  EXPECT_EQ(stats.skipped_links, 0);

  // Links out of the tree — relative or absolute — are not created.
  EXPECT_EQ(unpack({{"./lib/", '5'}, {"./lib/up", '2', "", "../../.."}, {"./lib/abs", '2', "", "/etc"},
                    {"./lib/sneaky", '2', "", "x/../../.."}}, &stats), "");
  EXPECT_FALSE(fs::exists(fs::symlink_status(out() / "lib" / "up")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(out() / "lib" / "abs")));
  EXPECT_FALSE(fs::exists(fs::symlink_status(out() / "lib" / "sneaky")));
  EXPECT_EQ(stats.skipped_links, 3);

  // A member below a link (even one inside the tree) is refused: nothing is written through a link.
  const std::string through = unpack({{"./lib/", '5'}, {"./here", '2', "", "lib"}, {"./here/x.txt", '0', "via link"}});
  EXPECT_NE(through.find("not a directory"), std::string::npos) << through;
  EXPECT_FALSE(fs::exists(out() / "lib" / "x.txt"));

  // Devices are refused.
  const std::string device = unpack({{"./null", '3'}});
  EXPECT_NE(device.find("type '3'"), std::string::npos) << device;
}

TEST_F(Unpack, HardLinksOnlyToUnpackedFiles) {
  EXPECT_EQ(unpack({{"./a", '0', "data"}, {"./b", '1', "", "./a"}}), "");
  EXPECT_EQ(slurp(out() / "b"), "data");
  const std::string outside = unpack({{"./b", '1', "", "../../etc/passwd"}});
  EXPECT_NE(outside.find("hard link"), std::string::npos) << outside;
  const std::string missing = unpack({{"./b", '1', "", "./nothing"}});
  EXPECT_NE(missing.find("not an unpacked file"), std::string::npos) << missing;
}

TEST(LibraryCache, ConstructorRefusesATinyBound) {
  hearth::testing::TempDir dir;
  EXPECT_THROW(LibraryCache(dir.str() + "/c", 1000), std::invalid_argument);
}

}  // namespace
}  // namespace hearth::invoker
