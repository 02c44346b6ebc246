// Test helper: a hand-driven invoker on a raw wire socket, to send what a real InvokerAgent never would.
#pragma once

#include <unistd.h>

#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "net/invoker_state.h"
#include "net/records.h"
#include "net/wire.h"
#include "net/wire_address.h"
#include "net/wire_auth.h"

namespace hearth::controller::testing {

inline const std::string kToken(64, 't');  // the controllers' token in these tests

// The frame reader of a test's socket (one per descriptor, so bytes read past a frame are kept for the
// next call); fresh_reader() starts a new one for a new connection on a reused descriptor number.
inline net::FrameReader& reader_of(int fd, bool fresh = false) {
  thread_local std::map<int, std::unique_ptr<net::FrameReader>> readers;
  auto& r = readers[fd];
  if (fresh || !r) r = std::make_unique<net::FrameReader>(net::wire::kMaxFrameBytes);
  return *r;
}
// wire::recv_frame on the socket's reader, copying the payload.
inline bool recv_frame(int fd, std::string* payload, std::string* error,
                       net::FrameClock::time_point deadline = net::kNoDeadline) {
  std::string_view view;
  if (!net::wire::recv_frame(fd, reader_of(fd), &view, error, deadline)) return false;
  payload->assign(view);
  return true;
}
// wire::connect_tcp to 127.0.0.1:port with a fresh reader for the socket.
inline int connect_wire(std::uint16_t port) {
  const int fd = net::wire::connect_tcp("127.0.0.1", port);
  reader_of(fd, true);
  return fd;
}

// wire::connect_wire to a controller's Unix socket with a fresh reader for the socket.
inline int connect_wire(const std::string& socket_path) {
  const int fd = net::wire::connect_wire(net::wire::parse_wire_address("unix:" + socket_path));
  reader_of(fd, true);
  return fd;
}

// On a connected socket `fd`: takes the challenge and answers it as `name` with a proof made from `token`
// ("" = no proof at all). Returns the socket; *answer gets the controller's reply ("welcome" or "refused"
// frame, or the read error when it closed without one). `extra` fields are added to the hello.
inline int raw_handshake(int fd, const std::string& name, const std::string& token, std::string* answer,
                         const net::InvokerState& state = net::InvokerState{1024, 0, 0, 0, 0, {}, {}},
                         const nlohmann::json& extra = nlohmann::json::object()) {
  std::string payload, error;
  if (!recv_frame(fd, &payload, &error)) {
    *answer = error;
    return fd;
  }
  const std::string nc = nlohmann::json::parse(payload).at("nonce").get<std::string>();
  const std::string ni = net::wire::new_nonce();
  nlohmann::json hello = {{"type", "hello"}, {"name", name}, {"pid", 0}, {"state", net::wire::to_json(state)}};
  hello.update(extra);
  if (!token.empty()) {
    hello["nonce"] = ni;
    hello["proof"] = net::wire::invoker_proof(token, nc, ni, name);
  }
  net::wire::send_frame(fd, hello.dump());
  *answer = recv_frame(fd, &payload, &error) ? payload : error;
  return fd;
}
// raw_handshake on a new TCP connection to 127.0.0.1:port.
inline int raw_invoker(std::uint16_t port, const std::string& name, const std::string& token, std::string* answer,
                       const net::InvokerState& state = net::InvokerState{1024, 0, 0, 0, 0, {}, {}},
                       const nlohmann::json& extra = nlohmann::json::object()) {
  return raw_handshake(connect_wire(port), name, token, answer, state, extra);
}

// A python action with revision 1 and 128 MB, the code "ok" (what the wire tests invoke).
inline net::ActionRecord wire_action(const std::string& name) {
  net::ActionRecord a;
  a.ns = "guest";
  a.name = name;
  a.kind = "python:3";
  a.code = "ok";
  a.memory_mb = 128;
  a.revision = 1;
  return a;
}

}  // namespace hearth::controller::testing
