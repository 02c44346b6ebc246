// `hearth auth [rotate]` and `hearth namespace create|list`: API keys, administered on the data directory
// (--data-dir, as `hearth up`'s), like OpenWhisk's wskadmin works on its database. They may run while
// `hearth up` serves from the same directory: the controller reads keys from the store on every request,
// so a rotated key stops working at once and a new namespace works at once.
//   hearth auth                        prints the default namespace's UUID:KEY (created on first use)
//   hearth auth rotate [--namespace N] issues N's new key (default: guest), prints it; the old one fails
//   hearth namespace create NAME       a new namespace with its own random key, printed once (only its
//                                      hash is kept): it reaches only NAME's actions and activations
//   hearth namespace list              the namespaces
#include <CLI/CLI.hpp>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/default_namespace.h"
#include "controller/store.h"

namespace hearth::cli {
namespace {

struct AuthFlags {
  std::string data_dir = ".hearth";
  std::string ns;
};

// OpenWhisk's entity-name rule: word characters, then word characters, '@', '.', ' ' or '-', ending in
// a word character, '@', '.' or '-' (no spaces here: the name is a URL path segment); at most 256.
bool valid_namespace(const std::string& n) {
  if (n.empty() || n.size() > 256 || n == "." || n == "..") return false;
  const auto word = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; };
  if (!word(n.front())) return false;
  for (char c : n)
    if (!(word(c) || c == '@' || c == '.' || c == '-')) return false;
  return true;
}

std::unique_ptr<controller::Store> open_store(const std::string& data_dir, bool create) {
  const std::filesystem::path db = std::filesystem::path(data_dir) / "hearth.db";
  if (!create && !std::filesystem::exists(db))
    throw std::invalid_argument("no Hearth data directory at " + data_dir + " (" + db.string() +
                                " is missing): run hearth up --data-dir " + data_dir + " first, or pass --data-dir");
  std::filesystem::create_directories(data_dir);
  return std::make_unique<controller::Store>(db.string());
}

template <typename F>
int guarded(const char* what, F f) {
  try {
    return f();
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "hearth %s: %s\n", what, e.what());
    return 2;
  } catch (const std::runtime_error& e) {  // StoreError, unreadable key file
    std::fprintf(stderr, "hearth %s: %s\n", what, e.what());
    return 1;
  }
}

}  // namespace

Action add_auth_command(CLI::App& app) {
  auto f = std::make_shared<AuthFlags>();
  auto rotate = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand("auth", "Show the default namespace's API key (UUID:KEY), or rotate a key");
  cmd->add_option("--data-dir", f->data_dir, "The platform's data directory (as hearth up --data-dir)");
  CLI::App* rot = cmd->add_subcommand("rotate", "Issue a new key for a namespace; the old key stops working at once");
  rot->add_option("--namespace", f->ns, "Namespace (default: guest)");
  rot->add_option("--data-dir", f->data_dir, "The platform's data directory (as hearth up --data-dir)");
  rot->callback([rotate] { *rotate = true; });
  return [f, rotate] {
    return guarded("auth", [&] {
      auto store = open_store(f->data_dir, /*create=*/!*rotate);
      if (!*rotate) {
        std::printf("%s\n", default_namespace(*store, f->data_dir).pair().c_str());
        return 0;
      }
      const std::string ns = f->ns.empty() ? kDefaultNamespace : f->ns;
      const controller::Credentials c = store->rotate_key(ns);
      if (ns == kDefaultNamespace) save_default_key(f->data_dir, c);
      std::printf("%s\n", c.pair().c_str());
      return 0;
    });
  };
}

Action add_namespace_command(CLI::App& app) {
  auto f = std::make_shared<AuthFlags>();
  auto which = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("namespace", "Create and list namespaces (tenants), each with its own key");
  cmd->require_subcommand(1);
  CLI::App* create = cmd->add_subcommand("create", "Create a namespace; prints its UUID:KEY (shown only this once)");
  create->add_option("name", f->ns, "Namespace name")->required();
  CLI::App* list = cmd->add_subcommand("list", "List the namespaces");
  for (CLI::App* v : {create, list})
    v->add_option("--data-dir", f->data_dir, "The platform's data directory (as hearth up --data-dir)");
  create->callback([which] { *which = "create"; });
  list->callback([which] { *which = "list"; });
  return [f, which] {
    return guarded("namespace", [&] {
      if (*which == "create" && !valid_namespace(f->ns))
        throw std::invalid_argument("'" + f->ns + "' is not a valid namespace name (letters, digits, _ @ . -; "
                                    "starting with a letter, digit or _; at most 256)");
      auto store = open_store(f->data_dir, /*create=*/*which == "create");
      if (*which == "list") {
        for (const std::string& ns : store->namespaces()) std::printf("%s\n", ns.c_str());
        return 0;
      }
      default_namespace(*store, f->data_dir);  // the installation's own namespace comes first
      std::printf("%s\n", store->create_namespace(f->ns).pair().c_str());
      return 0;
    });
  };
}

}  // namespace hearth::cli
