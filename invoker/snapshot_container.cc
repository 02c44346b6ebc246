#include "invoker/snapshot_container.h"

#include <unistd.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>

#include "runtime/runtime_process.h"
#include "sandbox/cgroup.h"

namespace hearth::invoker {
namespace {

using Clock = std::chrono::steady_clock;

class SnapshotContainer final : public LiveContainer {
 public:
  SnapshotContainer(std::shared_ptr<const FunctionImage> image, std::unique_ptr<sandbox::Cgroup> cgroup,
                    snapshot::Restored restored, std::string id, std::size_t max_result_bytes)
      : image_(std::move(image)), cgroup_(std::move(cgroup)), restored_(std::move(restored)), id_(std::move(id)),
        max_result_bytes_(max_result_bytes) {}
  ~SnapshotContainer() override {
    restored_.container.reset();  // runsc and its sandbox first, then the loader, then the group
    restored_.loader.reset();
    if (cgroup_) cgroup_->kill_all();
  }
  bool from_snapshot() const override { return true; }
  const std::string& id() const override { return id_; }

  RunOutcome run(const std::string& params_json, std::int64_t timeout_ms) override {
    RunOutcome o;
    if (broken_) return broken("runtime is not running");
    const auto start = Clock::now();
    const bool object = !params_json.empty() && params_json.front() == '{';
    std::string reply;
    try {
      reply = restored_.container->call(std::string(R"({"op":"run","args":)") + (object ? params_json : "{}") + "}",
                                        std::chrono::milliseconds(timeout_ms));
    } catch (const std::exception& e) {
      const bool timed_out = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count() >= timeout_ms;
      const bool oom = cgroup_ && cgroup_->oom_killed();
      return broken(timed_out ? "The action exceeded its time limit of " + std::to_string(timeout_ms) + " ms."
                    : oom     ? "The action exceeded its memory limit and was killed."
                              : std::string("The action did not produce a valid response and exited unexpectedly: ") + e.what());
    }
    runtime::RunResult r;
    if (std::string why; !runtime::parse_run_reply(reply, max_result_bytes_, &r, &why)) return broken(why);
    o.status = r.ok ? "success" : "application error";
    o.result_json = r.result_json;
    o.logs = std::move(r.logs);
    o.run_us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
    o.freshen_json = r.freshen_json;
    return o;
  }
  bool set_cpu_quota(std::int64_t millicores) override {
    if (!cgroup_) return false;
    cgroup_->set_cpu_quota(millicores);
    return true;
  }
  std::optional<ResourceUsage> usage() const override {
    if (!cgroup_) return std::nullopt;
    const sandbox::CgroupUsage u = cgroup_->usage();
    return ResourceUsage{u.cpu_usec, u.memory_peak_bytes, u.io_bytes, 0};
  }

 private:
  RunOutcome broken(const std::string& why) {
    broken_ = true;
    RunOutcome o;
    o.status = "developer error";
    o.result_json = nlohmann::json{{"error", why}}.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    o.container_broken = true;
    return o;
  }
  std::shared_ptr<const FunctionImage> image_;  // its files stay while this container lives
  std::unique_ptr<sandbox::Cgroup> cgroup_;
  snapshot::Restored restored_;
  std::string id_;
  std::size_t max_result_bytes_;
  bool broken_ = false;
};

}  // namespace

std::unique_ptr<LiveContainer> restore_container(SnapshotStore& store, std::shared_ptr<const FunctionImage> image,
                                                 const net::ActionRecord& action, const std::string& id,
                                                 const std::string& cgroup_name, std::size_t max_result_bytes, std::int64_t* init_us, std::string* error) {
  const auto start = Clock::now();
  const auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
  };
  try {
    sandbox::CgroupLimits limits;
    limits.memory_mb = action.memory_mb + kRunscOverheadMb;
    limits.cpu_millicores = action.cpu_millicores > 0 ? action.cpu_millicores : 1000;
    limits.pids_max = kRunscPidsMax;
    auto cgroup = std::make_unique<sandbox::Cgroup>(cgroup_name, limits);
    snapshot::RunscConfig config = store.runsc();
    config.cgroup_procs = cgroup->procs_files();
    snapshot::Prefetch prefetch = snapshot::Prefetch::kNone;
    if (store.mode() == SnapshotMode::kReap) prefetch = snapshot::Prefetch::kBefore;
    if (store.mode() == SnapshotMode::kFaasnap) prefetch = snapshot::Prefetch::kConcurrent;
    const snapshot::LoadingSet* set = image->loading_set ? &*image->loading_set : nullptr;
    if (!set) prefetch = snapshot::Prefetch::kNone;
    snapshot::Restored restored =
        image->snapshot.restore(store.next_container_id(), prefetch, set, snapshot::RestoreOptions{}, &config);
    snapshot::expect_ok(restored.container->call(R"({"op":"ping"})"), "the restored runtime");
    *init_us = elapsed();
    return std::make_unique<SnapshotContainer>(std::move(image), std::move(cgroup), std::move(restored), id,
                                               max_result_bytes);
  } catch (const std::exception& e) {
    *init_us = elapsed();
    *error = std::string("restoring the snapshot failed: ") + e.what();
    return nullptr;
  }
}

}  // namespace hearth::invoker
