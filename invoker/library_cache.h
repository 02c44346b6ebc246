// LibraryCache: an invoker's node-local cache of unpacked libraries (docs/libraries.md). Content-addressed:
// the library whose .deb has SHA-256 D lives unpacked in <dir>/<D>/ (its usr/lib/python3/dist-packages
// is what Python imports), so two actions share a library only when it is byte-for-byte the same package.
// Preparing a library = fetch (the Fetcher: over the wire from the controller's repository) + verify (the
// bytes' SHA-256 and size must be the ref's, else nothing is written) + unpack (invoker/deb_unpack.h into
// <dir>/<D>.tmp) + compile (`python3 -m compileall` of its dist-packages, what Debian's postinst does with
// py3compile: .deb files carry no bytecode, and the sandbox's read-only mount could not cache any, so
// without it every cold start would compile the library again — numpy: 1 s instead of 0.1 s), then
// renamed into place when whole; each phase is timed and returned.
// Size-bounded: the unpacked bytes of all entries stay at most `max_bytes`. A library is pinned while a
// Lease holds it (a container started with it runs); after each preparation the least recently used
// unpinned libraries are removed until the total fits. If it cannot fit (the rest is pinned, or the library
// alone is larger than the bound) the new library is removed again and acquire() fails saying so.
// Two acquires of one library at once prepare it once (the second waits). The constructor removes
// whatever a previous (dead) process left in `dir`.
// Thread-safe; a hit costs a map lookup under one mutex, a miss the three phases without it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "net/records.h"

namespace hearth::invoker {

class LibraryCache {
 public:
  // The .deb of `ref`, all of it; throws std::runtime_error when it cannot be had.
  using Fetcher = std::function<std::string(const net::LibraryRef& ref)>;

  // Throws std::invalid_argument if max_bytes < 1 MB.
  LibraryCache(std::string dir, std::int64_t max_bytes);
  LibraryCache(const LibraryCache&) = delete;
  LibraryCache& operator=(const LibraryCache&) = delete;
  ~LibraryCache();

  // Where libraries come from; set before the first acquire() (the invoker's wire is up only after the
  // factory that holds this cache was built).
  void set_fetcher(Fetcher fetcher);

  // What one acquire() cost, summed over the libraries it prepared (hits cost none of it).
  struct Phases {
    std::int64_t fetch_us = 0, verify_us = 0, unpack_us = 0, compile_us = 0;
    std::int64_t fetched_bytes = 0, unpacked_bytes = 0;  // unpacked: with the bytecode
    int prepared = 0, hits = 0;
    std::int64_t wait_us = 0;  // waiting for libraries another acquire was preparing (counted as hits)
  };

  // Pins the libraries of one container.
  class Lease {
   public:
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    // The unpacked libraries' directories (absolute; a sandbox binds each read-only at its own path).
    const std::vector<std::string>& roots() const { return roots_; }
    // Their usr/lib/python3/dist-packages directories that exist, in the order of the refs: Python's path.
    const std::vector<std::string>& python_paths() const { return python_paths_; }

   private:
    friend class LibraryCache;
    Lease(LibraryCache* owner, std::vector<std::string> digests);
    LibraryCache* owner_;
    std::vector<std::string> digests_, roots_, python_paths_;
  };

  // Prepares every library of `refs` not cached yet and pins them all until the lease ends; `phases`
  // (optional) gets what it cost. Throws std::runtime_error naming the library and why (fetch failed, a
  // digest mismatch, an unsafe package, the cache is full of pinned libraries).
  std::unique_ptr<Lease> acquire(const std::vector<net::LibraryRef>& refs, Phases* phases = nullptr);

  const std::string& dir() const { return dir_; }
  // Where the library whose .deb has `sha256` keeps what Python imports (its usr/lib/python3/dist-packages
  // under <dir>/<sha256>; it exists only if the package installs Python modules).
  std::string python_dir(const std::string& sha256) const;
  std::int64_t max_bytes() const { return max_bytes_; }
  std::int64_t bytes() const;               // unpacked bytes of the ready libraries
  std::size_t libraries() const;            // ready libraries
  bool cached(const std::string& sha256) const;  // ready on disk now
  std::uint64_t evictions() const;

 private:
  struct Entry {
    bool ready = false;
    std::string error;       // set when preparing failed (waiters report it; the entry is then dropped)
    int leases = 0;          // pins, including acquires waiting for it
    std::int64_t bytes = 0;  // unpacked
    std::uint64_t last_use = 0;
  };
  void release(const std::vector<std::string>& digests);
  // Unpacks `ref` (without the lock); returns the unpacked bytes.
  std::int64_t prepare(const net::LibraryRef& ref, Phases& phases);
  // Removes the least recently used unpinned ready entries until bytes_ <= max_bytes_ (mu_ held).
  void evict_to_fit();
  void remove_files(const std::string& digest);

  std::string dir_;
  std::int64_t max_bytes_;
  mutable std::mutex mu_;
  std::condition_variable changed_;
  Fetcher fetcher_;
  std::map<std::string, Entry> entries_;  // digest → entry
  std::int64_t bytes_ = 0;
  std::uint64_t tick_ = 0, evictions_ = 0;
};

}  // namespace hearth::invoker
