// The fixed binary layout of the wire's two hot messages (docs/wire-protocol.md, "Binary frames"): an
// `invoke` that carries no code and a `result`. Every warm invocation is one of each; as JSON each was a
// DOM built, dumped and parsed per request (~8 % of the CPU at 32 connections). A binary frame's payload
// starts with a 4-byte header — kBinaryMagic (0xB1: never the first byte of a JSON text, which is UTF-8
// and starts with '{'), the layout version, the message type, flags — then fixed fields in order:
//   invoke (kBinaryInvoke): u64 seq, i64 arrival_us, action {str ns, name, kind, entry; i64 memory_mb,
//       timeout_ms, cpu_millicores, version, updated_us, revision}, str activation_id, str params.
//       Flag kFlagExpectWarm. Never code or libraries: an invoke with code is JSON (once per revision).
//   result (kBinaryResult): u64 seq, activation {str id, ns, action; i64 start_us, end_us, wait_us, init_us,
//       run_us; str start_kind, invoker, container, status, result, freshen; u32 count, count × str logs},
//       then, with flag kFlagState, str state (the JSON state report, as a JSON result's "state").
// Integers little-endian; str = u32 length + bytes. A peer uses them only when the other side said it
// reads this layout version in the handshake (hello/welcome "binary_frames"), so older peers keep JSON.
// Decoding is bounds-checked and throws std::invalid_argument naming the field and the byte offset
// ("binary result frame: field 'status' (12 bytes at offset 57) runs past the frame's 60 bytes"); an
// unknown version, type or flag is refused the same way, as is a frame with bytes after its last field.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "net/records.h"

namespace hearth::net::wire {

constexpr std::uint8_t kBinaryMagic = 0xB1;
constexpr std::uint8_t kBinaryLayoutVersion = 1;  // the one this build writes and reads
constexpr std::uint8_t kBinaryInvoke = 1;
constexpr std::uint8_t kBinaryResult = 2;
constexpr std::uint8_t kFlagExpectWarm = 1;  // invoke
constexpr std::uint8_t kFlagState = 1;       // result

// Whether `payload` is a binary frame (its first byte is kBinaryMagic); anything else is JSON.
inline bool is_binary_frame(std::string_view payload) {
  return !payload.empty() && static_cast<std::uint8_t>(payload[0]) == kBinaryMagic;
}

// Encoders replace `out`'s contents (callers reuse one buffer: no allocation once it has grown).
// `request.action`'s code and libraries are not written.
void encode_invoke(std::string& out, std::uint64_t seq, const InvocationRequest& request, bool expect_warm);
// `state_json` empty: no state report (the invoker's pool is as its last report said).
void encode_result(std::string& out, std::uint64_t seq, const ActivationRecord& activation, std::string_view state_json);

struct BinaryInvoke {
  std::uint64_t seq = 0;
  InvocationRequest request;  // action without code
  bool expect_warm = false;
};
struct BinaryResult {
  std::uint64_t seq = 0;
  ActivationRecord activation;
  std::optional<std::string> state_json;  // present when the frame carried a report
};
// The message type of a binary frame (kBinaryInvoke, kBinaryResult); throws std::invalid_argument for a
// short header or a layout version this build does not read.
std::uint8_t binary_type(std::string_view payload);
BinaryInvoke decode_invoke(std::string_view payload);
BinaryResult decode_result(std::string_view payload);
// The seq of a binary frame whose header and seq are intact, else nullopt (to answer a malformed invoke).
std::optional<std::uint64_t> binary_seq(std::string_view payload);

}  // namespace hearth::net::wire
