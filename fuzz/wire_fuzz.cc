// libFuzzer target: the wire protocol's decoding as the controller and the invoker do it (live/wire.h):
// frames from the codec, each parsed as JSON and read as a hello/result/heartbeat/stale (controller side)
// or an invoke (invoker side), or — a frame starting with the binary magic — decoded as a binary invoke and
// a binary result (net/wire_binary.h). A malformed message may throw (both ends catch and drop or answer
// it: std::invalid_argument from the binary decoders); any other failure — a crash, an escape of another
// exception type — is a finding.
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string_view>

#include "net/wire.h"
#include "net/wire_auth.h"
#include "net/wire_binary.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  hearth::net::FrameReader reader(hearth::net::wire::kMaxHandshakeFrameBytes);
  reader.feed(std::string_view(reinterpret_cast<const char*>(data), size));
  std::string_view payload;
  while (reader.next(&payload) == hearth::net::FrameReader::Next::kFrame) {
    if (hearth::net::wire::is_binary_frame(payload)) {
      (void)hearth::net::wire::binary_seq(payload);
      try {
        (void)hearth::net::wire::decode_invoke(payload);
      } catch (const std::invalid_argument&) {
      }
      try {
        (void)hearth::net::wire::decode_result(payload);
      } catch (const std::invalid_argument&) {
      }
      continue;
    }
    const nlohmann::json msg = nlohmann::json::parse(payload, nullptr, false);
    if (msg.is_discarded()) continue;
    try {
      if (msg.contains("state")) (void)hearth::net::wire::state_from_json(msg.at("state"));
      if (msg.contains("activation")) (void)hearth::net::wire::activation_from_json(msg.at("activation"));
      (void)hearth::net::wire::invoke_from_json(msg);
    } catch (const nlohmann::json::exception&) {
    }
  }
  return 0;
}
