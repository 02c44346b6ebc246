// Api: the OpenWhisk REST API subset that OpenWhisk's clients (wsk, SDKs) use, over Store + Dispatcher.
//   GET    /api/v1/namespaces
//   GET    /api/v1/namespaces/{ns}/actions[?limit,skip]
//   GET|PUT|DELETE /api/v1/namespaces/{ns}/actions/{name}      (PUT ?overwrite=true to update)
//   POST   /api/v1/namespaces/{ns}/actions/{name}[?blocking=true[&result=true]]
//          (an action, or a sequence: exec.kind "sequence" with exec.components, run here: sequence.h)
//   GET    /api/v1/namespaces/{ns}/activations[?name,limit,skip]
//   GET    /api/v1/namespaces/{ns}/activations/{id}[/logs|/result]
//   GET    /healthz
//   GET    /metrics   Prometheus text (from the metrics source set with set_metrics_source)
//   GET    /invokers  OpenWhisk's invoker health map, {"invoker0/0": "up", ...} (set_invokers_source)
// /metrics and /invokers need a namespace's key too (HTTP Basic, as Prometheus' basic_auth sends it):
// they show every tenant's load; only /healthz answers without one.
// Names: every namespace and action segment follows OpenWhisk's entity-name rule (live/entity_name.h; "."
// and ".." are refused with 400), activation ids are 32 hex digits; `limit` is 0..200 (0 = 200, default
// 30) and `skip` >= 0, else 400 with OpenWhisk's messages.
// Authentication: HTTP Basic uuid:key per namespace, checked against the store on every request
// (Store::authenticate: salted hash, constant-time compare; rows cached only until the keys file
// changes, so a rotated key fails at once);
// "_" means the caller's namespace, and a key reaches only its own namespace's entities. Errors are JSON
// {"error": message, "code": request id} with OpenWhisk's status codes: 400 malformed, 401 bad auth,
// 403 another namespace, 404 missing, 405 method, 409 exists, 413 payload over the limit, 429 too many
// invocations of the namespace in flight (ApiConfig::max_in_flight), 502 function error (blocking
// invokes), 202 when a blocking invoke outlives its wait (the activation id is returned).
// Thread-safe: handle() and handle_async() may run concurrently on several server threads.
// handle_async() answers every request at once except blocking invokes, whose response is delivered
// later from the dispatcher's completion once its activation record is on disk (Store::put_activation's
// `written`: an answered record survives a controller kill), or at blocking_wait_ms as a 202 if the
// store cannot write it by then (no thread waits for the function), so a server needs no
// worker thread per in-flight invoke; handle() is the synchronous form (tests, simple callers).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "invoker/dispatcher.h"
#include "net/http_handler.h"
#include "controller/in_flight_limit.h"
#include "controller/library_repository.h"
#include "controller/store.h"

namespace hearth::net {
class CpuWakeLatencyHold;
}

