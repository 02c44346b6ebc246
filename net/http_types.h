// Transport-independent HTTP request/response values, so the API's routing and error handling are
// tested without sockets and the server (Boost.Beast) only moves bytes.
#pragma once

#include <map>
#include <string>

namespace hearth::net {

struct HttpRequest {
  std::string method;  // "GET", "PUT", "POST", "DELETE"
  std::string target;  // path with query, e.g. /api/v1/namespaces/_/actions/hello?blocking=true
  std::string authorization;  // the Authorization header, verbatim
  std::string body;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
};

// Splits a target into its path and decoded query parameters.
struct ParsedTarget {
  std::string path;
  std::map<std::string, std::string> query;
};
ParsedTarget parse_target(const std::string& target);

// Decodes an HTTP Basic Authorization header into user and password; false if malformed.
bool decode_basic_auth(const std::string& header, std::string* user, std::string* password);

}  // namespace hearth::net
