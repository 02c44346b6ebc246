// Test helper: a hand-driven invoker on a raw wire socket, to send what a real InvokerAgent never would.
#pragma once

#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "live/invoker_state.h"
#include "live/wire.h"
#include "live/wire_auth.h"

namespace hearth::live::testing {

inline const std::string kToken(64, 't');  // the controllers' token in these tests

// Connects, takes the challenge and answers it as `name` with a proof made from `token` ("" = no proof
// at all). Returns the socket; *answer gets the controller's reply ("welcome" or "refused" frame, or
// the read error when it closed without one).
inline int raw_invoker(std::uint16_t port, const std::string& name, const std::string& token, std::string* answer,
                       const InvokerState& state = InvokerState{1024, 0, 0, 0, {}, {}}) {
  const int fd = wire::connect_tcp("127.0.0.1", port);
  std::string payload, error;
  if (!wire::recv_frame(fd, &payload, &error)) {
    *answer = error;
    return fd;
  }
  const std::string nc = nlohmann::json::parse(payload).at("nonce").get<std::string>();
  const std::string ni = wire::new_nonce();
  nlohmann::json hello = {{"type", "hello"}, {"name", name}, {"pid", 0}, {"state", wire::to_json(state)}};
  if (!token.empty()) {
    hello["nonce"] = ni;
    hello["proof"] = wire::invoker_proof(token, nc, ni, name);
  }
  wire::send_frame(fd, hello.dump());
  *answer = wire::recv_frame(fd, &payload, &error) ? payload : error;
  return fd;
}

}  // namespace hearth::live::testing
