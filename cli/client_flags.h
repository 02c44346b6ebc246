// The flags that name a running platform, shared by the commands that talk to one over its REST API
// (`hearth action|activation|replay`): --apihost HOST:PORT and --auth UUID:KEY, or the HEARTH_APIHOST /
// HEARTH_AUTH environment variables (default host 127.0.0.1:3233).
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/http_client.h"

namespace CLI {
class App;
}

namespace hearth::cli {

struct ClientFlags {
  std::string apihost;
  std::string auth;
};

void add_client_flags(CLI::App& cmd, ClientFlags& f);

// Resolves flags and environment; throws std::invalid_argument for a malformed host or missing auth.
net::ApiEndpoint resolve_endpoint(const ClientFlags& f);

struct Connection {
  std::unique_ptr<net::HttpClient> client;
  std::string authorization;
};
Connection connect(const ClientFlags& f);

}  // namespace hearth::cli
