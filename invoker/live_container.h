// The seam between the platform's container pool and what actually runs code: a LiveContainer is one
// initialised runtime process (in its sandbox) for one action; a ContainerFactory creates them. The
// runtime layer (runtime/) provides the real factory; tests use fakes.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "controller/store.h"
#include "net/frame_codec.h"
#include "invoker/resource_usage.h"
#include "model/function_spec.h"

namespace hearth::invoker {

struct RunOutcome {
  std::string status = "success";  // success | application error | developer error | whisk internal error
  std::string result_json = "{}";
  std::vector<std::string> logs;
  std::int64_t run_us = 0;
  bool container_broken = false;  // crashed, timed out or OOM-killed: destroy it, never reuse
  std::string freshen_json;       // the runtime's freshen report (runtime::RunResult::freshen_json)
};

// Copies a run's outcome into its activation record; returns whether the container may run again.
inline bool record_outcome(RunOutcome&& out, net::ActivationRecord& rec) {
  rec.status = out.status;
  rec.result_json = std::move(out.result_json);
  rec.logs = std::move(out.logs);
  rec.run_us = out.run_us;
  rec.freshen_json = std::move(out.freshen_json);
  return !out.container_broken;
}

class LiveContainer {
 public:
  virtual ~LiveContainer() = default;
  // Runs one invocation; one at a time per container.
  virtual RunOutcome run(const std::string& params_json, std::int64_t timeout_ms) = 0;
  // Whether run_watching watches (a runtime process waits for its reply with poll: net::ReadWatch). A
  // container that does not is never run on the invoker's wire reader (InvokerAgent).
  virtual bool watches() const { return false; }
  // run(), and while it waits for the function `watch`'s descriptor too: its callback runs once, on this
  // thread, if that descriptor becomes readable before the function ends.
  virtual RunOutcome run_watching(const std::string& params_json, std::int64_t timeout_ms, net::ReadWatch& watch) {
    (void)watch;
    return run(params_json, timeout_ms);
  }
  // A run in two steps, so that one thread can wait for several containers at once
  // (invoker/run_multiplexer.h); only where splits_runs(). begin_run starts it: nullopt, or the outcome
  // when it ended at once. Then each time reply_fd() polls readable (or hung up), continue_run() reads
  // without blocking: the outcome once the run ended, nullopt while it runs on. At run_deadline() the
  // caller ends it with expire_run() (a timeout: the container is broken). The same checks and outcomes
  // as run().
  virtual bool splits_runs() const { return false; }
  virtual std::optional<RunOutcome> begin_run(const std::string& params_json, std::int64_t timeout_ms) {
    return run(params_json, timeout_ms);
  }
  virtual int reply_fd() const { return -1; }
  virtual net::FrameClock::time_point run_deadline() const { return net::kNoDeadline; }
  virtual std::optional<RunOutcome> continue_run() { return std::nullopt; }
  virtual RunOutcome expire_run() { return RunOutcome{}; }
  virtual const std::string& id() const = 0;
  // Workers (HyperFaaS's concurrency > 1): a container from create_scalable() runs up to max_workers()
  // invocations at once, on workers 1..n once add_workers(n) succeeded (run_on; each worker one at a
  // time). add_workers is not concurrent with itself; runs on other workers may proceed meanwhile.
  virtual int max_workers() const { return 1; }
  virtual bool add_workers(int count, std::string* error) {
    (void)count;
    *error = "this container has one worker";
    return false;
  }
  virtual RunOutcome run_on(int worker, const std::string& params_json, std::int64_t timeout_ms) {
    (void)worker;
    return run(params_json, timeout_ms);
  }
  // Changes the container's CPU quota while it runs (HyperFaaS's vertical scaling); false if it cannot
  // (not sandboxed).
  virtual bool set_cpu_quota(std::int64_t millicores) {
    (void)millicores;
    return false;
  }
  // What the container's cgroup has counted so far (invoker/resource_usage.h); nullopt when it has no
  // readable cgroup (not sandboxed, or sandboxed without cgroups).
  virtual std::optional<ResourceUsage> usage() const { return std::nullopt; }
  // Container sharing (HyperFaaS): loads `action`'s code into worker `worker` (started by add_workers),
  // which then runs that function while the other workers keep theirs; false with `error` if it cannot.
  virtual bool specialise_worker(int worker, const net::ActionRecord& action, std::int64_t* init_us, std::string* error) {
    (void)worker, (void)action, (void)init_us;
    *error = "this container cannot share its workers";
    return false;
  }
  // Starts the function's freshen hook with `hook_timeout_ms` to run (docs/freshen.md); answered at once,
  // the hook runs on in the container. False with `error` if it did not start (no hook, one still
  // running, a runtime without hooks); `*broken` then says whether the container is unusable (its runtime
  // did not answer). Not concurrent with a run on the same container.
  virtual bool freshen(std::int64_t hook_timeout_ms, std::string* error, bool* broken) {
    (void)hook_timeout_ms;
    *broken = false;
    *error = "this container's runtime has no freshen hooks";
    return false;
  }
  // Whether this container was forked from a zygote (runtime/python_zygote.h) instead of starting a
  // runtime: its start is reported as "zygote".
  virtual bool from_zygote() const { return false; }
  // Whether this container was restored from a function snapshot (invoker/snapshot_container.h): its start
  // is reported as "snapshot".
  virtual bool from_snapshot() const { return false; }
  // A generic (stem-cell) container loads `action`'s code; false with `error` if it cannot.
  virtual bool specialise(const net::ActionRecord& action, std::int64_t* init_us, std::string* error) {
    (void)action, (void)init_us;
    *error = "this container cannot be specialised";
    return false;
  }
};

class ContainerFactory {
 public:
  virtual ~ContainerFactory() = default;
  // Starts and initialises a container for `action`; nullptr with `error` set (and `init_us` measured)
  // when the code fails to initialise.
  virtual std::unique_ptr<LiveContainer> create(const net::ActionRecord& action, std::int64_t* init_us,
                                                std::string* error) = 0;
  // Like create(), with room for `max_workers` concurrent workers (LiveContainer::add_workers); the
  // default ignores it (a one-worker container).
  virtual std::unique_ptr<LiveContainer> create_scalable(const net::ActionRecord& action, int max_workers,
                                                         std::int64_t* init_us, std::string* error) {
    (void)max_workers;
    return create(action, init_us, error);
  }
  // Starts a generic runtime of `runtime` with `memory_mb` (stem-cell prewarming) before any code is
  // known; nullptr if this factory or runtime cannot (native functions are not prewarmed).
  virtual std::unique_ptr<LiveContainer> start_generic(model::RuntimeKind runtime, model::MegaBytes memory_mb) {
    (void)runtime, (void)memory_mb;
    return nullptr;
  }
  // Snapshot-and-release (a keep-alive policy's releases_to_snapshots, docs/faasnap.md): the dispatcher
  // calls release_to_snapshots once; from then on the factory snapshots and restores only when told —
  // snapshot() when the policy released an idle container of `action` (made in the background from the
  // parameters of a run, unless this revision has one), restore() when the policy says a cold start
  // restores. False with `why` when this factory keeps no snapshots (the default).
  virtual bool release_to_snapshots(std::string* why) {
    *why = "this invoker keeps no function snapshots";
    return false;
  }
  virtual void snapshot(const net::ActionRecord& action, const std::string& params_json) { (void)action, (void)params_json; }
  // A container restored from `action`'s snapshot; null with `error` when there is none (not made yet,
  // failed, evicted, another revision) or the restore failed: the caller then starts it with create().
  virtual std::unique_ptr<LiveContainer> restore(const net::ActionRecord& action, std::int64_t* init_us, std::string* error) {
    (void)action, (void)init_us;
    *error = "this invoker keeps no function snapshots";
    return nullptr;
  }
  // Bytes the snapshot images hold on disk now (0 without snapshots).
  virtual std::int64_t snapshot_bytes() const { return 0; }
};

}  // namespace hearth::invoker
