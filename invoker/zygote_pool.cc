#include "invoker/zygote_pool.h"

#include <algorithm>
#include <cstdio>
#include <stdexcept>

#include "invoker/python_modules.h"

namespace hearth::invoker {
namespace {
constexpr int kQuietMs = 100;            // no refill for this long after a take
constexpr std::int64_t kInterpreterMb = 16;

// The estimate documented in the header: an interpreter plus 4 × the closure's .deb bytes.
std::int64_t estimated_mb(const std::vector<net::LibraryRef>& refs) {
  std::int64_t bytes = 0;
  for (const net::LibraryRef& r : refs) bytes += std::max<std::int64_t>(r.bytes, 0);
  return kInterpreterMb + (4 * bytes + (1 << 20) - 1) / (1 << 20);
}

std::string names_of(const policy::LibrarySet& set) {
  std::string names;
  for (const std::string& n : set) names += (names.empty() ? "" : ",") + n;
  return "{" + names + "}";
}
}  // namespace

ZygotePool::ZygotePool(std::string prefix, int parked, std::vector<std::string> preload, std::int64_t budget_mb)
    : prefix_(std::move(prefix)), parked_(parked), preload_(std::move(preload)), budget_mb_(std::max<std::int64_t>(budget_mb, 0)),
      sets_(kInterpreterMb) {
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

void ZygotePool::set_library_cache(LibraryCache* cache) {
  std::lock_guard lock(mu_);
  libraries_ = cache;
}

model::Micros ZygotePool::now() const {
  return std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - epoch_).count();
}

std::shared_ptr<runtime::PythonZygote> ZygotePool::find(const std::vector<std::string>& libraries) {
  std::lock_guard lock(mu_);
  std::shared_ptr<runtime::PythonZygote> found;
  if (libraries.empty()) {
    const auto it = zygotes_.find(libraries);
    if (it != zygotes_.end()) found = it->second;
  } else if (const auto it = running_.find(libraries); it != running_.end()) {
    found = it->second.zygote;
  }
  if (!found) return nullptr;
  last_take_ = std::chrono::steady_clock::now();
  ready_ = 0;  // unknown until the next refill
  changed_.notify_all();
  return found;
}

std::shared_ptr<runtime::PythonZygote> ZygotePool::find_for(const net::ActionRecord& action) {
  const policy::LibrarySet set = policy::ZygoteSets::normalise(action.libraries);
  if (set.empty()) return find({});
  {
    std::lock_guard lock(mu_);
    if (!libraries_ || budget_mb_ == 0 || failed_.count(set)) return nullptr;
    sets_.on_cold_start(set, estimated_mb(action.library_refs), now());
    closures_[set] = action.library_refs;
    plan_changed_ = true;
  }
  changed_.notify_all();
  return find(set);
}

bool ZygotePool::wait_ready(int n, std::int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return !error_.empty() || (zygotes_.count({}) && ready_ >= n); }) &&
         error_.empty();
}

bool ZygotePool::wait_for_set(const std::vector<std::string>& libraries, std::int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  return changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return running_.count(libraries) || failed_.count(libraries); }) &&
         running_.count(libraries);
}

std::string ZygotePool::error() const {
  std::lock_guard lock(mu_);
  return error_;
}

std::size_t ZygotePool::library_sets() const {
  std::lock_guard lock(mu_);
  return running_.size();
}

ZygotePool::SetZygote ZygotePool::start_set(const policy::LibrarySet& set, const std::vector<net::LibraryRef>& refs) {
  SetZygote z;
  z.lease = libraries_->acquire(refs);  // cached already: the cold start that wanted the set prepared them
  runtime::ZygoteOptions o;
  o.name = prefix_ + "-s" + std::to_string(next_set_++);
  o.sys_path = z.lease->python_paths();
  o.read_only_paths = z.lease->roots();
  o.read_only_paths.push_back("/etc/alternatives");
  for (const std::string& name : set) {
    const auto ref = std::find_if(refs.begin(), refs.end(), [&](const net::LibraryRef& r) { return r.name == name; });
    if (ref == refs.end()) throw std::runtime_error("library " + name + " is not in its own closure");
    const std::vector<std::string> modules = top_level_modules(libraries_->python_dir(ref->sha256));
    o.imports.insert(o.imports.end(), modules.begin(), modules.end());
  }
  z.zygote = runtime::PythonZygote::start(o);
  return z;
}

void ZygotePool::reconcile(std::unique_lock<std::mutex>& lock) {
  plan_changed_ = false;
  std::set<policy::LibrarySet> keep;
  for (const policy::ZygotePlanEntry& e : sets_.plan(kInterpreterMb + budget_mb_, now()))
    if (!e.set.empty()) keep.insert(e.set);
  for (auto it = running_.begin(); it != running_.end();) {
    if (keep.count(it->first)) {
      ++it;
    } else {
      std::fprintf(stderr, "hearth invoker: dropped the zygote of libraries %s (out of the plan)\n", names_of(it->first).c_str());
      it = running_.erase(it);  // its forks keep it alive; their containers hold their own leases
    }
  }
  for (const policy::LibrarySet& set : keep) {
    if (running_.count(set) || failed_.count(set)) continue;
    const std::vector<net::LibraryRef> refs = closures_.at(set);
    lock.unlock();
    SetZygote z;
    std::string error;
    try {
      z = start_set(set, refs);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    if (!error.empty()) {
      std::fprintf(stderr, "hearth invoker: no zygote for libraries %s, their cold starts start interpreters: %s\n",
                   names_of(set).c_str(), error.c_str());
      failed_.insert(set);
    } else if (!stopping_) {
      running_[set] = std::move(z);
    }
    changed_.notify_all();
    plan_changed_ = true;  // look again: one start per pass, so a take is never kept waiting long
    return;
  }
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
    if (plan_changed_) {
      reconcile(lock);
      if (stopping_) break;
    }
    std::vector<std::shared_ptr<runtime::PythonZygote>> sets;
    for (const auto& [set, z] : running_) sets.push_back(z.zygote);
    lock.unlock();
    const int ready = empty->prepare(parked_);  // parks what a take used; a no-op when full
    for (const auto& z : sets) z->prepare(parked_);
    lock.lock();
    ready_ = ready;
    changed_.notify_all();
    if (stopping_) break;
    // Sleep until a take or a new cold start of a library set (or a second: the host may have refused a fork).
    changed_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_ || ready_ < parked_ || plan_changed_; });
  }
}

}  // namespace hearth::invoker
