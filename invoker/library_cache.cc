#include "invoker/library_cache.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cerrno>
#include <cstring>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "invoker/deb_unpack.h"
#include "net/sha256.h"
#include "sandbox/tied_child.h"

namespace hearth::invoker {
namespace fs = std::filesystem;
namespace {

std::int64_t since_us(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - start).count();
}

constexpr const char* kPythonDir = "usr/lib/python3/dist-packages";

// Byte-compiles <dir>/usr/lib/python3/dist-packages (if any) with the host's /usr/bin/python3 -I (the
// interpreter the sandbox runs), naming the sources by their final path. compileall only compiles, it
// runs none of the code; a file that does not compile (Python 2 leftovers in some packages) is skipped
// by it and stays source, so its exit status is not an error. Throws if python3 cannot be run.
void compile_python(const std::string& dir, const std::string& final_dir) {
  const std::string py = dir + "/" + kPythonDir;
  struct stat st {};
  if (stat(py.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  std::vector<std::string> args = {"/usr/bin/python3", "-I", "-m", "compileall", "-q",
                                   "-s", dir, "-p", final_dir, py};
  const pid_t pid = sandbox::spawn_tied_child({args});  // dies with this invoker: never writes into a restarted one's cache
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) throw std::runtime_error("python3 -m compileall was killed by signal " + std::to_string(WTERMSIG(status)));
  if (WIFEXITED(status) && WEXITSTATUS(status) == sandbox::kNotExecuted) throw std::runtime_error("cannot run /usr/bin/python3 -m compileall");
}

}  // namespace

LibraryCache::LibraryCache(std::string dir, std::int64_t max_bytes) : dir_(fs::absolute(dir).string()), max_bytes_(max_bytes) {
  if (max_bytes_ < (1 << 20)) throw std::invalid_argument("the library cache needs at least 1 MB, not " + std::to_string(max_bytes_) + " bytes");
  std::error_code ec;
  fs::remove_all(dir_, ec);  // a dead process's libraries: nothing refers to them any more
  fs::create_directories(dir_);
  fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                            fs::perms::others_exec);
}

