#include "controller/api.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <sstream>
#include <vector>

#include "controller/answer_log.h"
#include "controller/entity_name.h"
#include "controller/freshen_annotation.h"
#include "controller/sequence.h"
#include "net/cpu_wake_latency.h"

namespace hearth::controller {
namespace {

using nlohmann::json;

net::HttpResponse error(int status, const std::string& message, const std::string& request_id) {
  return net::HttpResponse{status, "application/json", json{{"error", message}, {"code", request_id}}.dump()};
}

net::HttpResponse ok_json(const json& body, int status = 200) { return net::HttpResponse{status, "application/json", body.dump()}; }

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

// OpenWhisk's list bounds (Collection.scala, whisk.query-limit): limit 1..200 (0 = the maximum, absent =
// 30), skip >= 0; anything else is a 400 with OpenWhisk's messages. False with *error set.
bool list_param(const std::map<std::string, std::string>& q, const std::string& key, const std::string& collection,
                int* value, std::string* error) {
  const auto it = q.find(key);
  if (it == q.end()) return true;
  long long n = 0;
  std::size_t used = 0;
  try {
    n = std::stoll(it->second, &used);
  } catch (...) {
    used = 0;
  }
  if (used == 0 || used != it->second.size() || n < INT32_MIN || n > INT32_MAX) {
    *error = "The value '" + it->second + "' is not an integer for " + collection + ".";
    return false;
  }
  if (key == "limit") {
    if (n < 0 || n > kMaxListLimit) {
      *error = "The value '" + std::to_string(n) + "' is not in the range of 0 to " + std::to_string(kMaxListLimit) +
               " for " + collection + ".";
      return false;
    }
    *value = n == 0 ? kMaxListLimit : static_cast<int>(n);
    return true;
  }
  if (n < 0) {
    *error = "The value '" + std::to_string(n) + "' is not greater than or equal to 0 for " + collection + ".";
    return false;
  }
  *value = static_cast<int>(n);
  return true;
}

bool flag(const std::map<std::string, std::string>& q, const std::string& key) {
  auto it = q.find(key);
  return it != q.end() && (it->second == "true" || it->second.empty());
}

json action_json(const net::ActionRecord& a, bool with_code) {
  json exec = {{"kind", a.kind}, {"binary", a.kind == "native"}, {"main", a.entry}};
  if (a.kind == kSequenceKind) exec = {{"kind", a.kind}, {"binary", false}, {"components", sequence_components(a)}};
  else if (with_code) exec["code"] = a.code.str();
  json limits = {{"memory", a.memory_mb}, {"timeout", a.timeout_ms}, {"logs", 10}};
  if (a.cpu_millicores > 0) limits["cpu"] = static_cast<double>(a.cpu_millicores) / 1000.0;  // cores
  return {{"namespace", a.ns},
          {"name", a.name},
          {"version", "0.0." + std::to_string(a.version)},
          {"exec", exec},
          {"limits", limits},
          {"publish", false},
          {"annotations", a.libraries.empty() ? json::array({{{"key", "exec"}, {"value", a.kind}}})
                                              : json::array({{{"key", "exec"}, {"value", a.kind}},
                                                             {{"key", "libraries"}, {"value", a.libraries}}})},
          {"updated", a.updated_us / 1000}};
}

// Cores as a short decimal ("0.01", "64").
std::string format_cores(double cores) {
  std::ostringstream out;
  out << cores;
  return out.str();
}

int status_code(const std::string& status) {
  if (status == "success") return 0;
  if (status == "application error") return 1;
  if (status == "developer error") return 2;
  return 3;
}

json parse_result(const std::string& text) {
  json r = json::parse(text, nullptr, /*allow_exceptions=*/false);
  return r.is_discarded() ? json{{"error", text}} : r;
}

// PUT of exec.kind "sequence": components qualified and checked (sequence.h), then stored.
net::HttpResponse put_sequence(Store& store, const std::string& ns, const std::string& name, const json& body,
                               bool overwrite, const std::string& rid) {
  const json& exec = body["exec"];
  const json components = exec.value("components", json());
  if (!components.is_array() || !std::all_of(components.begin(), components.end(), [](const json& c) { return c.is_string(); }))
    return error(400, "The request content was malformed:\na sequence's 'exec.components' must be an array of action names", rid);
  if (components.size() > kMaxSequenceActions) return error(400, kSequenceIsTooLong, rid);
  std::vector<std::string> qualified;
  for (const json& c : components) {
    std::string why;
    qualified.push_back(qualify_component(c.get<std::string>(), ns, &why));
    if (!why.empty()) return error(400, "The request content was malformed:\n" + why, rid);
  }
  if (const std::string why = check_sequence(store, ns, name, qualified); !why.empty()) return error(400, why, rid);
  net::ActionRecord a;
  a.ns = ns;
  a.name = name;
  a.kind = kSequenceKind;
  a.code = sequence_code(qualified);
  a.entry = "";
  a.updated_us = net::wall_us();
  if (!store.put_action(a, overwrite)) return error(409, "resource already exists", rid);
  return ok_json(action_json(a, false));
}

}  // namespace

std::string new_activation_id() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char buf[34];
  const auto us = static_cast<unsigned long long>(net::wall_us()) & ((1ull << 52) - 1);  // 13 hex digits: 142 years
  std::snprintf(buf, sizeof buf, "%013llx%016llx%03llx", us, static_cast<unsigned long long>(rng()),
                static_cast<unsigned long long>(rng() & 0xfff));
  return std::string(buf, 32);
}

