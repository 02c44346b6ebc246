// The wire handshake (docs/wire-protocol.md, "Authentication"): a challenge–response with HMAC-SHA-256
// over a shared token, so the token itself never crosses the wire and both ends prove they hold it.
//   controller → invoker  {"type":"challenge","nonce":Nc}            Nc: 16 random bytes, hex
//   invoker → controller  {"type":"hello","name","pid","state","nonce":Ni,"proof":P}
//                         P  = HMAC(token, "hearth-wire-1 invoker\n" Nc "\n" Ni "\n" name)
//   controller → invoker  {"type":"welcome","proof":P'}  or  {"type":"refused","error":…} and close
//                         P' = HMAC(token, "hearth-wire-1 controller\n" Nc "\n" Ni "\n" name)
// Both nonces are fresh per connection, so a recorded handshake cannot be replayed to either end, and
// the name is bound into the proof. Handshake frames are at most kMaxHandshakeFrameBytes. The token is
// `hearth up`'s DATA_DIR/wire.token (32 random bytes as hex, mode 0600). This authenticates the peers;
// it does not encrypt or sign the frames that follow (no TLS yet: use a trusted network or a tunnel).
#pragma once

#include <cstdint>
#include <string>

namespace hearth::net::wire {

constexpr std::uint32_t kMaxHandshakeFrameBytes = 4096;
constexpr std::size_t kMaxInvokerNameBytes = 128;
constexpr std::size_t kMinTokenChars = 32;

// A new token: 32 random bytes (getrandom), as 64 hex characters.
std::string new_token();
// Throws std::invalid_argument unless the token has at least kMinTokenChars characters.
void check_token(const std::string& token);
// A fresh nonce for one handshake.
std::string new_nonce();
std::string invoker_proof(const std::string& token, const std::string& controller_nonce,
                          const std::string& invoker_nonce, const std::string& name);
std::string controller_proof(const std::string& token, const std::string& controller_nonce,
                             const std::string& invoker_nonce, const std::string& name);

}  // namespace hearth::net::wire
