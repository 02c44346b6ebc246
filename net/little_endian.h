// Little-endian unsigned integers in byte buffers: the byte order of every length and field on Hearth's
// wire (net/frame_codec.h's 4-byte frame header, net/wire_binary.h's fixed fields). No bounds checks:
// the caller has the sizeof(U) bytes at p.
#pragma once

#include <cstddef>
#include <type_traits>

namespace hearth::net {

template <typename U>
void store_le(char* p, U v) {
  static_assert(std::is_unsigned_v<U>);
  for (std::size_t i = 0; i < sizeof(U); ++i) p[i] = static_cast<char>(v >> (8 * i));
}

template <typename U>
U load_le(const char* p) {
  static_assert(std::is_unsigned_v<U>);
  U v = 0;
  for (std::size_t i = sizeof(U); i-- > 0;) v = static_cast<U>((v << 8) | static_cast<unsigned char>(p[i]));
  return v;
}

}  // namespace hearth::net
