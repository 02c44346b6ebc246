#include "cli/trace_replayer.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <thread>

#include "net/base64.h"
#include "net/http_client.h"

namespace hearth::cli {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kActions = "/api/v1/namespaces/_/actions/";
constexpr std::size_t kMaxErrors = 5;

model::Micros since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
}

bool parse_kind(const std::string& s, model::StartKind* out) {
  if (s == "cold") *out = model::StartKind::kCold;
  else if (s == "warm") *out = model::StartKind::kWarm;
  else if (s == "prewarm") *out = model::StartKind::kPrewarm;
  else if (s == "zygote") *out = model::StartKind::kZygote;
  else if (s == "snapshot") *out = model::StartKind::kSnapshot;
  else return false;
  return true;
}

// Fills `rec` from an activation JSON; false if it is not one.
bool read_activation(const std::string& body, model::RecordedInvocation* rec) {
  const json a = json::parse(body, nullptr, false);
  if (!a.is_object() || !a.contains("hearth") || !a["hearth"].is_object()) return false;
  const json& h = a["hearth"];
  if (!parse_kind(h.value("start_kind", ""), &rec->kind)) return false;
  rec->wait_us = h.value("wait_us", model::Micros{0});
  rec->init_us = h.value("init_us", model::Micros{0});
  rec->run_us = h.value("run_us", model::Micros{0});
  rec->success = a.contains("response") && a["response"].is_object() && a["response"].value("success", false);
  // The body's time to build the memory its container holds (first call only) belongs to the cold start.
  if (rec->success && a["response"].contains("result") && a["response"]["result"].is_object()) {
    const model::Micros hold = std::clamp<model::Micros>(a["response"]["result"].value("hold_us", model::Micros{0}), 0, rec->run_us);
    rec->init_us += hold;
    rec->run_us -= hold;
  }
  return true;
}

// The shared state of one replay: the hand-off queue from the scheduler to the workers and the results.
struct Run {
  Run(const net::ApiEndpoint& e, const std::vector<ReplayFunction>& f, const std::vector<model::Invocation>& p,
      const ReplayOptions& o)
      : endpoint(e), functions(f), plan(p), options(o) {}
  const net::ApiEndpoint& endpoint;
  const std::vector<ReplayFunction>& functions;
  const std::vector<model::Invocation>& plan;
  const ReplayOptions& options;
  Clock::time_point start = Clock::now();

  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::size_t> queue;  // plan indices due and not yet taken
  std::size_t busy = 0;           // queued + being sent
  bool done = false;
  ReplayOutcome out;
  std::size_t completed = 0;

