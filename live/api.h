// Api: the OpenWhisk REST API subset that OpenWhisk's clients (wsk, SDKs) use, over Store + Dispatcher.
//   GET    /api/v1/namespaces
//   GET    /api/v1/namespaces/{ns}/actions[?limit,skip]
//   GET|PUT|DELETE /api/v1/namespaces/{ns}/actions/{name}      (PUT ?overwrite=true to update)
//   POST   /api/v1/namespaces/{ns}/actions/{name}[?blocking=true[&result=true]]
//   GET    /api/v1/namespaces/{ns}/activations[?name,limit,skip]
//   GET    /api/v1/namespaces/{ns}/activations/{id}[/logs|/result]
//   GET    /healthz
//   GET    /metrics   Prometheus text (from the metrics source set with set_metrics_source)
// Authentication: HTTP Basic uuid:key per namespace; "_" means the caller's namespace. Errors are JSON
// {"error": message, "code": request id} with OpenWhisk's status codes: 400 malformed, 401 bad auth,
// 403 another namespace, 404 missing, 405 method, 409 exists, 413 payload over the limit, 502 function
// error (blocking invokes), 202 when a blocking invoke outlives its wait (the activation id is returned).
// Thread-safe: handle() may run concurrently on several server threads.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

#include "live/dispatcher.h"
#include "live/http_types.h"
#include "live/store.h"

namespace hearth::live {

struct ApiConfig {
  std::size_t max_payload_bytes = 1 << 20;     // invoke parameters (OpenWhisk default 1 MB)
  std::size_t max_action_bytes = 48 << 20;     // action code
  std::int64_t blocking_wait_ms = 60'000;      // then 202 with the activation id
  std::int64_t max_memory_mb = 2048;
  std::int64_t max_timeout_ms = 300'000;
};

class Api {
 public:
  Api(Store& store, Dispatcher& dispatcher, ApiConfig config = {});
  HttpResponse handle(const HttpRequest& request);
  // Where /metrics text comes from (the platform's dispatcher); unset = 404. Call before serving.
  void set_metrics_source(std::function<std::string()> source) { metrics_ = std::move(source); }

 private:
  HttpResponse route(const HttpRequest& request, const std::string& request_id);
  Store& store_;
  Dispatcher& dispatcher_;
  ApiConfig config_;
  std::atomic<std::uint64_t> next_request_{1};
  std::function<std::string()> metrics_;
};

// A new 32-hex-character activation id (random, as OpenWhisk's).
std::string new_activation_id();
// The OpenWhisk activation JSON for a record (also used by the CLI).
std::string activation_json(const ActivationRecord& a);

}  // namespace hearth::live
