// The controller ↔ invoker wire protocol (docs/wire-protocol.md). One stream connection per invoker (TCP,
// or a Unix socket on the controller's host: net/wire_address.h), opened by the invoker; both directions carry frames of a 4-byte little-endian length followed by that many
// bytes of UTF-8 JSON, one message per frame. A connection starts with the authenticating handshake of
// live/wire_auth.h (challenge, hello, welcome); then:
//   invoker → controller  heartbeat {state} every 500 ms,
//                         result {seq, activation, state}
//                         stale {seq, state}: an invoke that expected a warm start found no idle
//                         container of its action; it did not run, the controller places it again
//   controller → invoker  invoke {seq, action (code only the first time this connection sees the
//                         revision), params, activation_id, arrival_us, expect_warm (optional)}
// This file holds the blocking socket and frame primitives and the JSON forms of the records (a warm
// invoke and its result travel in net/wire_binary.h's layout between peers that read it); the
// endpoints are RemoteDispatcher (controller) and InvokerAgent (invoker). TCP sockets are TCP_NODELAY.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "invoker/dispatcher.h"
#include "net/invoker_state.h"
#include "controller/store.h"
#include "net/frame_codec.h"

namespace hearth::net::wire {

// Frames are runtime/frame_codec.h's (the runtime channel's framing). Results are bounded by the result
// limit (1 MB by default) plus logs, so 64 MiB is far above any honest message.
constexpr std::uint32_t kMaxFrameBytes = 64u << 20;
// Until the handshake of live/wire_auth.h is done, frames are held to kMaxHandshakeFrameBytes (4 KiB) and
// the handshake must end within the controller's handshake_timeout_ms (2 s by default); a connection's
// FrameReader starts with that cap and is raised to kMaxFrameBytes once the peer has proved who it is.

// Writes one frame; false if the peer is gone. Callers serialise writers on one socket.
bool send_frame(int fd, const std::string& payload);
// Reads one frame with `reader` (one per connection, capped at its max_payload; the payload views its
// buffer until the next call); false on EOF or error, with `error` saying which (a frame over the cap is
// an error: the stream cannot be trusted after it).
// With `spin`, a wait polls before it blocks (net::AdaptiveSpin).
bool recv_frame(int fd, net::FrameReader& reader, std::string_view* payload, std::string* error,
                net::FrameClock::time_point deadline = net::kNoDeadline, net::AdaptiveSpin* spin = nullptr);

// A listening TCP socket on address:port (port 0 = any; *bound gets the port). Throws std::runtime_error.
int listen_tcp(const std::string& address, std::uint16_t port, std::uint16_t* bound);
// A connected TCP socket to host:port (numeric IPv4 or a resolvable name). Throws std::runtime_error.
int connect_tcp(const std::string& host, std::uint16_t port);
// "host:port" → parts; throws std::invalid_argument naming the text if it is not of that shape.
void split_host_port(const std::string& text, std::string* host, std::uint16_t* port);

nlohmann::json to_json(const InvokerState& s);
InvokerState state_from_json(const nlohmann::json& j);
nlohmann::json to_json(const ActivationRecord& a);
ActivationRecord activation_from_json(const nlohmann::json& j);
nlohmann::json to_json(const ActionRecord& a, bool with_code);
ActionRecord action_from_json(const nlohmann::json& j);
// Library refs ({name, sha256, bytes} each) to and from the wire. From: `refs` must be an array of at most
// `max` refs, each name a library name, each digest 64 lowercase hex digits, each size 1..kMaxLibraryBytes
// (an invoker turns them into paths on disk); throws std::invalid_argument starting with `what`.
nlohmann::json library_refs_to_json(const std::vector<LibraryRef>& refs);
std::vector<LibraryRef> library_refs_from_json(const nlohmann::json& refs, const std::string& what, std::size_t max);

// The invoke message. `expect_warm` (the controller placed it there because its view says the invoker
// holds an idle container of the action) is written only when true and read as false when absent, so
// invokers and controllers that predate it still understand each other.
struct InvokeMessage {
  std::uint64_t seq = 0;
  InvocationRequest request;  // request.action.code travels only when `with_code`
  bool with_code = false;
  bool expect_warm = false;
};
nlohmann::json invoke_to_json(std::uint64_t seq, const InvocationRequest& request, bool with_code, bool expect_warm);
// Throws (nlohmann::json::exception) on a missing or mistyped field; `with_code` says whether the
// action carried code.
InvokeMessage invoke_from_json(const nlohmann::json& j);

}  // namespace hearth::net::wire
