#include "net/wire_tls.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <list>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace hearth::net::wire {

namespace {

using net::FrameClock;

// OpenSSL's queued reasons, oldest first ("" if none); clears the queue.
std::string ssl_errors() {
  std::string out;
  while (const unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

bool is_ip_literal(const std::string& s) {
  unsigned char buf[sizeof(in6_addr)];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

void set_nonblocking(int fd) { fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK); }

// Blocks SIGPIPE on this thread while alive (OpenSSL writes sockets with write(), which raises it when
// the peer is gone) and swallows one raised meanwhile, so a vanished peer is an error, not a dead process.
class SigpipeBlock {
 public:
  SigpipeBlock() {
    sigset_t pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe, &old_);
  }
  ~SigpipeBlock() {
    sigset_t pending, pipe;
    sigemptyset(&pipe);
    sigaddset(&pipe, SIGPIPE);
    if (sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
      const timespec zero{0, 0};
      sigtimedwait(&pipe, nullptr, &zero);
    }
    pthread_sigmask(SIG_SETMASK, &old_, nullptr);
  }

 private:
  sigset_t old_;
};

// Waits for `events` on `fd` until `deadline`; false at the deadline.
bool wait_for(int fd, short events, FrameClock::time_point deadline) {
  while (true) {
    int timeout = -1;
    if (deadline != net::kNoDeadline) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - FrameClock::now()).count();
      if (left <= 0) return false;
      timeout = static_cast<int>(std::min<long long>(left, 60'000));
    }
    pollfd p{fd, events, 0};
    const int r = poll(&p, 1, timeout);
    if (r > 0) return true;
    if (r < 0 && errno != EINTR) return true;  // let the SSL call report the error
  }
}

}  // namespace

// The relay threads of one endpoint. A relay closes its TCP socket under `mu` when it ends, so the
// destructor can shut down the sockets of those still running without touching a reused descriptor.
class TlsRelays {
 public:
  ~TlsRelays() {
    {
      std::lock_guard lock(mu_);
      for (Relay& r : relays_)
        if (r.tcp >= 0) ::shutdown(r.tcp, SHUT_RDWR);
    }
    for (Relay& r : relays_) r.thread.join();
  }

  void start(SSL* ssl, int tcp, int local) {
    std::lock_guard lock(mu_);
    for (auto it = relays_.begin(); it != relays_.end();) {  // join the finished ones
      if (it->tcp < 0) {
        it->thread.join();
        it = relays_.erase(it);
      } else {
        ++it;
      }
    }
    relays_.emplace_back();
    Relay& r = relays_.back();
    r.tcp = tcp;
    r.thread = std::thread([this, &r, ssl, tcp, local] { run(r, ssl, tcp, local); });
  }

 private:
  struct Relay {
    std::thread thread;
    int tcp = -1;  // -1 once the relay has ended (guarded by mu_)
  };

  void run(Relay& r, SSL* ssl, int tcp, int local) {
    SigpipeBlock no_sigpipe;
    pump(ssl, tcp, local);
    SSL_shutdown(ssl);  // best effort (non-blocking): tells the peer the stream ended
    SSL_free(ssl);
    close(local);  // the user's end reads EOF
    std::lock_guard lock(mu_);
    close(tcp);
    r.tcp = -1;
  }

