// SHA-256 of a byte string as 64 lowercase hex characters (OpenSSL's libcrypto). Used to name content:
// code files are addressed by the digest of what they hold. Cost: about 2 ns per byte.
#pragma once

#include <string>
#include <string_view>

namespace hearth::net {

std::string sha256_hex(std::string_view bytes);

}  // namespace hearth::net