namespace hearth::controller {

struct SequenceRunner;
class AnswerLog;

// OpenWhisk's whisk.query-limit: list operations return 30 entries unless `limit` says (at most 200).
inline constexpr int kDefaultListLimit = 30;
inline constexpr int kMaxListLimit = 200;
// limits.cpu's lower bound: 10 millicores, a 1 ms quota per 100 ms period (the kernel's minimum is 1 ms).
inline constexpr double kMinCpuCores = 0.01;

struct ApiConfig {
  std::size_t max_payload_bytes = 1 << 20;     // invoke parameters (OpenWhisk default 1 MB)
  std::size_t max_action_bytes = 48 << 20;     // action code
  std::int64_t blocking_wait_ms = 60'000;      // then 202 with the activation id
  // A blocking invoke is answered once its record is committed. false answers as soon as it is queued:
  // faster, but a controller killed within the store's batch window loses an answered record (found by
  // tests/e2e/chaos_test.cc); kept as api_bench's baseline for what the wait costs.
  bool answer_after_record_written = true;
  // With it, a blocking invoke is answered once its record is copied into this log; the store's writer
  // commits the record with its next batch and releases it (controller/answer_log.h: the answer still
  // survives a kill; reads find the record, queued in the store, at once). Null, or the log full or the
  // record too large for it: answered after the commit. Not owned; outlives the Api.
  AnswerLog* answer_log = nullptr;
  // Told of every accepted invocation, so that idle CPUs are kept quick to wake while they keep coming
  // (net/cpu_wake_latency.h, `hearth up --cpu-wake-latency-us`). Null: none. Not owned; outlives the Api.
  net::CpuWakeLatencyHold* wake_latency = nullptr;
  std::int64_t max_memory_mb = 2048;
  std::int64_t max_timeout_ms = 300'000;
  double max_cpu_cores = 64;  // limits.cpu's upper bound (its lower bound is kMinCpuCores)
  // Invocations in flight per namespace (accepted, not yet ended); past it 429 with OpenWhisk's "Too many
  // concurrent requests in flight" (live/in_flight_limit.h). 0: no bound.
  std::int64_t max_in_flight = 1000;
  // The library repository that an action's "libraries" annotation (OpenWhisk-style: {"key": "libraries",
  // "value": ["numpy", ...]}) is checked against: known names only, at most net::kMaxDeclaredLibraries,
  // Python actions only (docs/libraries.md). Null: an action declaring libraries is refused. An invoke
  // resolves the declared names to their dependency closure here (InvocationRequest's library_refs), so
  // in-process and remote invokers both get it; a name the repository lost since is a 502.
  std::shared_ptr<const LibraryRepository> libraries{};
  // freshen along chains (docs/freshen.md, `hearth up --freshen on`): as a sequence's component starts,
  // the next component's hook is started in an idle container of it (Dispatcher::freshen) with
  // freshen_timeout_ms to run. Off by default: a hook spends the function owner's resources.
  bool freshen_chains = false;
  std::int64_t freshen_timeout_ms = 10'000;
};

class Api final : public net::HttpHandler {
 public:
  Api(Store& store, invoker::Dispatcher& dispatcher, ApiConfig config = {});
  // Waits for a blocking invoke's completion (at most blocking_wait_ms, then 202).
  net::HttpResponse handle(const net::HttpRequest& request);
  // Answers at once (`now`; `deliver` is never called), or later through `deliver`, called exactly once,
  // possibly on another thread and possibly before this returns (see AsyncAnswer).
  net::AsyncAnswer handle_async(const net::HttpRequest& request, std::function<void(net::HttpResponse)> deliver) override;
  // The largest body this request may carry, from its method and target alone (the server enforces it
  // while reading, before buffering): an invoke max_payload_bytes, an action PUT max_action_bytes,
  // anything else kSmallBodyBytes. Limits above kSmallBodyBytes are for authenticated callers only: the
  // server asks authenticates() before reading more than that.
  std::size_t body_limit(const std::string& method, const std::string& target) const override;
  bool authenticates(const std::string& authorization) override;
  // Where /metrics text comes from (the platform's dispatcher); unset = 404. Call before serving.
  void set_metrics_source(std::function<std::string()> source) { metrics_ = std::move(source); }
  // Where /invokers' JSON comes from; unset = 404. Call before serving.
  void set_invokers_source(std::function<std::string()> source) { invokers_ = std::move(source); }
  // Invocations in flight per namespace and the refusals past the bound (for /metrics and tests).
  const InFlightLimit& in_flight() const { return *in_flight_; }
  // Prometheus text of the API's own counters (in-flight invocations, refusals).
  std::string prometheus_metrics() const;

 private:
  net::AsyncAnswer route(const net::HttpRequest& request, const std::string& request_id,
                    std::function<void(net::HttpResponse)>& deliver);
  Store& store_;
  ApiConfig config_;
  std::atomic<std::uint64_t> next_request_{1};
  std::function<std::string()> metrics_;
  std::function<std::string()> invokers_;
  std::shared_ptr<InFlightLimit> in_flight_;  // shared with completions that may outlive a request
  std::shared_ptr<SequenceRunner> sequences_;  // runs sequences (and dispatches actions) for invokes
  // freshen hooks asked for along chains, and those that started (an idle container of the next
  // component was there and its runtime has a hook): /metrics.
  std::shared_ptr<std::atomic<std::uint64_t>> freshen_requested_, freshen_started_;
};

// A new 32-hex-character activation id, as OpenWhisk's: 13 hex digits of the wall clock in µs, then 19
// random ones (76 bits). Ids made one after another sort together, so the records committed in one group
// share the pages of the store's id index instead of each writing a random page of it (docs/warm-path.md).
std::string new_activation_id();
// The OpenWhisk activation JSON for a record (also used by the CLI).
std::string activation_json(const net::ActivationRecord& a);

}  // namespace hearth::controller
