// RunscBundle: the OCI bundle (config.json + a root directory) a snapshot-capable Python runtime runs in
// under gVisor's runsc (docs/faasnap.md).
// The root is a small directory of its own: the minimal /etc of sandbox/ (sandbox::kEtcFiles, the host's
// ld.so.cache and /etc/alternatives for the BLAS symlinks), the usual /bin /lib /lib64 /sbin symlinks into
// /usr, and read-only bind mounts of /usr, the runtime directory and the caller's paths (the function's
// code and data). /tmp is a tmpfs inside the sandbox, /proc the sandbox's own. The process runs as nobody
// (65534) with every capability set empty and no_new_privs; runsc itself adds gVisor's user-space kernel
// and (RunscContainer) --network=none. The same bundle must be used to checkpoint and to restore: a restore
// re-creates the mounts from it.
// Cost: a few small files and directories, written once per function.
#pragma once

#include <string>
#include <vector>

namespace hearth::snapshot {

struct BundleSpec {
  std::string dir;                          // created; holds config.json and rootfs/
  std::vector<std::string> read_only_paths;  // absolute host paths (files or directories) shown read-only
  std::string hostname = "hearth-snapshot";
};

// The Python runtime's entry inside runsc (runtime/python/hearth_snapshot_entry.py).
std::string snapshot_entry_path();

// Writes the bundle. Throws std::invalid_argument for a relative or missing read-only path, or one that
// would hide part of the root (/, /usr, /etc, /proc, /tmp); std::runtime_error if a file cannot be written.
void write_bundle(const BundleSpec& spec);

}  // namespace hearth::snapshot
