// Base64 (RFC 4648, standard alphabet, padded) for HTTP basic auth and native code in action bodies.
#pragma once

#include <string>

namespace hearth::net {

std::string base64_encode(const std::string& bytes);
// False on a character outside the alphabet; padding and line breaks are ignored.
bool base64_decode(const std::string& text, std::string* bytes);

}  // namespace hearth::net
