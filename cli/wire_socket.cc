#include "cli/wire_socket.h"

#include <cstdio>
#include <stdexcept>

#include "net/wire_address.h"

namespace hearth::cli {

std::string wire_socket_path(const std::string& flag, const std::filesystem::path& data_dir, const char* who) {
  if (flag == "off") return "";
  if (flag.empty()) {
    const std::string path = (data_dir / "wire.sock").string();
    const std::string why = net::wire::unix_socket_unusable(path);
    if (why.empty()) return path;
    std::fprintf(stderr, "%s: %s: the invokers started here join over TCP (give --wire-socket PATH for a socket)\n",
                 who, why.c_str());
    return "";
  }
  if (const std::string why = net::wire::unix_socket_unusable(flag); !why.empty())
    throw std::invalid_argument("--wire-socket " + flag + ": " + why);
  return flag;
}

}  // namespace hearth::cli
