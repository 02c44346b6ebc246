#include "invoker/snapshot_store.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "sandbox/cgroup.h"
#include "sandbox/owner_process.h"

namespace hearth::invoker {
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kDirPrefix = "hearth-snapshots-";
constexpr std::chrono::milliseconds kCreateTimeout{60'000};

std::int64_t since_us(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - t).count();
}

std::string key_of(const net::ActionRecord& a) { return a.ns + "/" + a.name; }

// Deletes every runsc container under `state_root` (runsc list -quiet, then delete --force each).
void delete_runsc_containers(const snapshot::RunscConfig& config) {
  std::error_code ec;
  if (!fs::exists(config.state_root, ec)) return;
  const snapshot::RunscResult list = snapshot::run_runsc(config, {"list", "-quiet"});
  std::istringstream ids(list.output);
  for (std::string id; std::getline(ids, id);)
    if (!id.empty() && id.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_.") == std::string::npos)
      snapshot::run_runsc(config, {"delete", "--force", id});
}

}  // namespace

std::optional<SnapshotMode> parse_snapshot_mode(std::string_view text) {
  if (text == "off") return SnapshotMode::kOff;
  if (text == "vanilla") return SnapshotMode::kVanilla;
  if (text == "reap") return SnapshotMode::kReap;
  if (text == "faasnap") return SnapshotMode::kFaasnap;
  return std::nullopt;
}

const char* snapshot_mode_name(SnapshotMode mode) {
  switch (mode) {
    case SnapshotMode::kOff: return "off";
    case SnapshotMode::kVanilla: return "vanilla";
    case SnapshotMode::kReap: return "reap";
    case SnapshotMode::kFaasnap: return "faasnap";
  }
  return "?";
}

FunctionImage::~FunctionImage() {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

bool SnapshotStore::eligible(const net::ActionRecord& action) const {
  if (!action.kind.starts_with("python")) return false;
  if (action.libraries.empty() && action.library_refs.empty()) return true;
  return libraries_ != nullptr && !action.library_refs.empty();  // resolved refs: what the cache prepares
}

SnapshotStore::SnapshotStore(const std::string& parent_dir, SnapshotMode mode, std::int64_t budget_mb)
    : mode_(mode), budget_bytes_(budget_mb << 20) {
  if (mode == SnapshotMode::kOff) throw std::invalid_argument("a snapshot store needs a mode other than off");
  const std::optional<std::string> runsc = snapshot::find_runsc();
  if (!runsc) throw std::runtime_error("--snapshots needs gVisor's runsc on PATH (scripts/setup installs it)");
  remove_orphans(parent_dir);
  dir_ = (fs::absolute(parent_dir) / (kDirPrefix + std::to_string(getpid()))).string();
  fs::create_directories(dir_);
  runsc_.runsc = *runsc;
  runsc_.state_root = (fs::path(dir_) / "state").string();
  runsc_.timeout = kCreateTimeout;
  worker_ = std::thread([this] { run(); });
}

SnapshotStore::~SnapshotStore() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  worker_.join();
  entries_.clear();
  delete_runsc_containers(runsc_);
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

std::string SnapshotStore::next_container_id() {
  std::lock_guard lock(mu_);
  return "hearth-" + std::to_string(getpid()) + "-r" + std::to_string(next_id_++);
}

void SnapshotStore::on_first_run(const net::ActionRecord& action, const std::string& params_json) {
  if (!eligible(action)) return;
  std::lock_guard lock(mu_);
  if (stopping_) return;
  const std::string key = key_of(action);
  if (auto it = entries_.find(key); it != entries_.end()) {
    if (it->second.revision == action.revision) return;  // queued, being made, ready or failed: once only
    if (it->second.image) bytes_ -= it->second.image->bytes;
    entries_.erase(it);  // another revision's: the new code gets its own
  }
  Entry& e = entries_[key];
  e.revision = action.revision;
  e.action = action;
  e.params_json = params_json;
  queue_.push_back(key);
  changed_.notify_all();
}

std::shared_ptr<const FunctionImage> SnapshotStore::find(const net::ActionRecord& action) {
  std::lock_guard lock(mu_);
  const auto it = entries_.find(key_of(action));
  if (it == entries_.end()) return nullptr;
  if (it->second.revision != action.revision) {  // the code changed: this snapshot runs the old one
    if (it->second.image) bytes_ -= it->second.image->bytes;
    entries_.erase(it);
    return nullptr;
  }
  if (it->second.state != Entry::State::kReady) return nullptr;
  it->second.last_use = ++clock_;
  return it->second.image;
}

bool SnapshotStore::wait_ready(const net::ActionRecord& action, std::int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  const std::string key = key_of(action);
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    const auto it = entries_.find(key);
    return it != entries_.end() && it->second.revision == action.revision &&
           (it->second.state == Entry::State::kReady || it->second.state == Entry::State::kFailed);
  });
  const auto it = entries_.find(key);
  return it != entries_.end() && it->second.revision == action.revision && it->second.state == Entry::State::kReady;
}

std::int64_t SnapshotStore::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

std::size_t SnapshotStore::count() const {
  std::lock_guard lock(mu_);
  std::size_t n = 0;
  for (const auto& [key, e] : entries_) n += e.state == Entry::State::kReady;
  return n;
}

