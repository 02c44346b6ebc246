// HostCommand: runs one of the host's administration tools (iproute2's `ip`, nftables' `nft`) with a
// script on its standard input, optionally inside a network namespace, and reports its failure with the
// tool's own error text. Used by container_network.h to configure bridges, veths, addresses and nftables
// in batches (one process per batch, not one per object).
// Contract: `argv[0]` is an absolute path; `netns`, when not empty, is a namespace file (/run/netns/<name>)
// the child joins with setns() before exec (no /sys remount, unlike `ip netns exec`, so cgroup paths
// stay visible to nft). The child's stdout is discarded; its stderr is kept up to 64 KiB. Bounded in time:
// a tool still running after `timeout_ms` is killed and the call fails. Cost: one fork + exec per call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hearth::net {

struct HostCommandResult {
  bool ok = false;     // exited 0
  std::string error;   // what failed: the tool's stderr, or why it could not run / was killed
};

HostCommandResult run_host_command(const std::vector<std::string>& argv, const std::string& stdin_text,
                                   const std::string& netns = "", std::int64_t timeout_ms = 60'000);

}  // namespace hearth::net
