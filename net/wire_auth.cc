#include "net/wire_auth.h"

#include <stdexcept>

#include "net/secrets.h"

namespace hearth::net::wire {
namespace {

std::string proof(const char* role, const std::string& token, const std::string& nc, const std::string& ni,
                  const std::string& name) {
  return secrets::hmac_sha256_hex(token, std::string("hearth-wire-1 ") + role + "\n" + nc + "\n" + ni + "\n" + name);
}

}  // namespace

std::string new_token() { return secrets::random_hex(32); }

void check_token(const std::string& token) {
  if (token.size() < kMinTokenChars)
    throw std::invalid_argument("the wire token must have at least " + std::to_string(kMinTokenChars) +
                                " characters (hearth up writes one to DATA_DIR/wire.token)");
}

std::string new_nonce() { return secrets::random_hex(16); }

std::string invoker_proof(const std::string& token, const std::string& controller_nonce, const std::string& invoker_nonce,
                          const std::string& name) {
  return proof("invoker", token, controller_nonce, invoker_nonce, name);
}

std::string controller_proof(const std::string& token, const std::string& controller_nonce,
                             const std::string& invoker_nonce, const std::string& name) {
  return proof("controller", token, controller_nonce, invoker_nonce, name);
}

}  // namespace hearth::net::wire