std::string activation_json(const net::ActivationRecord& a) {
  const int code = status_code(a.status);
  json j = {{"activationId", a.id},
            {"namespace", a.ns},
            {"name", a.action},
            {"start", a.start_us / 1000},
            {"end", a.end_us / 1000},
            {"duration", activation_duration_us(a) / 1000},
            {"response", {{"status", a.status}, {"statusCode", code}, {"success", code == 0}, {"result", parse_result(a.result_json)}}},
            {"logs", a.logs},
            {"annotations",
             json::array({{{"key", "waitTime"}, {"value", a.wait_us / 1000}},
                          {{"key", "initTime"}, {"value", a.init_us / 1000}},
                          {{"key", "startKind"}, {"value", a.start_kind}}})},
            // Hearth's own detail, in microseconds: why was this invocation slow?
            {"hearth",
             {{"start_kind", a.start_kind}, {"invoker", a.invoker}, {"container", a.container}, {"wait_us", a.wait_us},
              {"init_us", a.init_us}, {"run_us", a.run_us}}}};
  // A sequence has no container of its own: only its own annotations (topmost, path, kind, limits).
  if (a.start_kind == kSequenceKind) j["annotations"] = json::array();
  if (!a.annotations_json.empty()) {
    const json extra = json::parse(a.annotations_json, nullptr, false);
    if (extra.is_array())
      for (const json& an : extra) j["annotations"].push_back(an);
  }
  if (!a.cause.empty()) j["cause"] = a.cause;
  return j.dump();
}

Api::Api(Store& store, invoker::Dispatcher& dispatcher, ApiConfig config)
    : store_(store), config_(config),
      in_flight_(std::make_shared<InFlightLimit>(config.max_in_flight)),
      sequences_(std::make_shared<SequenceRunner>(SequenceRunner{store, dispatcher, config.libraries, nullptr})),
      freshen_requested_(std::make_shared<std::atomic<std::uint64_t>>(0)),
      freshen_started_(std::make_shared<std::atomic<std::uint64_t>>(0)) {
  if (config.freshen_timeout_ms < 1 || config.freshen_timeout_ms > invoker::kMaxFreshenTimeoutMs)
    throw std::invalid_argument("freshen timeout " + std::to_string(config.freshen_timeout_ms) + " ms: it must be in [1, " +
                                std::to_string(invoker::kMaxFreshenTimeoutMs) + "] ms");
  if (!config.freshen_chains) return;
  sequences_->on_component_start = [&dispatcher, timeout = config.freshen_timeout_ms, requested = freshen_requested_,
                                    started = freshen_started_](const net::ActionRecord&, const net::ActionRecord* next) {
    if (!next) return false;
    ++*requested;
    const bool ok = dispatcher.freshen(*next, timeout);
    *started += ok;
    return ok;
  };
}

std::string Api::prometheus_metrics() const {
  return "# TYPE hearth_api_refused_too_many_in_flight_total counter\n"
         "hearth_api_refused_too_many_in_flight_total " + std::to_string(in_flight_->refused()) + "\n"
         "# TYPE hearth_api_freshen_chain_total counter\n"
         "hearth_api_freshen_chain_total{result=\"requested\"} " + std::to_string(freshen_requested_->load()) + "\n"
         "hearth_api_freshen_chain_total{result=\"started\"} " + std::to_string(freshen_started_->load()) + "\n";
}

