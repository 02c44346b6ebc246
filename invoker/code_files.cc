#include "invoker/code_files.h"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "net/base64.h"
#include "net/sha256.h"
#include "runtime/runtime_process.h"

namespace hearth::invoker {
namespace fs = std::filesystem;

CodeFiles::CodeFiles(std::string dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::remove_all(dir_, ec);  // a dead process's files: nothing refers to them any more
  fs::create_directories(dir_);
}

CodeFiles::Lease CodeFiles::acquire(const net::ActionRecord& action) {
  const runtime::Language language = runtime::language_of(action.kind);
  const char* file = language == runtime::Language::kPython   ? "main.py"
                     : language == runtime::Language::kNodejs ? "main.js"
                                                              : "main.so";
  std::string bytes = action.code;
  if (language == runtime::Language::kNative && !net::base64_decode(action.code, &bytes))
    throw std::runtime_error("native code is not valid base64");
  const std::string digest = net::sha256_hex(std::string(file) + '\0' + bytes);
  const fs::path dir = fs::path(dir_) / digest;
  const fs::path path = dir / file;

  std::lock_guard lock(mu_);
  Entry& entry = entries_[digest];
  if (entry.leases == 0 && entry.actions == 0) {  // not on disk: write it whole, then make it visible
    try {
      fs::create_directories(dir);
      const fs::path tmp = dir / (std::string(file) + ".tmp");
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      out.close();
      if (!out) throw std::runtime_error("cannot write " + tmp.string());
      fs::rename(tmp, path);
    } catch (...) {
      entries_.erase(digest);
      std::error_code ec;
      fs::remove_all(dir, ec);
      throw;
    }
  }
  ++entry.leases;
  std::string& latest = latest_[action.ns + "/" + action.name];
  if (latest != digest) {
    ++entry.actions;
    if (!latest.empty()) {
      --entries_[latest].actions;
      drop_if_unused(latest);
    }
    latest = digest;
  }
  return Lease(this, digest, path.string());
}

std::size_t CodeFiles::files() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

void CodeFiles::release(const std::string& digest) {
  std::lock_guard lock(mu_);
  --entries_[digest].leases;
  drop_if_unused(digest);
}

void CodeFiles::drop_if_unused(const std::string& digest) {
  const auto it = entries_.find(digest);
  if (it == entries_.end() || it->second.leases > 0 || it->second.actions > 0) return;
  entries_.erase(it);
  std::error_code ec;  // a runtime that loaded the file keeps it open or mapped; removal cannot hurt it
  fs::remove_all(fs::path(dir_) / digest, ec);
}

}  // namespace hearth::invoker
