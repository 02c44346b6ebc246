#include "live/http_server.h"

#include <optional>
#include <utility>  // before Boost 1.74 asio, which uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <thread>
#include <vector>

namespace hearth::live {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, Api& api, asio::thread_pool& workers, std::size_t max_body)
      : stream_(std::move(socket)), api_(api), workers_(workers), max_body_(max_body) {}

  void start() { read(); }

 private:
  void read() {
    parser_.emplace();
    parser_->body_limit(max_body_);
    parser_->header_limit(64 * 1024);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::operation_aborted) {
      close();
      return;
    }
    if (ec == http::error::body_limit) {
      HttpResponse r{413, "application/json", R"({"error":"The request content was malformed:\nrequest entity too large"})"};
      write(r, /*keep_alive=*/false, 11);
      return;
    }
    if (ec) {
      if (ec == http::error::bad_target || ec == http::error::bad_method || ec == http::error::bad_version) {
        write(HttpResponse{400, "application/json", R"({"error":"malformed HTTP request"})"}, false, 11);
      } else {
        close();
      }
      return;
    }
    auto req = std::make_shared<http::request<http::string_body>>(parser_->release());
    if (!may_block(*req)) {  // answered at once: no thread hop
      HttpRequest in{std::string(req->method_string()), std::string(req->target()),
                     std::string((*req)[http::field::authorization]), std::move(req->body())};
      write(api_.handle(in), req->keep_alive(), req->version());
      return;
    }
    // A blocking invoke waits for its function: run it on the worker pool, write from the socket's executor.
    asio::post(workers_, [self = shared_from_this(), req] {
      HttpRequest in{std::string(req->method_string()), std::string(req->target()),
                     std::string((*req)[http::field::authorization]), std::move(req->body())};
      HttpResponse out = self->api_.handle(in);
      asio::post(self->stream_.get_executor(), [self, req, out = std::move(out)] {
        self->write(out, req->keep_alive(), req->version());
      });
    });
  }

  static bool may_block(const http::request<http::string_body>& req) {
    return req.method() == http::verb::post && req.target().find("blocking=true") != beast::string_view::npos;
  }

  void write(const HttpResponse& r, bool keep_alive, unsigned version) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(r.status), version);
    res->set(http::field::server, "hearth");
    res->set(http::field::content_type, r.content_type);
    res->keep_alive(keep_alive);
    res->body() = r.body;
    res->prepare_payload();
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, std::size_t) {
      if (ec || !res->keep_alive()) {
        self->close();
        return;
      }
      self->read();
    });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Api& api_;
  asio::thread_pool& workers_;
  std::size_t max_body_;
};

}  // namespace

struct HttpServer::Impl {
  Impl(Api& api, HttpServerConfig c)
      : api(api),
        config(std::move(c)),
        io(config.io_threads),
        workers(static_cast<std::size_t>(config.worker_threads)),
        acceptor(io) {
    const tcp::endpoint endpoint(asio::ip::make_address(config.address), config.port);
    acceptor.open(endpoint.protocol());
    acceptor.set_option(asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(asio::socket_base::max_listen_connections);
    accept();
    for (int i = 0; i < config.io_threads; ++i) threads.emplace_back([this] { io.run(); });
  }

  void accept() {
    acceptor.async_accept(asio::make_strand(io), [this](beast::error_code ec, tcp::socket socket) {
      if (ec) return;  // acceptor closed
      socket.set_option(tcp::no_delay(true));
      std::make_shared<Session>(std::move(socket), api, workers, config.max_body_bytes)->start();
      accept();
    });
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    asio::post(io, [this] {
      beast::error_code ignored;
      acceptor.close(ignored);
    });
    workers.join();
    io.stop();
    for (auto& t : threads) t.join();
  }

  Api& api;
  HttpServerConfig config;
  asio::io_context io;
  asio::thread_pool workers;
  tcp::acceptor acceptor;
  std::vector<std::thread> threads;
  bool stopped = false;
};

HttpServer::HttpServer(Api& api, HttpServerConfig config) : impl_(std::make_unique<Impl>(api, std::move(config))) {}
HttpServer::~HttpServer() { stop(); }
std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }
void HttpServer::stop() { impl_->stop(); }

}  // namespace hearth::live
