// `hearth up --wire-socket off|PATH`: where the invokers `hearth up` starts join it (docs/wire-protocol.md,
// "Transport"). The default is a Unix-domain socket in the data directory; "off" keeps them on TCP
// (--wire-port), where invokers on other hosts always join.
#pragma once

#include <filesystem>
#include <string>

namespace hearth::cli {

// The socket path for RemoteDispatcherConfig::unix_path ("" = none: TCP) from the flag's text:
//   ""    (the default) DATA_DIR/wire.sock; or "" with a note on stderr, prefixed by `who`, when that path
//         cannot hold one (longer than a socket address holds, a directory other users may enter)
//   "off" ""
//   PATH  PATH; throws std::invalid_argument naming --wire-socket and why when it cannot hold one.
std::string wire_socket_path(const std::string& flag, const std::filesystem::path& data_dir, const char* who);

}  // namespace hearth::cli