LibraryCache::~LibraryCache() {
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string LibraryCache::python_dir(const std::string& sha256) const { return dir_ + "/" + sha256 + "/" + kPythonDir; }

void LibraryCache::set_fetcher(Fetcher fetcher) {
  std::lock_guard lock(mu_);
  fetcher_ = std::move(fetcher);
}

LibraryCache::Lease::Lease(LibraryCache* owner, std::vector<std::string> digests) : owner_(owner), digests_(std::move(digests)) {
  for (const std::string& d : digests_) {
    roots_.push_back(owner_->dir_ + "/" + d);
    struct stat st {};
    const std::string py = owner_->python_dir(d);
    if (stat(py.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) python_paths_.push_back(py);
  }
}

LibraryCache::Lease::~Lease() { owner_->release(digests_); }

std::unique_ptr<LibraryCache::Lease> LibraryCache::acquire(const std::vector<net::LibraryRef>& refs, Phases* out) {
  Phases phases;
  std::vector<std::string> pinned;
  try {
    for (const net::LibraryRef& ref : refs) {
      std::unique_lock lock(mu_);
      auto [it, fresh] = entries_.try_emplace(ref.sha256);
      Entry& e = it->second;
      ++e.leases;
      pinned.push_back(ref.sha256);
      if (!fresh) {  // ready, or being prepared by another acquire: wait for it
        if (!e.ready && e.error.empty()) {
          const auto waiting = std::chrono::steady_clock::now();
          changed_.wait(lock, [&] { return e.ready || !e.error.empty(); });
          phases.wait_us += std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - waiting).count();
        }
        if (!e.error.empty()) throw std::runtime_error(e.error);
        e.last_use = ++tick_;
        ++phases.hits;
        continue;
      }
      lock.unlock();
      std::int64_t bytes = 0;
      std::string error;
      try {
        bytes = prepare(ref, phases);
      } catch (const std::exception& ex) {
        error = "library " + ref.name + " (" + ref.sha256.substr(0, 12) + "): " + ex.what();
      }
      lock.lock();
      if (error.empty()) {
        e.ready = true;
        e.bytes = bytes;
        e.last_use = ++tick_;
        bytes_ += bytes;
        evict_to_fit();
        if (bytes_ > max_bytes_) {  // it does not fit beside what is pinned: take it out again
          bytes_ -= bytes;
          e.ready = false;
          remove_files(ref.sha256);
          error = "library " + ref.name + ": the library cache (" + std::to_string(max_bytes_ >> 20) + " MB) cannot hold its " +
                  std::to_string(bytes >> 20) + " MB beside the " + std::to_string((bytes_) >> 20) +
                  " MB of libraries that running containers use";
        }
      }
      if (!error.empty()) e.error = error;
      changed_.notify_all();
      if (!error.empty()) throw std::runtime_error(error);
      ++phases.prepared;
    }
  } catch (...) {
    release(pinned);
    throw;
  }
  if (out) *out = phases;
  return std::unique_ptr<Lease>(new Lease(this, std::move(pinned)));
}

std::int64_t LibraryCache::prepare(const net::LibraryRef& ref, Phases& phases) {
  Fetcher fetch;
  {
    std::lock_guard lock(mu_);
    fetch = fetcher_;
  }
  if (!fetch) throw std::runtime_error("this invoker has no library source");
  auto start = std::chrono::steady_clock::now();
  const std::string deb = fetch(ref);
  phases.fetch_us += since_us(start);
  phases.fetched_bytes += static_cast<std::int64_t>(deb.size());

  start = std::chrono::steady_clock::now();
  if (static_cast<std::int64_t>(deb.size()) != ref.bytes)
    throw std::runtime_error("received " + std::to_string(deb.size()) + " bytes, the repository's manifest says " + std::to_string(ref.bytes));
  const std::string digest = net::sha256_hex(deb);
  if (digest != ref.sha256)
    throw std::runtime_error("the received .deb has SHA-256 " + digest + ", not the manifest's " + ref.sha256 + ": refused");
  phases.verify_us += since_us(start);

  start = std::chrono::steady_clock::now();
  const std::string final_dir = dir_ + "/" + ref.sha256, tmp_dir = final_dir + ".tmp", deb_path = final_dir + ".deb";
  std::error_code ec;
  fs::remove_all(tmp_dir, ec);
  try {
    {
      std::ofstream f(deb_path, std::ios::binary | std::ios::trunc);
      f.write(deb.data(), static_cast<std::streamsize>(deb.size()));
      f.close();
      if (!f) throw std::runtime_error("cannot write " + deb_path);
    }
    fs::create_directory(tmp_dir);
    fs::permissions(tmp_dir, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec | fs::perms::others_read |
                                 fs::perms::others_exec);
    unpack_deb(deb_path, tmp_dir);
    fs::remove(deb_path, ec);
    phases.unpack_us += since_us(start);

    start = std::chrono::steady_clock::now();
    compile_python(tmp_dir, final_dir);
    std::int64_t bytes = 0;  // what it holds on disk now, bytecode included
    for (const auto& e : fs::recursive_directory_iterator(tmp_dir))
      if (e.is_regular_file(ec) && !e.is_symlink(ec)) bytes += static_cast<std::int64_t>(e.file_size(ec));
    fs::rename(tmp_dir, final_dir);
    phases.compile_us += since_us(start);
    phases.unpacked_bytes += bytes;
    return bytes;
  } catch (...) {
    fs::remove(deb_path, ec);
    fs::remove_all(tmp_dir, ec);
    throw;
  }
}

void LibraryCache::evict_to_fit() {
  while (bytes_ > max_bytes_) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.ready && it->second.leases == 0 && (victim == entries_.end() || it->second.last_use < victim->second.last_use))
        victim = it;
    if (victim == entries_.end()) return;
    bytes_ -= victim->second.bytes;
    remove_files(victim->first);
    entries_.erase(victim);
    ++evictions_;
  }
}

void LibraryCache::remove_files(const std::string& digest) {
  std::error_code ec;  // a runtime that imported from it keeps its open files; removal cannot hurt it
  fs::remove_all(dir_ + "/" + digest, ec);
}

void LibraryCache::release(const std::vector<std::string>& digests) {
  std::lock_guard lock(mu_);
  for (const std::string& d : digests) {
    const auto it = entries_.find(d);
    if (it == entries_.end()) continue;
    if (--it->second.leases == 0 && !it->second.ready) entries_.erase(it);  // failed: forget it, a later acquire retries
  }
  evict_to_fit();
}

std::int64_t LibraryCache::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t LibraryCache::libraries() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [d, e] : entries_) n += e.ready;
  return n;
}

bool LibraryCache::cached(const std::string& sha256) const {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(sha256);
  return it != entries_.end() && it->second.ready;
}

std::uint64_t LibraryCache::evictions() const {
  std::lock_guard lock(mu_);
  return evictions_;
}

}  // namespace hearth::invoker