  // Copies TLS → local and local → TLS until either side ends. Both descriptors are non-blocking.
  static void pump(SSL* ssl, int tcp, int local) {
    constexpr std::size_t kBuf = 64 * 1024;
    std::string in(kBuf, '\0'), out(kBuf, '\0');  // in: decrypted, for local; out: from local, to encrypt
    std::size_t in_len = 0, in_off = 0, out_len = 0, out_off = 0;
    // What an SSL call is waiting for on the TCP socket.
    const auto tls_wait = [&](int ret, short* events) {
      switch (SSL_get_error(ssl, ret)) {
        case SSL_ERROR_WANT_READ: *events |= POLLIN; return true;
        case SSL_ERROR_WANT_WRITE: *events |= POLLOUT; return true;
        default: return false;  // closed by the peer, or broken
      }
    };
    // A side that hung up while nothing waited on it is left out of poll (it would wake it for ever);
    // the next read or write on it reports the end.
    bool watch_tcp = true, watch_local = true;
    while (true) {
      short tcp_events = 0, local_events = 0;
      bool progress = true;
      while (progress) {
        progress = false;
        tcp_events = local_events = 0;
        if (in_off == in_len) {
          const int n = SSL_read(ssl, in.data(), static_cast<int>(kBuf));
          if (n > 0) {
            in_len = static_cast<std::size_t>(n), in_off = 0, progress = true;
          } else if (!tls_wait(n, &tcp_events)) {
            return;
          }
        }
        if (in_off < in_len) {
          const ssize_t w = send(local, in.data() + in_off, in_len - in_off, MSG_NOSIGNAL);
          if (w > 0) {
            in_off += static_cast<std::size_t>(w), progress = true;
          } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            local_events |= POLLOUT;
          } else if (errno != EINTR) {
            return;
          }
        }
        if (out_off == out_len) {
          const ssize_t n = recv(local, out.data(), kBuf, 0);
          if (n > 0) {
            out_len = static_cast<std::size_t>(n), out_off = 0, progress = true;
          } else if (n == 0) {
            return;  // the user closed or shut down its end
          } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            local_events |= POLLIN;
          } else if (errno != EINTR) {
            return;
          }
        }
        if (out_off < out_len) {
          const int n = SSL_write(ssl, out.data() + out_off, static_cast<int>(out_len - out_off));
          if (n > 0) {
            out_off += static_cast<std::size_t>(n), progress = true;
          } else if (!tls_wait(n, &tcp_events)) {
            return;
          }
        }
      }
      pollfd p[2] = {{watch_tcp ? tcp : -1, tcp_events, 0}, {watch_local ? local : -1, local_events, 0}};
      if (poll(p, 2, -1) < 0 && errno != EINTR) return;
      if ((p[0].revents & (POLLERR | POLLHUP)) && tcp_events == 0) watch_tcp = false;
      if ((p[1].revents & (POLLERR | POLLHUP)) && local_events == 0) watch_local = false;
      if (!watch_tcp && !watch_local) return;
    }
  }

  std::mutex mu_;
  std::list<Relay> relays_;  // stable addresses: a relay thread holds its own entry
};

TlsEndpoint::TlsEndpoint(void* ctx, bool server, std::string peer_name)
    : ctx_(ctx), server_(server), peer_name_(std::move(peer_name)), relays_(std::make_unique<TlsRelays>()) {}

TlsEndpoint::~TlsEndpoint() {
  relays_.reset();  // joins the relays before their SSL_CTX goes
  SSL_CTX_free(static_cast<SSL_CTX*>(ctx_));
}

namespace {

SSL_CTX* new_context(bool server) {
  SSL_CTX* ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
  if (!ctx) throw std::runtime_error("wire TLS: cannot create a context: " + ssl_errors());
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  return ctx;
}

}  // namespace

std::unique_ptr<TlsEndpoint> TlsEndpoint::server(const std::string& cert_file, const std::string& key_file) {
  SSL_CTX* ctx = new_context(true);
  const auto fail = [&](const std::string& what) {
    const std::string why = ssl_errors();
    SSL_CTX_free(ctx);
    throw std::runtime_error("wire TLS: " + what + (why.empty() ? "" : ": " + why));
  };
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
    fail("cannot use the certificate in " + cert_file + " (--wire-tls-cert, PEM)");
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1)
    fail("cannot use the private key in " + key_file + " (--wire-tls-key, PEM)");
  if (SSL_CTX_check_private_key(ctx) != 1) fail("the key in " + key_file + " does not match the certificate in " + cert_file);
  return std::unique_ptr<TlsEndpoint>(new TlsEndpoint(ctx, true, ""));
}

std::unique_ptr<TlsEndpoint> TlsEndpoint::client(const std::string& ca_file, const std::string& peer_name) {
  if (peer_name.empty()) throw std::invalid_argument("wire TLS: the controller's name to verify is empty");
  SSL_CTX* ctx = new_context(false);
  if (SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr) != 1) {
    const std::string why = ssl_errors();
    SSL_CTX_free(ctx);
    throw std::runtime_error("wire TLS: cannot load the CA certificates in " + ca_file + " (--wire-tls-ca, PEM): " + why);
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return std::unique_ptr<TlsEndpoint>(new TlsEndpoint(ctx, false, peer_name));
}

