#include "net/base64.h"

#include <cstdint>

namespace hearth::net {
namespace {
constexpr const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
}

std::string base64_encode(const std::string& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::uint32_t buffer = 0;
  int bits = 0;
  for (unsigned char c : in) {
    buffer = (buffer << 8) | c;
    bits += 8;
    while (bits >= 6) out.push_back(kAlphabet[(buffer >> (bits -= 6)) & 0x3f]);
  }
  if (bits > 0) out.push_back(kAlphabet[(buffer << (6 - bits)) & 0x3f]);
  while (out.size() % 4) out.push_back('=');
  return out;
}

bool base64_decode(const std::string& in, std::string* out) {
  std::uint32_t buffer = 0;
  int bits = 0;
  out->clear();
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r') continue;
    const char* p = std::char_traits<char>::find(kAlphabet, 64, c);
    if (!p) return false;
    buffer = (buffer << 6) | static_cast<std::uint32_t>(p - kAlphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((buffer >> bits) & 0xff));
    }
  }
  return true;
}

}  // namespace hearth::net
