// Where the wire runs (docs/wire-protocol.md, "Transport"): an invoker reaches its controller at
// "HOST:PORT" (TCP, TCP_NODELAY; TLS when the invoker is given a CA) or at "unix:PATH" (a Unix-domain
// stream socket on this host: no TCP stack, loopback softirq or ACKs per frame; what `hearth up`'s own
// invokers use by default). Frames, the token handshake, heartbeats and everything above are the same on
// both: a connected stream socket is all they see.
// The controller's Unix socket file is made safe before anything can connect to it: its directory must
// belong to this user and let nobody else in (mode 0700 or narrower, so the moment between bind() and
// chmod() is private), the file is made 0600, a stale file left by a killed run (nobody accepts on it) is
// replaced, a live one or a file of another kind is refused, and the file is removed when the listener
// is closed — only if it is still the same file. Every function throws with a message naming the text
// or path; none keeps state.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <string>

namespace hearth::net::wire {

struct WireAddress {
  enum class Kind { kTcp, kUnix };
  Kind kind = Kind::kTcp;
  std::string host;         // kTcp
  std::uint16_t port = 0;   // kTcp
  std::string path;         // kUnix
  // The form parse_wire_address reads back: "HOST:PORT" or "unix:PATH".
  std::string text() const;
};

// "unix:PATH" (PATH non-empty, at most 107 bytes, no NUL) or "HOST:PORT" (split_host_port's rules);
// throws std::invalid_argument naming the text and what is wrong with it.
WireAddress parse_wire_address(const std::string& text);

// A Unix wire socket's descriptors are non-blocking (the controller accepts them with kUnixSocketFlags):
// its frame reader then waits in poll(), never in read(). A read() blocked on a Unix stream socket is
// woken — for nothing, to sleep again — each time the peer consumes bytes this end wrote (the kernel's
// write-space wake-up is not filtered by event there; poll's is): one more context switch per
// request-reply, measured in BENCHMARKS.md, "Fifth round". The frame writers handle EAGAIN (they poll).
constexpr int kUnixSocketFlags = SOCK_NONBLOCK;

// A connected stream socket to `address` (TCP_NODELAY for TCP; non-blocking for a Unix socket). Throws
// std::runtime_error.
int connect_wire(const WireAddress& address);

// Why `path` cannot hold the controller's wire socket ("" if it can): too long for sockaddr_un, its
// directory missing, not this user's, or open to group or others.
std::string unix_socket_unusable(const std::string& path);

// A listening Unix-domain stream socket bound at `path`, mode 0600, replacing a stale socket file there.
// Throws std::invalid_argument if unix_socket_unusable(path) says why not or the path holds something
// else (another live listener, a file that is not a socket); std::runtime_error if a syscall fails.
struct UnixListener {
  int fd = -1;
  std::string path;
  dev_t dev = 0;  // the bound file, so that close_unix_listener removes only it
  ino_t ino = 0;
};
UnixListener listen_unix(const std::string& path);
// Closes the descriptor and removes the socket file if it is still the one listen_unix made.
void close_unix_listener(UnixListener& listener);

}  // namespace hearth::net::wire