void TlsEndpoint::wrap(int fd, FrameClock::time_point deadline) {
  SigpipeBlock no_sigpipe;
  const int tcp = fcntl(fd, F_DUPFD_CLOEXEC, 0);  // the relay's own descriptor of the TCP connection
  if (tcp < 0) throw std::runtime_error(std::string("wire TLS: dup: ") + std::strerror(errno));
  SSL* ssl = SSL_new(static_cast<SSL_CTX*>(ctx_));
  const auto fail = [&](const std::string& why) {
    if (ssl) SSL_free(ssl);
    close(tcp);
    throw std::runtime_error("wire TLS: " + why);
  };
  if (!ssl || SSL_set_fd(ssl, tcp) != 1) fail("cannot start a session: " + ssl_errors());
  if (!server_) {
    const std::string& name = peer_name_;
    const bool ok = is_ip_literal(name) ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
                                        : SSL_set1_host(ssl, name.c_str()) == 1 && SSL_set_tlsext_host_name(ssl, name.c_str()) == 1;
    if (!ok) fail("cannot verify the name '" + name + "': " + ssl_errors());
  }
  set_nonblocking(tcp);
  while (true) {
    ERR_clear_error();
    const int r = server_ ? SSL_accept(ssl) : SSL_connect(ssl);
    if (r == 1) break;
    const int e = SSL_get_error(ssl, r);
    short events = 0;
    if (e == SSL_ERROR_WANT_READ) {
      events = POLLIN;
    } else if (e == SSL_ERROR_WANT_WRITE) {
      events = POLLOUT;
    } else {
      const long verify = SSL_get_verify_result(ssl);
      std::string why = verify != X509_V_OK ? std::string("certificate verify failed: ") + X509_verify_cert_error_string(verify)
                                            : ssl_errors();
      if (why.empty()) why = e == SSL_ERROR_SYSCALL || e == SSL_ERROR_ZERO_RETURN ? "the peer closed the connection" : "error " + std::to_string(e);
      fail("handshake failed: " + why);
    }
    if (!wait_for(tcp, events, deadline)) fail("handshake timed out");
  }
  int pair[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) fail(std::string("socketpair: ") + std::strerror(errno));
  if (dup3(pair[1], fd, O_CLOEXEC) < 0) {  // the user's descriptor becomes the plaintext end
    const int err = errno;
    close(pair[0]);
    close(pair[1]);
    fail(std::string("dup3: ") + std::strerror(err));
  }
  close(pair[1]);
  set_nonblocking(pair[0]);
  relays_->start(ssl, tcp, pair[0]);
}

void write_self_signed(const std::string& cert_file, const std::string& key_file, const std::string& name, int days) {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* cert = X509_new();
  const auto fail = [&](const std::string& what) {
    const std::string why = ssl_errors();
    EVP_PKEY_free(key);
    X509_free(cert);
    throw std::runtime_error("self-signed certificate: " + what + (why.empty() ? "" : ": " + why));
  };
  if (!key || !cert) fail("cannot create a key");
  X509_set_version(cert, 2);
  unsigned char serial[16];
  FILE* urandom = std::fopen("/dev/urandom", "rb");
  if (!urandom || std::fread(serial, 1, sizeof serial, urandom) != sizeof serial) {
    if (urandom) std::fclose(urandom);
    fail("cannot read /dev/urandom");
  }
  std::fclose(urandom);
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), static_cast<long>(days) * 86400);
  X509_set_pubkey(cert, key);
  X509_NAME* subject = X509_get_subject_name(cert);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(name.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert, subject);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert, cert, nullptr, nullptr, 0);
  const std::string san = (is_ip_literal(name) ? "IP:" : "DNS:") + name;
  for (const auto& [nid, value] : {std::pair{NID_basic_constraints, std::string("critical,CA:TRUE")},
                                   std::pair{NID_subject_key_identifier, std::string("hash")},
                                   std::pair{NID_subject_alt_name, san}}) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &v3, nid, value.c_str());
    if (!ext || X509_add_ext(cert, ext, -1) != 1) fail("cannot add extension " + value);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert, key, EVP_sha256()) == 0) fail("cannot sign");
  const mode_t old_mask = umask(077);  // the key file is the controller's secret
  FILE* kf = std::fopen(key_file.c_str(), "wb");
  umask(old_mask);
  if (!kf) fail("cannot write " + key_file + ": " + std::strerror(errno));
  const bool key_ok = PEM_write_PrivateKey(kf, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (std::fclose(kf) != 0 || !key_ok) fail("cannot write " + key_file);
  FILE* cf = std::fopen(cert_file.c_str(), "wb");
  if (!cf) fail("cannot write " + cert_file + ": " + std::strerror(errno));
  const bool cert_ok = PEM_write_X509(cf, cert) == 1;
  if (std::fclose(cf) != 0 || !cert_ok) fail("cannot write " + cert_file);
  EVP_PKEY_free(key);
  X509_free(cert);
}

bool is_loopback(const std::string& address) {
  if (address == "localhost" || address == "::1") return true;
  in_addr a{};
  return inet_pton(AF_INET, address.c_str(), &a) == 1 && (ntohl(a.s_addr) >> 24) == 127;
}

}  // namespace hearth::net::wire
