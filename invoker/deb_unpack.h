// unpack_deb: extracts the files of a Debian package (.deb) into a directory, refusing whatever could
// write or point outside it. `dpkg-deb --fsys-tarfile` (Debian's own reader of the ar container and its
// compressors) streams the data tarball; this reads the tar stream itself (ustar, GNU long names, pax
// path/linkpath) and creates only regular files, directories, symlinks and hard links:
//   - a member whose path is absolute, has a ".." component, is too long, or lies below a symlink (nothing
//     is ever written through a link) ends the unpack with an error naming it; so does any other type
//     (devices, fifos), a hard link to something not already unpacked, or a member replacing a directory;
//   - a symlink whose target is absolute or climbs above the target directory (more ".." than its depth,
//     or ".." after a name) is not created and counted in `skipped_links` (Debian's python3 packages
//     hold a few, e.g. certifi's cacert.pem → /etc/ssl/certs/…): inside a sandbox it would name a host
//     path;
//   - modes keep only the execute bits (files 0644 or 0755, directories 0755), owners are the caller.
// Bounded: at most kMaxUnpackedBytes and kMaxMembers per package. Cost: one dpkg-deb process plus one
// write per member. Throws std::runtime_error ("<deb>: <member>: why"); `target` may then hold a part,
// which the caller removes.
#pragma once

#include <cstdint>
#include <string>

namespace hearth::invoker {

inline constexpr std::int64_t kMaxUnpackedBytes = 512ll << 20;
inline constexpr std::int64_t kMaxMembers = 100'000;

struct UnpackStats {
  std::int64_t files = 0;   // regular files and hard links
  std::int64_t bytes = 0;   // their content
  std::int64_t skipped_links = 0;
};

// `target` must exist and be an empty directory.
UnpackStats unpack_deb(const std::string& deb_path, const std::string& target);

}  // namespace hearth::invoker