net::HttpResponse Api::handle(const net::HttpRequest& request) {
  auto promise = std::make_shared<std::promise<net::HttpResponse>>();
  auto future = promise->get_future();
  net::AsyncAnswer a = handle_async(request, [promise](net::HttpResponse r) { promise->set_value(std::move(r)); });
  if (a.now) return std::move(*a.now);
  if (future.wait_for(std::chrono::milliseconds(a.wait_ms)) != std::future_status::ready)
    a.pending->send(std::move(a.timeout));  // no-op if the completion won the race
  return future.get();
}

std::size_t Api::body_limit(const std::string& method, const std::string& target) const {
  const std::vector<std::string> parts = split_path(target.substr(0, target.find('?')));
  if (parts.size() == 6 && parts[4] == "actions") {
    if (method == "POST") return std::max(net::kSmallBodyBytes, config_.max_payload_bytes);
    if (method == "PUT") return std::max(net::kSmallBodyBytes, config_.max_action_bytes);
  }
  return net::kSmallBodyBytes;
}

bool Api::authenticates(const std::string& authorization) {
  std::string user, key;
  return net::decode_basic_auth(authorization, &user, &key) && store_.authenticate(user, key).has_value();
}

net::AsyncAnswer Api::handle_async(const net::HttpRequest& request, std::function<void(net::HttpResponse)> deliver) {
  char id[24];
  std::snprintf(id, sizeof id, "req-%llu", static_cast<unsigned long long>(next_request_++));
  try {
    return route(request, id, deliver);
  } catch (const StoreError& e) {
    return error(500, e.what(), id);
  } catch (const std::exception& e) {
    return error(500, std::string("internal error: ") + e.what(), id);
  }
}

