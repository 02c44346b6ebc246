// libFuzzer target: an HTTP request as the server parses it (Boost.Beast with the server's header limit
// and the API's per-request body limit), then routed by the API against an in-memory store (paths, query
// parameters, basic auth, entity names, list bounds, JSON bodies). Checks: no crash, and every answer is a
// status the API documents.
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "controller/api.h"
#include "tests/controller/echo_dispatcher.h"

namespace {

namespace http = boost::beast::http;
using namespace hearth::net;
using namespace hearth::invoker;
using namespace hearth::controller;

struct World {
  Store store{":memory:"};
  EchoDispatcher dispatcher;  // invocations succeed at once, echoing
  Api api{store, dispatcher};
  World() {
    store.put_namespace("guest", "uuid", "key");
    ActionRecord a{"guest", "echo", "python:3", "def main(a): return a"};
    store.put_action(a, false);
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static World* world = new World();
  http::request_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(1 << 20);
  boost::beast::error_code ec;
  parser.eager(true);
  std::size_t used = parser.put(boost::asio::buffer(data, size), ec);
  (void)used;
  if (ec || !parser.is_header_done()) return 0;
  const auto& h = parser.get();
  const std::string method(h.method_string()), target(h.target());
  if (world->api.body_limit(method, target) < kSmallBodyBytes) std::abort();
  if (!parser.is_done()) return 0;
  const HttpRequest request{method, target, std::string(h[http::field::authorization]), parser.get().body()};
  const HttpResponse r = world->api.handle(request);
  switch (r.status) {
    case 200: case 202: case 400: case 401: case 403: case 404: case 405: case 409: case 413: case 500: case 502:
      return 0;
    default:
      std::abort();
  }
}
