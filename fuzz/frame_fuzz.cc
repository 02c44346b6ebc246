// libFuzzer target: the frame decoder shared by the runtime channel and the wire (runtime/frame_codec.h).
// The first byte picks a cap; the rest is fed in pieces whose sizes come from the input too. Checks: every
// frame returned is within the cap, and the reader never holds more than cap + header + what was fed.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "net/frame_codec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::size_t cap = static_cast<std::size_t>(data[0]) * 64;
  const std::size_t piece = 1 + data[1] % 17;
  hearth::net::FrameReader reader(cap);
  const std::string_view bytes(reinterpret_cast<const char*>(data + 2), size - 2);
  for (std::size_t at = 0; at < bytes.size(); at += piece) {
    reader.feed(bytes.substr(at, piece));
    std::string_view payload;
    hearth::net::FrameReader::Next next;
    while ((next = reader.next(&payload)) == hearth::net::FrameReader::Next::kFrame)
      if (payload.size() > cap) std::abort();
    if (next == hearth::net::FrameReader::Next::kOversized) return 0;  // the caller drops the peer
    if (reader.buffered() > bytes.size()) std::abort();
  }
  return 0;
}
