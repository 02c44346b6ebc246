// HttpClient: a small blocking HTTP/1.1 client with keep-alive (Boost.Beast), for the CLI's
// `hearth action|activation` verbs, tests and benchmarks. One connection, one request at a time;
// reconnects once if the server closed an idle connection. Errors throw std::runtime_error naming the
// host, port and cause.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "net/http_types.h"

namespace hearth::net {

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` (method, target, authorization, body) and returns status, content type and body.
  HttpResponse send(const HttpRequest& request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Where a platform's REST API is and the credentials to use with it.
struct ApiEndpoint {
  std::string host;
  std::uint16_t port = 0;
  std::string authorization;  // "Basic ..."
};

// "Basic " + base64(user:password).
std::string basic_auth(const std::string& user, const std::string& password);

}  // namespace hearth::net
