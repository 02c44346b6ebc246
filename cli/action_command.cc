// `hearth action create|update|get|list|delete|invoke` and `hearth activation list|get|logs|result`:
// OpenWhisk `wsk`-shaped verbs over the REST API (--apihost HOST:PORT, --auth UUID:KEY, or the
// HEARTH_APIHOST / HEARTH_AUTH environment variables; without either key, that of ./.hearth — `hearth
// up`'s default data directory — if there is one).
#include <CLI/CLI.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/client_flags.h"
#include "cli/command_errors.h"
#include "cli/commands.h"
#include "cli/default_namespace.h"
#include "net/base64.h"

namespace hearth::cli {
namespace {

using nlohmann::json;

struct ActionFlags {
  ClientFlags client;
  std::string name;
  std::string file;
  std::string kind;
  std::string main = "main";
  std::int64_t memory = 0, timeout = 0;
  double cpu = std::numeric_limits<double>::quiet_NaN();  // cores; NaN: not given
  std::vector<std::string> libraries;                      // --lib NAME (repeatable)
  std::vector<std::string> params;  // -p key value, flattened
  bool blocking = false, result = false;
  int limit = 30;
};

// Prints the body (pretty JSON when it is JSON); exit code 0 for 2xx, 1 otherwise.
int print(const net::HttpResponse& r) {
  const json j = json::parse(r.body, nullptr, false);
  std::printf("%s\n", j.is_discarded() ? r.body.c_str() : j.dump(2).c_str());
  if (r.status == 401)
    std::fprintf(stderr, "hearth: the key was refused; `hearth auth --data-dir DIR` prints the current one (keys are "
                         "random per data directory and may have been rotated)\n");
  return r.status >= 200 && r.status < 300 ? 0 : 1;
}

std::string kind_for(const std::string& file, const std::string& kind) {
  if (!kind.empty()) return kind;
  if (file.ends_with(".py")) return "python:3";
  if (file.ends_with(".js")) return "nodejs:20";
  if (file.ends_with(".so")) return "native";
  throw std::invalid_argument("cannot tell the kind of '" + file + "': use --kind python:3|nodejs:20|native");
}

int put_action(const ActionFlags& f, bool overwrite) {
  std::ifstream in(f.file, std::ios::binary);
  if (!in) throw std::invalid_argument(f.file + ": cannot read");
  std::stringstream code;
  code << in.rdbuf();
  const std::string kind = kind_for(f.file, f.kind);
  json body = {{"exec", {{"kind", kind}, {"code", kind == "native" ? net::base64_encode(code.str()) : code.str()}, {"main", f.main}}}};
  if (f.memory) body["limits"]["memory"] = f.memory;
  if (f.timeout) body["limits"]["timeout"] = f.timeout;
  if (!std::isnan(f.cpu)) body["limits"]["cpu"] = f.cpu;  // the controller checks the range
  if (!f.libraries.empty())  // OpenWhisk-style annotation; the controller checks the names
    body["annotations"] = json::array({{{"key", "libraries"}, {"value", f.libraries}}});
  Connection c = connect(f.client);
  return print(c.client->send({"PUT", "/api/v1/namespaces/_/actions/" + f.name + (overwrite ? "?overwrite=true" : ""),
                               c.authorization, body.dump()}));
}

json params_object(const std::vector<std::string>& flat) {
  json p = json::object();
  for (std::size_t i = 0; i + 1 < flat.size(); i += 2) {
    const json v = json::parse(flat[i + 1], nullptr, false);  // numbers, booleans, JSON values; else a string
    p[flat[i]] = v.is_discarded() ? json(flat[i + 1]) : v;
  }
  return p;
}

}  // namespace

Action add_action_command(CLI::App& app) {
  auto f = std::make_shared<ActionFlags>();
  auto which = std::make_shared<std::string>();
  CLI::App* action = app.add_subcommand("action", "Create, update, get, list, delete and invoke actions");
  action->require_subcommand(1);
  auto verb = [&](const char* name, const char* help) {
    CLI::App* v = action->add_subcommand(name, help);
    add_client_flags(*v, f->client);
    v->callback([which, name] { *which = name; });
    return v;
  };
  for (const char* name : {"create", "update"}) {
    CLI::App* v = verb(name, name[0] == 'c' ? "Deploy a function from a file (.py, .js, .so)" : "Replace a function's code");
    v->add_option("name", f->name, "Action name")->required();
    v->add_option("file", f->file, "Code file")->required();
    v->add_option("--kind", f->kind, "python:3, nodejs:20 or native (default: from the file extension)");
    v->add_option("--main", f->main, "Entry point (default main)");
    v->add_option("--memory,-m", f->memory, "Memory limit, MB");
    v->add_option("--timeout,-t", f->timeout, "Time limit, ms");
    v->add_option("--cpu", f->cpu, "CPU limit, cores (e.g. 0.5; default: the invoker's, one core)");
    v->add_option("--lib", f->libraries, "A library of the controller's repository the action imports, e.g. numpy "
                                         "(repeatable; Python actions; docs/libraries.md)")->allow_extra_args(false);
  }
  verb("get", "Show an action")->add_option("name", f->name)->required();
  verb("delete", "Delete an action")->add_option("name", f->name)->required();
  verb("list", "List actions")->add_option("--limit,-l", f->limit);
  CLI::App* invoke = verb("invoke", "Invoke an action");
  invoke->add_option("name", f->name)->required();
  invoke->add_option("-p,--param", f->params, "Parameter: -p KEY VALUE (repeatable)")->expected(2)->allow_extra_args(false);
  invoke->add_flag("--blocking,-b", f->blocking, "Wait for the result");
  invoke->add_flag("--result,-r", f->result, "Print only the result (implies --blocking)");
  return [f, which] {
    return run_reporting_errors("hearth action", [&] {
      if (*which == "create" || *which == "update") return put_action(*f, *which == "update");
      Connection c = connect(f->client);
      const std::string base = "/api/v1/namespaces/_/actions";
      if (*which == "get") return print(c.client->send({"GET", base + "/" + f->name, c.authorization, ""}));
      if (*which == "delete") return print(c.client->send({"DELETE", base + "/" + f->name, c.authorization, ""}));
      if (*which == "list")
        return print(c.client->send({"GET", base + "?limit=" + std::to_string(f->limit), c.authorization, ""}));
      const bool blocking = f->blocking || f->result;
      const std::string query = blocking ? (f->result ? "?blocking=true&result=true" : "?blocking=true") : "";
      return print(c.client->send({"POST", base + "/" + f->name + query, c.authorization, params_object(f->params).dump()}));
    });
  };
}

Action add_activation_command(CLI::App& app) {
  auto f = std::make_shared<ActionFlags>();
  auto which = std::make_shared<std::string>();
  CLI::App* act = app.add_subcommand("activation", "List and inspect activation records");
  act->require_subcommand(1);
  for (const char* name : {"list", "get", "logs", "result"}) {
    CLI::App* v = act->add_subcommand(name, std::string(name) == "list" ? "List activations, newest first"
                                                                         : "Show one activation's " + std::string(name));
    add_client_flags(*v, f->client);
    if (std::string(name) == "list") {
      v->add_option("name", f->name, "Only this action");
      v->add_option("--limit,-l", f->limit);
    } else {
      v->add_option("id", f->name, "Activation id")->required();
    }
    v->callback([which, name] { *which = name; });
  }
  return [f, which] {
    return run_reporting_errors("hearth activation", [&] {
      Connection c = connect(f->client);
      const std::string base = "/api/v1/namespaces/_/activations";
      if (*which == "list")
        return print(c.client->send({"GET", base + "?limit=" + std::to_string(f->limit) + (f->name.empty() ? "" : "&name=" + f->name),
                                     c.authorization, ""}));
      const std::string suffix = *which == "get" ? "" : "/" + *which;
      return print(c.client->send({"GET", base + "/" + f->name + suffix, c.authorization, ""}));
    });
  };
}

}  // namespace hearth::cli
