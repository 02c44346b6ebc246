#include "net/http_client.h"

#include "net/base64.h"

#include <optional>
#include <utility>  // before Boost 1.74 asio, which uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <limits>
#include <stdexcept>

namespace hearth::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct HttpClient::Impl {
  std::string host;
  std::uint16_t port;
  asio::io_context io;
  std::optional<beast::tcp_stream> stream;
  beast::flat_buffer buffer;

  void connect() {
    tcp::resolver resolver(io);
    stream.emplace(io);
    beast::error_code ec;
    const auto endpoints = resolver.resolve(host, std::to_string(port), ec);
    if (!ec) stream->connect(endpoints, ec);
    if (ec) {
      stream.reset();
      throw std::runtime_error("cannot connect to " + host + ":" + std::to_string(port) + ": " + ec.message());
    }
    stream->socket().set_option(tcp::no_delay(true));
    buffer.clear();
  }

  HttpResponse exchange(const HttpRequest& r, bool retry) {
    if (!stream) connect();
    http::request<http::string_body> req(http::string_to_verb(r.method), r.target, 11);
    req.set(http::field::host, host);
    req.set(http::field::content_type, "application/json");
    if (!r.authorization.empty()) req.set(http::field::authorization, r.authorization);
    req.keep_alive(true);
    req.body() = r.body;
    req.prepare_payload();
    beast::error_code ec;
    http::write(*stream, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::numeric_limits<std::uint64_t>::max());
    if (!ec) http::read(*stream, buffer, parser, ec);
    if (ec) {
      stream.reset();
      if (retry) return exchange(r, false);  // an idle keep-alive connection the server closed
      throw std::runtime_error(r.method + " " + r.target + " to " + host + ":" + std::to_string(port) + ": " +
                               ec.message());
    }
    auto res = parser.release();
    HttpResponse out{static_cast<int>(res.result_int()), std::string(res[http::field::content_type]), std::move(res.body())};
    if (!res.keep_alive()) stream.reset();
    return out;
  }
};

HttpClient::HttpClient(std::string host, std::uint16_t port) : impl_(std::make_unique<Impl>()) {
  impl_->host = std::move(host);
  impl_->port = port;
}
HttpClient::~HttpClient() = default;

HttpResponse HttpClient::send(const HttpRequest& request) { return impl_->exchange(request, true); }

std::string basic_auth(const std::string& user, const std::string& password) {
  return "Basic " + base64_encode(user + ":" + password);
}

}  // namespace hearth::net
