#include "policy/openwhisk_hash.h"

#include <string>

namespace hearth::policy {
namespace {

// Decodes one UTF-8 sequence at s[i]; advances i. Malformed input yields U+FFFD for one byte.
std::uint32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  int extra = 0;
  std::uint32_t cp = 0, min = 0;
  if (b0 < 0x80) {
    ++i;
    return b0;
  } else if ((b0 & 0xE0) == 0xC0) {
    extra = 1, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    extra = 2, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    extra = 3, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + static_cast<std::size_t>(extra) >= s.size()) {  // truncated sequence
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k <= extra; ++k) {
    const unsigned char b = byte(i + static_cast<std::size_t>(k));
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

}  // namespace

std::int32_t java_string_hash(std::string_view utf8) {
  std::uint32_t h = 0;  // unsigned: wrap-around is defined, and equals Java's int32 arithmetic
  const auto add = [&h](std::uint32_t unit) { h = 31u * h + unit; };
  for (std::size_t i = 0; i < utf8.size();) {
    const std::uint32_t cp = next_code_point(utf8, i);
    if (cp < 0x10000) {
      add(cp);
    } else {
      add(0xD800 + ((cp - 0x10000) >> 10));
      add(0xDC00 + ((cp - 0x10000) & 0x3FF));
    }
  }
  return static_cast<std::int32_t>(h);
}

std::int32_t openwhisk_action_hash(std::string_view ns, std::string_view fully_qualified_name) {
  const std::int32_t x = java_string_hash(ns) ^ java_string_hash(fully_qualified_name);
  // Scala's Int.abs: -x wraps for Int.MinValue, which stays negative.
  return x >= 0 ? x : static_cast<std::int32_t>(0u - static_cast<std::uint32_t>(x));
}

std::int32_t openwhisk_function_hash(std::string_view name, std::string_view default_namespace) {
  const auto slash = name.find('/');
  if (slash != std::string_view::npos) return openwhisk_action_hash(name.substr(0, slash), name);
  return openwhisk_action_hash(default_namespace, std::string(default_namespace) + "/" + std::string(name));
}

}  // namespace hearth::policy
