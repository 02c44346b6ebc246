// A container restored from a function snapshot (invoker/snapshot_store.h, docs/faasnap.md): a runsc
// sandbox whose Python runtime was initialised before the checkpoint, so a cold start is the restore only
// (start kind `snapshot`). The restore runs in a cgroup of its own with the action's memory (plus
// kRunscOverheadMb for gVisor's Sentry and gofer), its CPU limit as the quota (else one core) and
// kRunscPidsMax: runsc and everything it starts join it before exec (snapshot::RunscConfig::cgroup_procs).
// With --snapshots reap the loading set is read before the restore starts; with faasnap a loader reads
// it while the restore runs. init_us measures restore until the runtime answers a ping.
// A run that times out, fails or is OOM-killed breaks the container (the activation fails as with any
// runtime). Destruction kills runsc and the sandbox, then removes the cgroup.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "invoker/live_container.h"
#include "invoker/snapshot_store.h"

namespace hearth::invoker {

// Restores `image` for `action` as container `id` in cgroup `cgroup_name` (hearth-<pid>-...); null with
// `error` (and `init_us` measured) when the restore fails or the restored runtime does not answer.
std::unique_ptr<LiveContainer> restore_container(SnapshotStore& store, std::shared_ptr<const FunctionImage> image,
                                                 const net::ActionRecord& action, const std::string& id,
                                                 const std::string& cgroup_name,
                                                 std::size_t max_result_bytes, std::int64_t* init_us, std::string* error);

}  // namespace hearth::invoker
