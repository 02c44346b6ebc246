// A ContainerFactory without processes for dispatcher tests: a container echoes its params as the
// result, reports a crash (broken container) when the params mention "crash", sleeps 300 ms when they
// mention "sleep", blocks until the factory's gate opens when they mention "hold" (so a test decides
// when a container is busy, without timing), reports a cgroup-like usage (1 ms of CPU per run, a 64 MB
// peak), and fails to initialise code "bad". Counts creations,
// stem-cell starts and destroyed containers. The factory must outlive its containers.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "invoker/live_container.h"
#include "invoker/local_dispatcher.h"
#include "tests/net/eventually.h"

namespace hearth::invoker {

// "hold" invocations wait at it while it is closed (it starts closed).
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mu_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void close() {
    std::lock_guard lock(mu_);
    open_ = false;
  }
  void pass() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [this] { return open_; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

class FakeContainer final : public LiveContainer {
 public:
  FakeContainer(std::string id, Gate* gate = nullptr, std::atomic<int>* destroyed = nullptr,
                std::atomic<std::int64_t>* quota = nullptr)
      : id_(std::move(id)), gate_(gate), destroyed_(destroyed), quota_(quota) {}
  ~FakeContainer() override {
    if (destroyed_) ++*destroyed_;
  }
  RunOutcome run(const std::string& params, std::int64_t) override {
    runs_.fetch_add(1);
    RunOutcome o;
    if (gate_ && params.find("hold") != std::string::npos) gate_->pass();
    o.result_json = params;
    o.run_us = 10;
    if (params.find("sleep") != std::string::npos) std::this_thread::sleep_for(std::chrono::milliseconds(300));
    if (params.find("crash") != std::string::npos) {
      o.status = "developer error";
      o.container_broken = true;
    }
    return o;
  }
  const std::string& id() const override { return id_; }
  // A runtime with a freshen hook when `freshened` is set (it counts the hooks started).
  bool freshen(std::int64_t hook_timeout_ms, std::string* error, bool* broken) override {
    if (!freshened) return LiveContainer::freshen(hook_timeout_ms, error, broken);
    *broken = false;
    ++*freshened;
    return true;
  }
  std::atomic<int>* freshened = nullptr;
  // As a cgroup would count it: 1 ms of CPU per run started, a 64 MB peak, no I/O.
  std::optional<ResourceUsage> usage() const override {
    return ResourceUsage{runs_.load() * 1000, std::int64_t{64} << 20, 0, 0};
  }
  // Records the quota where the factory shows it (the last one set by any of its containers).
  bool set_cpu_quota(std::int64_t millicores) override {
    if (quota_) *quota_ = millicores;
    return quota_ != nullptr;
  }
  bool specialise(const net::ActionRecord& a, std::int64_t* init_us, std::string* error) override {
    *init_us = 2;
    if (a.code == "bad") {
      *error = "SyntaxError: bad";
      return false;
    }
    return true;
  }

 private:
  std::string id_;
  std::atomic<std::int64_t> runs_{0};
  Gate* gate_;
  std::atomic<int>* destroyed_;
  std::atomic<std::int64_t>* quota_;
};

// Polls `done` every 5 ms for at most 10 s (a dispatcher's own threads make the progress).
template <class F>
bool eventually(F done) {
  return hearth::testing::eventually(done, std::chrono::seconds(10), std::chrono::milliseconds(5));
}

class FakeFactory final : public ContainerFactory {
 public:
  std::unique_ptr<LiveContainer> create(const net::ActionRecord& a, std::int64_t* init_us, std::string* error) override {
    *init_us = 5;
    ++created;
    if (a.code == "bad") {
      *error = "SyntaxError: bad";
      return nullptr;
    }
    auto c = std::make_unique<FakeContainer>("c" + std::to_string(created.load()), &gate, &destroyed, &quota);
    c->freshened = &freshened;
    return c;
  }
  std::unique_ptr<LiveContainer> start_generic(model::RuntimeKind, model::MegaBytes) override {
    ++generic;
    return std::make_unique<FakeContainer>("stem" + std::to_string(generic.load()), &gate, &destroyed);
  }
  std::atomic<int> created{0};
  std::atomic<int> generic{0};
  std::atomic<int> destroyed{0};
  std::atomic<int> freshened{0};  // freshen hooks started in created containers
  std::atomic<std::int64_t> quota{0};  // the CPU quota last set on a created container (0: none)
  Gate gate;
};

// One invoker of `memory_mb` with `workers` worker threads, keep-alive long enough never to expire in a
// test, the reaper every 20 ms.
inline LocalDispatcherConfig one_invoker(std::int64_t memory_mb, int workers) {
  LocalDispatcherConfig c;
  c.invoker_memory_mb = memory_mb;
  c.concurrency = workers;
  c.keepalive = "ttl:10m";
  c.reap_interval_ms = 20;
  return c;
}

}  // namespace hearth::invoker