  // Sends invocation `i`; fills `rec` and returns true when an activation record came back.
  bool invoke(net::HttpClient& client, std::size_t i, model::RecordedInvocation* rec, std::string* error) {
    const model::Invocation& inv = plan[i];
    const ReplayFunction& f = functions[inv.function];
    const model::MegaBytes hold = std::max<model::MegaBytes>(0, f.memory_mb - options.runtime_headroom_mb);
    const std::string params =
        json{{"us", inv.exec_us}, {"cpu", options.cpu_fraction}, {"mb", hold}}.dump();
    rec->function = inv.function;
    rec->scheduled_us = inv.arrival_us;
    rec->exec_us = inv.exec_us;
    rec->sent_us = since(start);
    try {
      net::HttpResponse r = client.send({"POST", kActions + f.action + "?blocking=true", endpoint.authorization, params});
      if (r.status == 202) {  // the API's blocking wait passed first: fetch the record when it is stored
        const std::string id = json::parse(r.body, nullptr, false).value("activationId", "");
        const model::Micros deadline = since(start) + model::millis(f.timeout_ms) + model::seconds(30);
        while (!id.empty() && since(start) < deadline) {
          r = client.send({"GET", "/api/v1/namespaces/_/activations/" + id, endpoint.authorization, ""});
          if (r.status == 200) break;
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
      }
      rec->latency_us = since(start) - rec->sent_us;
      if (read_activation(r.body, rec)) return true;
      *error = f.action + ": HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 200);
    } catch (const std::exception& e) {
      *error = f.action + ": " + e.what();
    }
    return false;
  }

  void work() {
    net::HttpClient client(endpoint.host, endpoint.port);
    while (true) {
      std::size_t i;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return done || !queue.empty(); });
        if (queue.empty()) return;
        i = queue.front();
        queue.pop_front();
      }
      model::RecordedInvocation rec;
      std::string error;
      const bool ok = invoke(client, i, &rec, &error);
      std::lock_guard lock(mu);
      --busy;
      ++completed;
      if (ok) {
        out.records.push_back(rec);
      } else {
        out.failed.push_back(plan[i].function);
        if (out.errors.size() < kMaxErrors) out.errors.push_back(error);
      }
    }
  }

  void report(std::size_t due) {
    if (!options.progress) return;
    ReplayProgress p;
    {
      std::lock_guard lock(mu);
      p.completed = completed;
      p.unsent = out.unsent.size();
      p.failed = out.failed.size();
      p.in_flight = busy;
    }
    p.total = plan.size();
    p.due = due;
    p.elapsed_us = since(start);
    p.span_us = plan.empty() ? 0 : plan.back().arrival_us;
    options.progress(p);
  }

  void schedule() {
    model::Micros next_report = 0;
    for (std::size_t i = 0; i < plan.size(); ++i) {
      // Sleep to the invocation's time in slices, so that progress keeps being reported.
      for (model::Micros now = since(start); now < plan[i].arrival_us; now = since(start)) {
        if (now >= next_report) {
          report(i);
          next_report = now + options.progress_interval_us;
        }
        const model::Micros wake = std::min(plan[i].arrival_us, next_report);
        std::this_thread::sleep_until(start + std::chrono::microseconds(wake));
      }
      {
        std::lock_guard lock(mu);
        if (busy >= options.max_in_flight) {
          out.unsent.push_back(plan[i].function);
          continue;
        }
        ++busy;
        queue.push_back(i);
      }
      cv.notify_one();
    }
    // Wait for the last ones, still reporting.
    while (true) {
      {
        std::lock_guard lock(mu);
        if (busy == 0) break;
      }
      report(plan.size());
      std::this_thread::sleep_for(std::chrono::microseconds(std::min<model::Micros>(options.progress_interval_us, 50'000)));
    }
    report(plan.size());
  }
};

}  // namespace

void deploy_actions(const net::ApiEndpoint& endpoint, const std::vector<ReplayFunction>& functions,
                    const std::string& code) {
  net::HttpClient client(endpoint.host, endpoint.port);
  const std::string encoded = net::base64_encode(code);
  for (const ReplayFunction& f : functions) {
    if (f.action.empty()) continue;
    const json body = {{"exec", {{"kind", "native"}, {"code", encoded}, {"main", "main"}}},
                       {"limits", {{"memory", f.memory_mb}, {"timeout", f.timeout_ms}}}};
    const net::HttpResponse r = client.send({"PUT", kActions + f.action + "?overwrite=true", endpoint.authorization, body.dump()});
    if (r.status != 200)
      throw std::runtime_error("cannot deploy action '" + f.action + "' (" + std::to_string(f.memory_mb) + " MB, " +
                               std::to_string(f.timeout_ms) + " ms): HTTP " + std::to_string(r.status) + ": " + r.body);
  }
}

void delete_actions(const net::ApiEndpoint& endpoint, const std::vector<ReplayFunction>& functions) {
  try {
    net::HttpClient client(endpoint.host, endpoint.port);
    for (const ReplayFunction& f : functions)
      if (!f.action.empty()) client.send({"DELETE", kActions + f.action, endpoint.authorization, ""});
  } catch (const std::exception&) {
    // Best effort: the platform may be gone already.
  }
}

ReplayOutcome replay_trace(const net::ApiEndpoint& endpoint, const std::vector<ReplayFunction>& functions,
                           const std::vector<model::Invocation>& plan, const ReplayOptions& options) {
  if (options.max_in_flight == 0) throw std::invalid_argument("the in-flight bound must be at least 1");
  for (const model::Invocation& inv : plan)
    if (inv.function >= functions.size() || functions[inv.function].action.empty())
      throw std::invalid_argument("invocation " + std::to_string(inv.id) + " names function " +
                                  std::to_string(inv.function) + ", which has no action");
  Run run(endpoint, functions, plan, options);
  std::vector<std::thread> workers;
  workers.reserve(options.max_in_flight);
  for (std::size_t i = 0; i < options.max_in_flight; ++i) workers.emplace_back([&run] { run.work(); });
  run.start = Clock::now();
  run.schedule();
  {
    std::lock_guard lock(run.mu);
    run.done = true;
  }
  run.cv.notify_all();
  for (std::thread& t : workers) t.join();
  run.out.wall_seconds = static_cast<double>(since(run.start)) / model::kMicrosPerSecond;
  return std::move(run.out);
}

}  // namespace hearth::cli
