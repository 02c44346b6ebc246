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

ZygotePool::ZygotePool(std::string prefix, int parked, std::vector<std::string> preload, std::int64_t budget_mb,
                       std::string netns, std::function<runtime::ForkNetwork()> fork_network)
    : prefix_(std::move(prefix)), parked_(parked), preload_(std::move(preload)), netns_(std::move(netns)),
      fork_network_(std::move(fork_network)), budget_mb_(std::max<std::int64_t>(budget_mb, 0)),
      max_budget_mb_(budget_mb_), sets_(kInterpreterMb) {
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
  std::shared_ptr<runtime::PythonZygote> found;
  {
    std::lock_guard lock(mu_);
    if (!libraries_ || budget_mb_ == 0 || failed_.count(set)) return nullptr;
    sets_.on_cold_start(set, estimated_mb(action.library_refs), now());
    closures_[set] = action.library_refs;
    plan_changed_ = true;
    if (const auto it = running_.find(set); it != running_.end()) {
      found = it->second.zygote;
    } else {  // the largest running set it contains: the function imports the rest itself
      std::vector<policy::ZygotePlanEntry> candidates;
      for (const auto& [s, z] : running_) candidates.push_back({s, -1, 1, 0});
      const int best = policy::ZygoteSets::best_for(candidates, set);
      if (best >= 0) found = running_.at(candidates[static_cast<std::size_t>(best)].set).zygote;
    }
    if (found) {
      last_take_ = std::chrono::steady_clock::now();
      ready_ = 0;
    }
  }
  changed_.notify_all();
  return found;
}

void ZygotePool::set_budget_mb(std::int64_t budget_mb) {
  {
    std::lock_guard lock(mu_);
    budget_mb_ = std::clamp<std::int64_t>(budget_mb, 0, max_budget_mb_);
    plan_changed_ = true;
  }
  changed_.notify_all();
}

std::optional<policy::LibrarySet> ZygotePool::parent_of(const policy::LibrarySet& libraries) const {
  std::lock_guard lock(mu_);
  const auto it = running_.find(libraries);
  if (it == running_.end()) return std::nullopt;
  return it->second.parent;
}

std::optional<std::int64_t> ZygotePool::start_us(const policy::LibrarySet& libraries) const {
  std::lock_guard lock(mu_);
  const auto it = running_.find(libraries);
  if (it == running_.end()) return std::nullopt;
  return it->second.start_us;
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

std::shared_ptr<runtime::PythonZygote> ZygotePool::library_root() {
  if (library_root_) return library_root_;
  runtime::ZygoteOptions o;
  o.name = prefix_ + "-lib";
  o.view_paths = {libraries_->dir()};  // every library, present and future, for children and forks
  o.limits.memory_mb = kInterpreterMb + max_budget_mb_;  // the whole tree lives in this cgroup
  library_root_ = runtime::PythonZygote::start(o);
  return library_root_;
}

ZygotePool::SetZygote ZygotePool::start_set(const policy::LibrarySet& set, const std::vector<net::LibraryRef>& refs,
                                            const std::shared_ptr<runtime::PythonZygote>& parent,
                                            const policy::LibrarySet& parent_set) {
  const auto t0 = std::chrono::steady_clock::now();
  SetZygote z;
  z.parent = parent_set;
  z.lease = libraries_->acquire(refs);  // cached already: the cold start that wanted the set prepared them
  std::vector<std::string> imports;
  for (const std::string& name : set) {
    if (std::binary_search(parent_set.begin(), parent_set.end(), name)) continue;  // the parent imported it
    const auto ref = std::find_if(refs.begin(), refs.end(), [&](const net::LibraryRef& r) { return r.name == name; });
    if (ref == refs.end()) throw std::runtime_error("library " + name + " is not in its own closure");
    const std::vector<std::string> modules = top_level_modules(libraries_->python_dir(ref->sha256));
    imports.insert(imports.end(), modules.begin(), modules.end());
  }
  z.zygote = parent->extend(z.lease->python_paths(), imports, z.lease->roots());
  z.start_us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
  return z;
}

void ZygotePool::reconcile(std::unique_lock<std::mutex>& lock) {
  plan_changed_ = false;
  const std::vector<policy::ZygotePlanEntry> plan = sets_.plan(kInterpreterMb + budget_mb_, now());
  std::set<policy::LibrarySet> keep;
  for (const policy::ZygotePlanEntry& e : plan)
    if (!e.set.empty()) keep.insert(e.set);
  for (auto it = running_.begin(); it != running_.end();) {
    if (keep.count(it->first)) {
      ++it;
    } else {
      // Its children (if any) keep its process alive; it serves no more forks.
      std::fprintf(stderr, "hearth invoker: dropped the zygote of libraries %s (out of the plan)\n", names_of(it->first).c_str());
      it->second.zygote->release_parked();
      it = running_.erase(it);  // its forks keep it alive; their containers hold their own leases
    }
  }
  for (const policy::ZygotePlanEntry& e : plan) {  // parents before children
    const policy::LibrarySet& set = e.set;
    if (set.empty() || running_.count(set) || failed_.count(set)) continue;
    // Its parent: the nearest ancestor in the plan whose zygote runs, else the library root.
    policy::LibrarySet parent_set;
    std::shared_ptr<runtime::PythonZygote> parent;
    for (int p = e.parent; p > 0 && !parent; p = plan[static_cast<std::size_t>(p)].parent)
      if (const auto it = running_.find(plan[static_cast<std::size_t>(p)].set); it != running_.end()) {
        parent_set = it->first;
        parent = it->second.zygote;
      }
    const std::vector<net::LibraryRef> refs = closures_.at(set);
    lock.unlock();
    SetZygote z;
    std::string error;
    try {
      if (!parent) parent = library_root();
      z = start_set(set, refs, parent, parent_set);
    } catch (const std::exception& ex) {
      error = ex.what();
    }
    lock.lock();
    if (!error.empty()) {
      std::fprintf(stderr, "hearth invoker: no zygote for libraries %s, their cold starts start interpreters: %s\n",
                   names_of(set).c_str(), error.c_str());
      failed_.insert(set);
    } else if (!stopping_) {
      std::fprintf(stderr, "hearth invoker: started the zygote of libraries %s from %s in %.1f ms\n", names_of(set).c_str(),
                   parent_set.empty() ? "the library root" : names_of(parent_set).c_str(), static_cast<double>(z.start_us) / 1000.0);
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
    o.netns = netns_;
    o.fork_network = fork_network_;
    if (!preload_.empty()) {
      o.sys_path = {"/usr/lib/python3/dist-packages"};
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
