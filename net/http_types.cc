#include "net/http_types.h"

#include <cstdint>

#include "net/base64.h"

namespace hearth::net {
namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string url_decode(const std::string& s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

}  // namespace

ParsedTarget parse_target(const std::string& target) {
  ParsedTarget t;
  const auto q = target.find('?');
  t.path = url_decode(target.substr(0, q));
  if (q == std::string::npos) return t;
  std::size_t start = q + 1;
  while (start <= target.size()) {
    auto amp = target.find('&', start);
    if (amp == std::string::npos) amp = target.size();
    const std::string pair = target.substr(start, amp - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      t.query[url_decode(pair.substr(0, eq))] = eq == std::string::npos ? "" : url_decode(pair.substr(eq + 1));
    }
    start = amp + 1;
  }
  return t;
}

bool decode_basic_auth(const std::string& header, std::string* user, std::string* password) {
  static const std::string kPrefix = "Basic ";
  if (header.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  std::string decoded;
  if (!base64_decode(header.substr(kPrefix.size()), &decoded)) return false;
  const auto colon = decoded.find(':');
  if (colon == std::string::npos) return false;
  *user = decoded.substr(0, colon);
  *password = decoded.substr(colon + 1);
  return true;
}

}  // namespace hearth::net
