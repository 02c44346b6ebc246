// WireTls: TLS for the controller ↔ invoker wire (docs/wire-protocol.md, "TLS"), for invokers on other
// hosts. OpenSSL (Debian's libssl), TLS 1.2 or later. The controller presents a certificate and key
// (`hearth up --wire-tls-cert/--wire-tls-key`); an invoker verifies the chain against a CA file
// (`hearth invoker --wire-tls-ca`; a self-signed certificate given as its own CA pins it) and the
// controller's name — a DNS name or an IP address, by default the host of --controller.
//
// wrap() turns a connected TCP socket into a TLS stream without changing its descriptor number: after the
// TLS handshake (bounded by `deadline`), the descriptor is replaced (dup2) by one end of a local socket
// pair whose other end a relay thread copies to and from the TLS session. So every user of the wire —
// the frame codec, the authenticating handshake of live/wire_auth.h (which runs inside TLS), shutdown()
// by the monitors — keeps working on a plain descriptor. The relay ends, closing the TCP connection, when
// the local end is closed or shut down, or when the peer closes or breaks the session (the local end then
// reads EOF). One TLS session is driven by one thread only (OpenSSL's rule).
// Cost: one extra copy through a socket pair each way and one relay thread per connection
// (bench/wire_bench.cc measures it).
#pragma once

#include <memory>
#include <string>

#include "net/frame_codec.h"

namespace hearth::net::wire {

class TlsRelays;

class TlsEndpoint {
 public:
  // The controller's side: its certificate chain and private key (PEM). Throws std::runtime_error naming
  // the file and OpenSSL's reason if either cannot be used or they do not match.
  static std::unique_ptr<TlsEndpoint> server(const std::string& cert_file, const std::string& key_file);
  // The invoker's side: trusts the certificates in `ca_file` (PEM) and requires the peer's certificate to
  // name `peer_name` (an IPv4/IPv6 literal is matched against IP SANs, anything else as a DNS name).
  static std::unique_ptr<TlsEndpoint> client(const std::string& ca_file, const std::string& peer_name);
  ~TlsEndpoint();
  TlsEndpoint(const TlsEndpoint&) = delete;
  TlsEndpoint& operator=(const TlsEndpoint&) = delete;

  // Runs the TLS handshake on connected socket `fd` (accepting as a server, connecting as a client) and
  // then swaps `fd` for the plaintext end of a relay (see above). Throws std::runtime_error with the
  // reason (certificate verify failed, timeout, peer closed, …); `fd` is then still the TCP socket, for
  // the caller to close.
  void wrap(int fd, net::FrameClock::time_point deadline);

 private:
  TlsEndpoint(void* ctx, bool server, std::string peer_name);
  void* ctx_;  // SSL_CTX
  bool server_;
  std::string peer_name_;  // client: the name the controller's certificate must carry
  std::unique_ptr<TlsRelays> relays_;  // joined by the destructor (after shutting their sockets down)
};

// Writes a self-signed certificate (and its EC P-256 key, mode 0600) valid for `days` whose subject
// and subjectAltName name `name` (an IP literal becomes an IP SAN, else a DNS SAN): a controller's
// pinned certificate, and what the tests use. Throws std::runtime_error naming the file on failure.
void write_self_signed(const std::string& cert_file, const std::string& key_file, const std::string& name,
                       int days = 365);

// Whether `address` (a numeric IPv4 address or "localhost") is a loopback address.
bool is_loopback(const std::string& address);

}  // namespace hearth::net::wire