void SnapshotStore::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    const std::string key = queue_.front();
    queue_.pop_front();
    auto it = entries_.find(key);
    if (it == entries_.end() || it->second.state != Entry::State::kQueued) continue;
    it->second.state = Entry::State::kCreating;
    const net::ActionRecord action = it->second.action;
    const std::string params = it->second.params_json;
    lock.unlock();
    std::shared_ptr<FunctionImage> image;
    std::string error;
    try {
      image = create(action, params);
    } catch (const std::exception& e) {
      error = e.what();
    }
    lock.lock();
    it = entries_.find(key);
    if (it == entries_.end() || it->second.revision != action.revision) continue;  // dropped meanwhile
    if (!image) {
      it->second.state = Entry::State::kFailed;
      std::fprintf(stderr, "hearth invoker: no snapshot of %s (its cold starts stay plain): %s\n", key.c_str(),
                   error.substr(0, 2000).c_str());
    } else {
      it->second.state = Entry::State::kReady;
      it->second.image = image;
      it->second.last_use = ++clock_;
      bytes_ += image->bytes;
      std::fprintf(stderr, "hearth invoker: snapshot of %s (%s): %.1f MB in %.0f ms, recorded in %.0f ms\n", key.c_str(),
                   snapshot_mode_name(mode_), static_cast<double>(image->bytes) / (1 << 20),
                   static_cast<double>(image->create_us) / 1000, static_cast<double>(image->record_us) / 1000);
      evict_over_budget(key);
    }
    changed_.notify_all();
  }
}

void SnapshotStore::evict_over_budget(const std::string& keep) {
  while (bytes_ > budget_bytes_) {
    auto victim = entries_.end();
    for (auto it = entries_.begin(); it != entries_.end(); ++it)
      if (it->second.state == Entry::State::kReady && it->first != keep &&
          (victim == entries_.end() || it->second.last_use < victim->second.last_use))
        victim = it;
    if (victim == entries_.end()) {  // the new one alone is over the budget: not kept, and not made again
      const auto self = entries_.find(keep);
      if (self == entries_.end() || !self->second.image) return;
      bytes_ -= self->second.image->bytes;
      self->second.image.reset();
      self->second.state = Entry::State::kFailed;
      return;
    }
    bytes_ -= victim->second.image->bytes;
    entries_.erase(victim);  // its next plain cold start may snapshot it again
  }
}

std::shared_ptr<FunctionImage> SnapshotStore::create(const net::ActionRecord& action, const std::string& params_json) {
  const std::string id = next_container_id();
  const fs::path dir = fs::path(dir_) / id;
  fs::create_directories(dir / "code");
  // The code lives with the snapshot: a restore re-creates the bundle's mounts, so it must stay where it was.
  const std::string code_path = (dir / "code" / "action.py").string();
  {
    std::ofstream out(code_path, std::ios::binary);
    out << action.code.str();
    if (!out.flush()) throw std::runtime_error("cannot write " + code_path);
  }
  // Its libraries, prepared and pinned for as long as the image exists (a restore binds them again).
  std::unique_ptr<LibraryCache::Lease> libraries;
  snapshot::SnapshotFunction function{code_path, action.entry, {}, {}};
  if (!action.library_refs.empty()) {
    LibraryCache* cache = libraries_.load();
    if (!cache) throw std::runtime_error("an action declaring libraries needs the invoker's library cache");
    libraries = cache->acquire(action.library_refs);
    function.read_only_paths = libraries->roots();
    function.python_paths = libraries->python_paths();
  }
  sandbox::CgroupLimits limits;
  limits.memory_mb = action.memory_mb + kRunscOverheadMb;
  limits.cpu_millicores = action.cpu_millicores > 0 ? action.cpu_millicores : 1000;
  limits.pids_max = kRunscPidsMax;
  sandbox::Cgroup cgroup("hearth-" + std::to_string(getpid()) + "-snap-" + id.substr(id.rfind('-') + 1), limits);
  snapshot::RunscConfig config = runsc_;
  config.cgroup_procs = cgroup.procs_files();
  const auto start = Clock::now();
  snapshot::CheckpointOptions checkpoint;
  checkpoint.exclude_zero_pages = true;  // FaaSnap's zero regions: not written, not read back
  auto image = std::make_shared<FunctionImage>(snapshot::FunctionSnapshot::create(config, function, dir.string(), checkpoint),
                                               dir.string());
  image->libraries = std::move(libraries);
  image->create_us = since_us(start);
  image->revision = action.revision;
  if (mode_ != SnapshotMode::kVanilla) {
    const auto recording = Clock::now();
    nlohmann::json args = nlohmann::json::parse(params_json, nullptr, false);
    if (!args.is_object()) args = nlohmann::json::object();
    const snapshot::WorkingSet ws =
        image->snapshot.record(next_container_id(), nlohmann::json{{"op", "run"}, {"args", args}}.dump(), {});
    image->loading_set = snapshot::build_loading_set(ws);
    image->record_us = since_us(recording);
  }
  image->bytes = image->snapshot.image_bytes();
  return image;
}

std::size_t SnapshotStore::remove_orphans(const std::string& parent_dir) {
  std::error_code ec;
  if (!fs::is_directory(parent_dir, ec)) return 0;
  const std::optional<std::string> runsc = snapshot::find_runsc();
  std::size_t removed = 0;
  for (const fs::directory_entry& d : fs::directory_iterator(parent_dir, ec)) {
    const std::string name = d.path().filename().string();
    if (!name.starts_with(kDirPrefix)) continue;
    const std::string digits = name.substr(std::string(kDirPrefix).size());
    if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos || digits.size() > 9) continue;
    const pid_t pid = static_cast<pid_t>(std::stol(digits));
    if (pid == getpid() || sandbox::owner_alive(pid, d.path().string())) continue;  // a live invoker's
    if (runsc) {
      snapshot::RunscConfig config;
      config.runsc = *runsc;
      config.state_root = (d.path() / "state").string();
      config.timeout = std::chrono::milliseconds(10'000);
      delete_runsc_containers(config);
    }
    fs::remove_all(d.path(), ec);
    ++removed;
  }
  return removed;
}

}  // namespace hearth::invoker
