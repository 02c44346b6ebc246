// TraceReplayer: drives a running platform (`hearth up`) over its OpenWhisk REST API with a trace's
// invocations at the trace's timing, the load generator behind `hearth replay` (like vHive's invitro
// loader). One native action per function, all running the same body (runtime/native/replay_function.cc)
// that is told its run time and memory per call.
//
// Open loop: a scheduling thread releases each invocation at its time (steady clock from the start of
// the replay), whatever earlier ones are doing. `max_in_flight` worker threads, each with its own
// keep-alive connection, send blocking invokes (?blocking=true) and read the activation record from the
// response (start kind, wait, init and run times), so nothing is polled and the client's latency is
// measured on the same request. An invocation that is due while every worker is busy is not sent and is
// counted (`unsent`): the replay never queues, which would shift the trace's timing. A blocking invoke
// that outlives the API's wait (202) is finished by fetching its record. Each send's lag behind its
// schedule is kept in the record. The time the body spent building the memory its container holds
// (`hold_us` in its result: a container's first call) is moved from the record's run time to its init
// time: a real function builds its heap while it initialises, and the simulator's cold start covers it.
// Threads: 1 scheduler + max_in_flight workers; memory O(invocations). Throws std::runtime_error when an
// action cannot be deployed (naming it and the platform's answer).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "model/invocation.h"
#include "net/http_client.h"
#include "model/recorded_invocation.h"

namespace hearth::cli {

// One action per function of the workload; `action` empty for functions the replay never invokes.
struct ReplayFunction {
  std::string action;
  model::MegaBytes memory_mb = 128;  // the action's memory limit
  std::int64_t timeout_ms = 60'000;  // the action's time limit
};

struct ReplayProgress {
  std::size_t total = 0, due = 0, completed = 0, unsent = 0, failed = 0, in_flight = 0;
  model::Micros elapsed_us = 0, span_us = 0;
};

struct ReplayOptions {
  std::size_t max_in_flight = 64;
  double cpu_fraction = 0;                   // share of each run time the body spins; the rest it sleeps
  model::MegaBytes runtime_headroom_mb = 16; // the body holds memory_mb minus this (the runtime's own)
  model::Micros progress_interval_us = 200'000;
  std::function<void(const ReplayProgress&)> progress;  // from the scheduling thread; may be empty
};

struct ReplayOutcome {
  std::vector<model::RecordedInvocation> records;  // one per invocation that got an activation record
  std::vector<model::FunctionId> unsent;           // due while every worker was busy
  std::vector<model::FunctionId> failed;           // sent, no activation record (HTTP or connection error)
  std::vector<std::string> errors;                 // the first few failures' messages
  double wall_seconds = 0;
};

// PUTs (overwriting) one native action per used function with `code` (the body's shared object).
void deploy_actions(const net::ApiEndpoint& endpoint, const std::vector<ReplayFunction>& functions,
                    const std::string& code);
// Deletes them again (errors ignored: best effort at the end of a replay).
void delete_actions(const net::ApiEndpoint& endpoint, const std::vector<ReplayFunction>& functions);

// Replays `plan` (arrival order, arrival_us from the start) against deployed actions.
ReplayOutcome replay_trace(const net::ApiEndpoint& endpoint, const std::vector<ReplayFunction>& functions,
                           const std::vector<model::Invocation>& plan, const ReplayOptions& options);

}  // namespace hearth::cli
