#include "net/wire_address.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "net/wire.h"

namespace hearth::net::wire {
namespace {

constexpr std::string_view kUnixPrefix = "unix:";
constexpr std::size_t kMaxUnixPath = sizeof(sockaddr_un::sun_path) - 1;  // 107: room for the NUL

sockaddr_un unix_address(const std::string& path) {
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path, path.data(), path.size());  // callers checked the length
  return a;
}

std::string errno_text() { return std::strerror(errno); }

std::string octal_mode(mode_t mode) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(mode & 07777));
  return buf;
}

// Connects a fresh Unix stream socket to `path`; the descriptor, or -1 with errno set.
int try_connect_unix(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const sockaddr_un a = unix_address(path);
  if (connect(fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) != 0) {
    const int err = errno;
    close(fd);
    errno = err;
    return -1;
  }
  return fd;
}

}  // namespace

std::string WireAddress::text() const {
  return kind == Kind::kUnix ? std::string(kUnixPrefix) + path : host + ":" + std::to_string(port);
}

WireAddress parse_wire_address(const std::string& text) {
  WireAddress a;
  if (!text.starts_with(kUnixPrefix)) {
    split_host_port(text, &a.host, &a.port);  // throws naming the text
    return a;
  }
  a.kind = WireAddress::Kind::kUnix;
  a.path = text.substr(kUnixPrefix.size());
  const auto bad = [&](const std::string& why) {
    std::string shown = text;  // a NUL would end the message (what() is a C string)
    for (std::size_t at = 0; (at = shown.find('\0', at)) != std::string::npos; at += 2) shown.replace(at, 1, "\\0");
    return std::invalid_argument("'" + shown + "' is not a wire address: " + why);
  };
  if (a.path.empty()) throw bad("unix: needs the socket's path (unix:PATH)");
  if (a.path.find('\0') != std::string::npos) throw bad("the path holds a NUL byte");
  if (a.path.size() > kMaxUnixPath)
    throw bad("the path has " + std::to_string(a.path.size()) + " bytes, a Unix socket's at most " +
              std::to_string(kMaxUnixPath));
  return a;
}

int connect_wire(const WireAddress& address) {
  if (address.kind == WireAddress::Kind::kTcp) return connect_tcp(address.host, address.port);
  const int fd = try_connect_unix(address.path);
  if (fd < 0) throw std::runtime_error("wire: cannot connect to unix:" + address.path + ": " + errno_text());
  const int flags = fcntl(fd, F_GETFL);
  if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0) {  // kUnixSocketFlags, on the connecting end
    const std::string why = errno_text();
    close(fd);
    throw std::runtime_error("wire: unix:" + address.path + ": cannot make the socket non-blocking: " + why);
  }
  return fd;
}

std::string unix_socket_unusable(const std::string& path) {
  if (path.empty()) return "the wire socket's path is empty";
  if (path.size() > kMaxUnixPath)
    return "the wire socket's path " + path + " has " + std::to_string(path.size()) +
           " bytes, a Unix socket's at most " + std::to_string(kMaxUnixPath);
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  const std::string dir = parent.empty() ? "." : parent.string();
  struct stat st{};
  if (stat(dir.c_str(), &st) != 0) return "the wire socket's directory " + dir + ": " + errno_text();
  if (!S_ISDIR(st.st_mode)) return "the wire socket's directory " + dir + " is not a directory";
  if (st.st_uid != geteuid())
    return "the wire socket's directory " + dir + " belongs to uid " + std::to_string(st.st_uid) + ", not to this user";
  if ((st.st_mode & 077) != 0)
    return "the wire socket's directory " + dir + " has mode " + octal_mode(st.st_mode) +
           ": other users may enter it (chmod 700 it, or choose a directory only you can enter)";
  return "";
}

UnixListener listen_unix(const std::string& path) {
  if (const std::string why = unix_socket_unusable(path); !why.empty()) throw std::invalid_argument(why);
  struct stat st{};
  if (lstat(path.c_str(), &st) == 0) {  // a file from an earlier run, or something else
    if (!S_ISSOCK(st.st_mode))
      throw std::invalid_argument("the wire socket's path " + path + " holds a file that is not a socket: remove it "
                                  "or choose another path");
    const int live = try_connect_unix(path);
    if (live >= 0) {
      close(live);
      throw std::invalid_argument("another process listens on the wire socket " + path +
                                  " (another hearth up with this data directory?)");
    }
    if (errno != ECONNREFUSED)
      throw std::runtime_error("wire: cannot tell whether " + path + " is in use: " + errno_text());
    if (unlink(path.c_str()) != 0 && errno != ENOENT)  // stale: its listener is gone (a killed run)
      throw std::runtime_error("wire: cannot remove the stale socket " + path + ": " + errno_text());
  }
  UnixListener l;
  l.path = path;
  l.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l.fd < 0) throw std::runtime_error("wire: socket: " + errno_text());
  const sockaddr_un a = unix_address(path);
  // The directory lets nobody else in (checked above), so nobody can reach the file before its chmod.
  const bool bound = bind(l.fd, reinterpret_cast<const sockaddr*>(&a), sizeof a) == 0;
  if (!bound || chmod(path.c_str(), 0600) != 0 || lstat(path.c_str(), &st) != 0 || listen(l.fd, 64) != 0) {
    const std::string why = errno_text();
    close(l.fd);
    if (bound) unlink(path.c_str());
    throw std::runtime_error("wire: cannot listen on unix:" + path + ": " + why);
  }
  l.dev = st.st_dev;
  l.ino = st.st_ino;
  return l;
}

void close_unix_listener(UnixListener& listener) {
  if (listener.fd < 0) return;
  close(listener.fd);
  listener.fd = -1;
  struct stat st{};
  if (lstat(listener.path.c_str(), &st) == 0 && st.st_dev == listener.dev && st.st_ino == listener.ino)
    unlink(listener.path.c_str());
}

}  // namespace hearth::net::wire
