#include "invoker/zygote_pool.h"

#include <cstdio>

namespace hearth::invoker {
namespace {
constexpr int kQuietMs = 100;  // no refill for this long after a take
}

ZygotePool::ZygotePool(std::string prefix, int parked, std::vector<std::string> preload)
    : prefix_(std::move(prefix)), parked_(parked), preload_(std::move(preload)) {
  refiller_ = std::thread([this] { run(); });
}

ZygotePool::~ZygotePool() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  refiller_.join();
}

std::shared_ptr<runtime::PythonZygote> ZygotePool::find(const std::vector<std::string>& libraries) {
  std::lock_guard lock(mu_);
  const auto it = zygotes_.find(libraries);
  if (it == zygotes_.end()) return nullptr;
  last_take_ = std::chrono::steady_clock::now();
  ready_ = 0;  // unknown until the next refill
  changed_.notify_all();
  return it->second;
}

bool ZygotePool::wait_ready(int n, std::int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return !error_.empty() || (zygotes_.count({}) && ready_ >= n); }) &&
         error_.empty();
}

std::string ZygotePool::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

void ZygotePool::run() {
  std::shared_ptr<runtime::PythonZygote> empty;
  try {
    runtime::ZygoteOptions o;
    o.name = prefix_ + "-empty";
    if (!preload_.empty()) {
      o.sys_path = {"/usr/lib/python3/dist-packages"};
      o.read_only_paths = {"/etc/alternatives"};
      o.imports = preload_;
    }
    empty = runtime::PythonZygote::start(o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hearth invoker: no Python zygote, cold starts start interpreters: %s\n", e.what());
    std::lock_guard lock(mu_);
    error_ = e.what();
    changed_.notify_all();
    return;
  }
  std::unique_lock lock(mu_);
  zygotes_[{}] = empty;
  while (!stopping_) {
    const auto quiet = last_take_ + std::chrono::milliseconds(kQuietMs);
    if (std::chrono::steady_clock::now() < quiet) {
      changed_.wait_until(lock, quiet);
      continue;
    }
    lock.unlock();
    const int ready = empty->prepare(parked_);  // parks what a take used; a no-op when full
    lock.lock();
    ready_ = ready;
    changed_.notify_all();
    if (stopping_) break;
    // Sleep until a take (or a second: the host may have refused a fork).
    changed_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || ready_ < parked_; });
  }
}

}  // namespace hearth::invoker