net::AsyncAnswer Api::route(const net::HttpRequest& req, const std::string& rid, std::function<void(net::HttpResponse)>& deliver) {
  const net::ParsedTarget target = net::parse_target(req.target);
  const std::vector<std::string> parts = split_path(target.path);
  if (parts.size() == 1 && parts[0] == "healthz") return ok_json({{"status", "ok"}});
  const bool operator_view = parts.size() == 1 && ((parts[0] == "metrics" && metrics_) || (parts[0] == "invokers" && invokers_));
  if (!operator_view && (parts.size() < 3 || parts[0] != "api" || parts[1] != "v1" || parts[2] != "namespaces"))
    return error(404, "The requested resource does not exist.", rid);

  std::string user, key;
  if (!net::decode_basic_auth(req.authorization, &user, &key)) return error(401, "The supplied authentication is invalid.", rid);
  const auto ns = store_.authenticate(user, key);
  if (!ns) return error(401, "The supplied authentication is invalid.", rid);
  if (operator_view) {
    if (parts[0] == "metrics") return net::HttpResponse{200, "text/plain; version=0.0.4", metrics_() + prometheus_metrics()};
    return net::HttpResponse{200, "application/json", invokers_()};
  }

  if (parts.size() == 3) {
    if (req.method != "GET") return error(405, "Method not allowed.", rid);
    return ok_json(json::array({*ns}));
  }
  if (parts[3] != "_" && !valid_entity_name(parts[3])) return error(400, entity_name_error("namespace", parts[3]), rid);
  const std::string& path_ns = parts[3] == "_" ? *ns : parts[3];
  if (path_ns != *ns) return error(403, "The supplied authentication is not authorized to access '" + parts[3] + "'.", rid);
  if (parts.size() < 5) return error(404, "The requested resource does not exist.", rid);
  const std::string& collection = parts[4];

  if (collection == "actions") {
    if (parts.size() == 5) {
      if (req.method != "GET") return error(405, "Method not allowed.", rid);
      int limit = kDefaultListLimit, skip = 0;
      std::string bad;
      if (!list_param(target.query, "limit", "actions", &limit, &bad) || !list_param(target.query, "skip", "actions", &skip, &bad))
        return error(400, bad, rid);
      json list = json::array();
      for (const auto& a : store_.list_actions(*ns, limit, skip))
        list.push_back(action_json(a, false));
      return ok_json(list);
    }
    if (parts.size() != 6) return error(404, "The requested resource does not exist.", rid);
    const std::string& name = parts[5];
    if (!valid_entity_name(name)) return error(400, entity_name_error("action name", name), rid);

    if (req.method == "GET") {
      const auto a = store_.get_action(*ns, name);
      if (!a) return error(404, "The requested resource does not exist.", rid);
      return ok_json(action_json(*a, true));
    }
    if (req.method == "DELETE") {
      const auto a = store_.get_action(*ns, name);
      if (!a || !store_.delete_action(*ns, name)) return error(404, "The requested resource does not exist.", rid);
      return ok_json(action_json(*a, false));
    }
    if (req.method == "PUT") {
      if (req.body.size() > config_.max_action_bytes)
        return error(413, "The request content was malformed:\nrequest entity too large (" + std::to_string(req.body.size()) +
                              " bytes > " + std::to_string(config_.max_action_bytes) + ")", rid);
      const json body = json::parse(req.body, nullptr, false);
      if (body.is_discarded() || !body.is_object()) return error(400, "The request content was malformed:\nbody is not a JSON object", rid);
      if (body.contains("exec") && body["exec"].is_object() && body["exec"].value("kind", json()) == kSequenceKind)
        return put_sequence(store_, *ns, name, body, flag(target.query, "overwrite"), rid);
      if (!body.contains("exec") || !body["exec"].is_object() || !body["exec"].value("kind", json()).is_string() ||
          !body["exec"].value("code", json()).is_string())
        return error(400, "The request content was malformed:\n'exec' must be an object with string 'kind' and 'code'", rid);
      net::ActionRecord a;
      a.ns = *ns;
      a.name = name;
      a.kind = body["exec"]["kind"].get<std::string>();
      if (a.kind != "python:3" && a.kind != "nodejs:20" && a.kind != "native" && a.kind != "python:default" &&
          a.kind != "nodejs:default")
        return error(400, "The request content was malformed:\nunsupported kind '" + a.kind +
                              "' (python:3, nodejs:20, native)", rid);
      if (a.kind == "python:default") a.kind = "python:3";
      if (a.kind == "nodejs:default") a.kind = "nodejs:20";
      a.code = body["exec"]["code"].get<std::string>();
      if (body["exec"].contains("main") && body["exec"]["main"].is_string()) a.entry = body["exec"]["main"].get<std::string>();
      if (body.contains("limits") && body["limits"].is_object()) {
        const json& l = body["limits"];
        if (l.contains("memory")) {
          if (!l["memory"].is_number_integer() || l["memory"].get<std::int64_t>() < 32 ||
              l["memory"].get<std::int64_t>() > config_.max_memory_mb)
            return error(400, "The request content was malformed:\nlimits.memory must be an integer in [32, " +
                                  std::to_string(config_.max_memory_mb) + "] MB", rid);
          a.memory_mb = l["memory"].get<std::int64_t>();
        }
        if (l.contains("timeout")) {
          if (!l["timeout"].is_number_integer() || l["timeout"].get<std::int64_t>() < 100 ||
              l["timeout"].get<std::int64_t>() > config_.max_timeout_ms)
            return error(400, "The request content was malformed:\nlimits.timeout must be an integer in [100, " +
                                  std::to_string(config_.max_timeout_ms) + "] ms", rid);
          a.timeout_ms = l["timeout"].get<std::int64_t>();
        }
        if (l.contains("cpu")) {  // cores, kept as whole millicores
          const double cores = l["cpu"].is_number() ? l["cpu"].get<double>() : -1;
          if (!(cores >= kMinCpuCores && cores <= config_.max_cpu_cores))
            return error(400, "The request content was malformed:\nlimits.cpu must be a number of cores in [" +
                                  format_cores(kMinCpuCores) + ", " + format_cores(config_.max_cpu_cores) + "], got " +
                                  l["cpu"].dump(), rid);
          a.cpu_millicores = std::llround(cores * 1000.0);
        }
      }
      if (body.contains("annotations")) {  // OpenWhisk's [{"key", "value"}]; "libraries" is read, the rest ignored
        const json& anns = body["annotations"];
        if (!anns.is_array()) return error(400, "The request content was malformed:\n'annotations' must be an array", rid);
        for (const json& an : anns) {
          if (!an.is_object() || !an.contains("key") || !an["key"].is_string())
            return error(400, "The request content was malformed:\neach annotation must be an object with a string 'key'", rid);
          if (an["key"] != "libraries") continue;
          const json& v = an.contains("value") ? an["value"] : json();
          if (!v.is_array() || !std::all_of(v.begin(), v.end(), [](const json& x) { return x.is_string(); }))
            return error(400, "The request content was malformed:\nthe 'libraries' annotation's value must be an array of names", rid);
          if (v.size() > net::kMaxDeclaredLibraries)
            return error(400, "The request content was malformed:\n" + std::to_string(v.size()) + " libraries declared, at most " +
                                  std::to_string(net::kMaxDeclaredLibraries) + " are allowed", rid);
          a.libraries = v.get<std::vector<std::string>>();
        }
      }
      if (!a.libraries.empty()) {
        if (a.kind != "python:3")
          return error(400, "The request content was malformed:\nlibraries are Python packages: a " + a.kind +
                                " action cannot declare them", rid);
        if (!config_.libraries)
          return error(400, "The request content was malformed:\nthis controller has no library repository (hearth up "
                            "--library-repo DIR): it cannot run actions that declare libraries", rid);
        if (const std::string why = config_.libraries->check(a.libraries); !why.empty())
          return error(400, "The request content was malformed:\n" + why, rid);
      }
      a.updated_us = net::wall_us();
      if (!store_.put_action(a, flag(target.query, "overwrite")))
        return error(409, "resource already exists", rid);
      return ok_json(action_json(a, false));
    }
    if (req.method != "POST") return error(405, "Method not allowed.", rid);

    // Invoke.
    if (req.body.size() > config_.max_payload_bytes)
      return error(413, "The request content was malformed:\nrequest entity too large (" + std::to_string(req.body.size()) +
                            " bytes > " + std::to_string(config_.max_payload_bytes) + ")", rid);
    auto action = store_.get_action(*ns, name);
    if (!action) return error(404, "The requested resource does not exist.", rid);
    json params = req.body.empty() ? json::object() : json::parse(req.body, nullptr, false);
    if (params.is_discarded() || !params.is_object())
      return error(400, "The request content was malformed:\nparameters must be a JSON object", rid);
    if (!action->libraries.empty()) {  // the closure the invoker prepares and mounts (docs/libraries.md)
      try {
        if (!config_.libraries) throw std::invalid_argument("this controller has no library repository (--library-repo DIR)");
        action->library_refs = config_.libraries->resolve(action->libraries);
      } catch (const std::exception& e) {
        return error(502, std::string("cannot resolve the action's libraries: ") + e.what(), rid);
      }
    }
    std::int64_t in_flight = 0;
    std::shared_ptr<InFlightLimit::Slot> slot = in_flight_->try_acquire(*ns, &in_flight);
    if (!slot) return error(429, in_flight_->message(in_flight), rid);
    if (config_.wake_latency) config_.wake_latency->note_activity();
    net::InvocationRequest inv{std::move(*action), params.dump(), new_activation_id(), net::wall_us()};  // no copy of the code
    const std::string id = inv.activation_id;
    const net::ActivationRecord stub = net::record_for(inv);
    Store* store = &store_;
    AcceptedInvocation journal{id, *ns, name, inv.arrival_us};
    // How it runs: an action is one dispatch; a sequence is run here, component by component (sequence.h).
    auto run = [sequences = sequences_, inv = std::move(inv)](std::function<void(net::ActivationRecord)> done) mutable {
      if (inv.action.kind == kSequenceKind)
        run_sequence(*sequences, inv.action, std::move(inv.params_json), inv.activation_id, std::move(done));
      else
        sequences->dispatcher.dispatch(std::move(inv), [done = std::move(done)](net::ActivationRecord r) {
          annotate_freshen(r, nullptr);  // the runtime's report, if the function used freshen
          done(std::move(r));
        });
    };
    if (!flag(target.query, "blocking")) {
      // Durable before the 202: the invocation runs, and is answered, once its journal row is committed;
      // if it cannot be written it is refused and nothing runs (Store::accept).
      auto reply = std::make_shared<net::PendingReply>(std::move(deliver));
      store_.accept(std::move(journal), [store, reply, rid, slot, stub, id, run = std::move(run)](bool committed) mutable {
        if (!committed) {
          slot->release();
          reply->send(error(503, "The invocation could not be recorded; it was not run. Try again later.", rid));
          return;
        }
        if (!reply->send(ok_json({{"activationId", id}}, 202))) {
          // The client was told it did not run (the wait ran out first): it does not, and says so.
          net::ActivationRecord r = stub;
          r.status = "whisk internal error";
          r.result_json = json{{"error", "The invocation was recorded too late and was not run."}}.dump();
          slot->release();
          store->put_activation(std::move(r));
          return;
        }
        run([store, slot](net::ActivationRecord r) {
          slot->release();
          store->put_activation(std::move(r));
        });
      });
      return net::AsyncAnswer(reply, config_.blocking_wait_ms,
                         error(503, "The invocation could not be recorded in time; it was not run.", rid));
    }
    store_.accept(std::move(journal), nullptr);  // a blocking invoke that outlives its wait answers 202 too
    // Blocking: the completion stores the record and answers once it is on disk (a controller killed
    // right after the answer keeps it); no thread waits for the function.
    auto reply = std::make_shared<net::PendingReply>(std::move(deliver));
    const bool result_only = flag(target.query, "result");
    const bool after_write = config_.answer_after_record_written;
    // Alone on its I/O thread, this request keeps the thread from nothing else: the dispatcher may read
    // the result here (bounded: RemoteDispatcherConfig::own_read_us).
    std::optional<invoker::WaitsForResult> waits;
    if (net::SoleConnection::here()) waits.emplace();
    run([store, reply, result_only, after_write, slot, log = config_.answer_log](net::ActivationRecord r) {
      slot->release();
      const bool success = r.status == "success";
      net::HttpResponse response = result_only ? ok_json(parse_result(r.result_json), success ? 200 : 502)
                                          : net::HttpResponse{success ? 200 : 502, "application/json", activation_json(r)};
      try {
        if (!after_write) {
          store->put_activation(std::move(r));
          reply->send(std::move(response));
          return;
        }
        // Kept in the answer log until the store's writer commits it with its next batch (a kill meanwhile
        // loses nothing: controller/answer_log.h), the record is answered now, not after a commit here.
        if (log) {
          if (const std::optional<std::size_t> held = log->append(r)) {
            try {
              store->put_activation_by_writer(std::move(r), [log, at = *held] { log->release(at); });
            } catch (...) {
              log->release(*held);
              throw;
            }
            reply->send(std::move(response));
            return;
          }
        }
        store->put_activation(std::move(r), [reply, response = std::move(response)]() mutable { reply->send(std::move(response)); });
      } catch (const StoreError& e) {
        reply->send(net::HttpResponse{500, "application/json", json{{"error", e.what()}}.dump()});
      }
    });
    return net::AsyncAnswer(reply, config_.blocking_wait_ms, ok_json({{"activationId", id}}, 202));
  }

  if (collection == "activations") {
    if (req.method != "GET") return error(405, "Method not allowed.", rid);
    if (parts.size() == 5) {
      int limit = kDefaultListLimit, skip = 0;
      std::string bad;
      if (!list_param(target.query, "limit", "activations", &limit, &bad) ||
          !list_param(target.query, "skip", "activations", &skip, &bad))
        return error(400, bad, rid);
      json list = json::array();
      const auto it = target.query.find("name");
      for (const auto& a : store_.list_activations(*ns, it == target.query.end() ? "" : it->second, limit, skip))
        list.push_back(json::parse(activation_json(a)));
      return ok_json(list);
    }
    if (!valid_activation_id(parts[5])) return error(400, "The activation id is not valid.", rid);
    const auto a = store_.get_activation(*ns, parts[5]);
    if (!a) return error(404, "The requested resource does not exist.", rid);
    if (parts.size() == 6) return net::HttpResponse{200, "application/json", activation_json(*a)};
    if (parts.size() == 7 && parts[6] == "logs") return ok_json({{"logs", a->logs}});
    if (parts.size() == 7 && parts[6] == "result") {
      const int code = status_code(a->status);
      return ok_json({{"status", a->status}, {"statusCode", code}, {"success", code == 0}, {"result", parse_result(a->result_json)}});
    }
  }
  return error(404, "The requested resource does not exist.", rid);
}

}  // namespace hearth::controller
