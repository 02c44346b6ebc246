// CodeFiles: the code files of one invoker, content-addressed. A file lives at
// <dir>/<sha256 of its name and bytes>/<main.py|main.js|main.so>, so two actions (or two revisions of
// one) share a file only when their code is byte-for-byte the same, and a name that is deleted and
// created again with other code can never find the old file. The directory holds one file, so a sandbox
// mounts it read-only and sees that code and nothing else.
// A file is pinned while a runtime loads it (a Lease) and belongs to the actions ("ns/name") whose
// latest code it is; it is removed once neither holds, i.e. when its last action moved to other code.
// An invoker hears of actions only through invocations, so the file of a deleted action stays until its
// name arrives with other code or the process ends (at most one file per action name it has run).
// The constructor removes whatever a previous (dead) process left in `dir`.
// Thread-safe; acquire costs one SHA-256 of the code and, the first time, one file write.
#pragma once

#include <map>
#include <mutex>
#include <string>

#include "controller/store.h"

namespace hearth::invoker {

class CodeFiles {
 public:
  explicit CodeFiles(std::string dir);
  CodeFiles(const CodeFiles&) = delete;
  CodeFiles& operator=(const CodeFiles&) = delete;

  // Keeps a code file on disk while it lives (a runtime is loading it).
  class Lease {
   public:
    Lease(CodeFiles* owner, std::string digest, std::string path)
        : owner_(owner), digest_(std::move(digest)), path_(std::move(path)) {}
    Lease(Lease&& other) noexcept : owner_(other.owner_), digest_(std::move(other.digest_)), path_(std::move(other.path_)) {
      other.owner_ = nullptr;
    }
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    Lease& operator=(Lease&&) = delete;
    ~Lease() {
      if (owner_) owner_->release(digest_);
    }
    const std::string& path() const { return path_; }
    const std::string& digest() const { return digest_; }

   private:
    CodeFiles* owner_;
    std::string digest_;
    std::string path_;
  };

  // The file holding `action`'s code (native code arrives base64 and is decoded), written if it is not
  // there yet, pinned until the lease ends; `action` now refers to it. Throws std::runtime_error on I/O
  // errors or undecodable native code.
  Lease acquire(const net::ActionRecord& action);
  // Digests of the files on disk now (for tests and metrics).
  std::size_t files() const;

 private:
  struct Entry {
    int leases = 0;
    int actions = 0;  // actions whose latest code this is
  };
  void release(const std::string& digest);
  void drop_if_unused(const std::string& digest);  // mu_ held

  std::string dir_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;          // digest → holders
  std::map<std::string, std::string> latest_;     // "ns/name" → digest of its latest code
};

}  // namespace hearth::invoker
