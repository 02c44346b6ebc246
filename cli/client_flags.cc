#include "cli/client_flags.h"

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>

#include "cli/default_namespace.h"
#include "net/secrets.h"

namespace hearth::cli {

void add_client_flags(CLI::App& cmd, ClientFlags& f) {
  cmd.add_option("--apihost", f.apihost, "API host:port (default $HEARTH_APIHOST or 127.0.0.1:3233)");
  cmd.add_option("--auth,-u", f.auth, "uuid:key (default $HEARTH_AUTH, else .hearth/auth.guest)");
}

net::ApiEndpoint resolve_endpoint(const ClientFlags& f) {
  std::string host = f.apihost;
  if (host.empty() && std::getenv("HEARTH_APIHOST")) host = std::getenv("HEARTH_APIHOST");
  if (host.empty()) host = "127.0.0.1:3233";
  std::string auth = f.auth;
  if (auth.empty() && std::getenv("HEARTH_AUTH")) auth = std::getenv("HEARTH_AUTH");
  if (auth.empty() && std::filesystem::exists(default_key_file(".hearth")))  // `hearth up`'s default data dir
    auth = net::secrets::read_secret_file(default_key_file(".hearth").string());
  const auto colon = host.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("--apihost must be HOST:PORT, got '" + host + "'");
  int port = 0;
  try {
    port = std::stoi(host.substr(colon + 1));
  } catch (const std::exception&) {
    port = -1;
  }
  if (port <= 0 || port > 65535) throw std::invalid_argument("--apihost must be HOST:PORT, got '" + host + "'");
  const auto at = auth.find(':');
  if (at == std::string::npos)
    throw std::invalid_argument("--auth must be UUID:KEY (or set HEARTH_AUTH; `hearth auth --data-dir DIR` prints it)");
  return {host.substr(0, colon), static_cast<std::uint16_t>(port), net::basic_auth(auth.substr(0, at), auth.substr(at + 1))};
}

Connection connect(const ClientFlags& f) {
  net::ApiEndpoint e = resolve_endpoint(f);
  return {std::make_unique<net::HttpClient>(e.host, e.port), std::move(e.authorization)};
}

}  // namespace hearth::cli
