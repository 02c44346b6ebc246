// Secrets: random credentials and the checks on them, for the API keys (Store) and the wire token
// (RemoteDispatcher / InvokerAgent). Randomness comes from the kernel's CSPRNG (getrandom(2), blocking
// only until the pool is first initialised at boot); hashes and MACs from OpenSSL's libcrypto (SHA-256,
// HMAC-SHA-256); comparisons of secret-derived bytes use CRYPTO_memcmp, whose time does not depend on
// where the inputs differ. Secret files are written with mode 0600 (created so, never widened) and read
// back with their trailing whitespace removed. Every function is thread-safe; none caches anything.
#pragma once

#include <cstddef>
#include <string>

namespace hearth::net::secrets {

// `n` bytes from getrandom(2); throws std::runtime_error if the kernel refuses.
std::string random_bytes(std::size_t n);
// 2·n lowercase hex characters of n random bytes.
std::string random_hex(std::size_t n);
// A random (version 4) UUID, as OpenWhisk's namespace uuids: 8-4-4-4-12 lowercase hex.
std::string new_uuid();
// A random 64-character [A-Za-z0-9] key, as OpenWhisk's (about 381 bits).
std::string new_key();

// Lowercase hex of SHA-256(salt ‖ secret).
std::string salted_sha256_hex(const std::string& salt, const std::string& secret);
// Lowercase hex of HMAC-SHA-256(key, message).
std::string hmac_sha256_hex(const std::string& key, const std::string& message);
// True if a and b are equal, in time that depends only on their lengths.
bool equal_constant_time(const std::string& a, const std::string& b);
std::string to_hex(const std::string& bytes);

// Writes `text` + "\n" to `path` with mode 0600 (replacing the file atomically through a temporary in
// the same directory); throws std::runtime_error naming the path.
void write_secret_file(const std::string& path, const std::string& text);
// The file's contents without trailing whitespace; throws std::runtime_error naming the path if it
// cannot be read, is empty, or is readable by group or others (then it says to chmod 600).
std::string read_secret_file(const std::string& path);

}  // namespace hearth::net::secrets
