// Container networks on the live host (net/container_network.h; docs/network.md), with real sandboxes
// (sandbox/sandbox.h) joining them: the address a server sees, tenant isolation (each probe first shown
// to succeed where the policy does not apply), and cleanup. Root only: skipped with the reason elsewhere.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "net/container_network.h"
#include "net/host_command.h"
#include "runtime/python_zygote.h"
#include "runtime/runtime_process.h"
#include "sandbox/sandbox.h"
#include "tests/sandbox/paused_child.h"

namespace hearth::net {
namespace {

// Each test its own subnet, so that tests and a running `hearth up` (10.231.0.0/16) never overlap.
NetworkConfig config(NetworkMode mode, int subnet, bool isolate = true) {
  NetworkConfig c;
  c.mode = mode;
  c.subnet = "10.24" + std::to_string(subnet) + ".0.0/24";
  c.isolate_tenants = isolate;
  c.egress_nat = false;  // these tests never leave the bridge
  c.spare_cgroups = 1;    // particle: a burst of more than one uses the spare and makes the rest
  return c;
}

bool skip(NetworkMode mode, std::string* why) {
  std::string s;
  if (!sandbox::Sandbox::supported(&s) || sandbox::Sandbox::privilege(nullptr) != sandbox::Privilege::kRoot) {
    *why = "needs root with writable cgroups: " + s;
    return true;
  }
  return !ContainerNetworks::supported(mode, why);
}

#define SKIP_UNLESS_SUPPORTED(mode)                                                    \
  do {                                                                                 \
    std::string why_;                                                                  \
    if (skip(mode, &why_)) GTEST_SKIP() << "container networks unavailable: " << why_; \
  } while (0)

std::atomic<int> sandbox_count{0};

// Runs a TCP client in a sandbox joined to `a`: connects to host:port within 1.5 s (first binding
// `bind_to` when given) and prints what the server sends. Returns its stdout, or "FAILED <reason>" when it
// could not connect.
std::string probe(const NetworkAttachment& a, const std::string& host, int port, const std::string& bind_to = "") {
  int out[2];
  if (pipe2(out, O_CLOEXEC) != 0) return "pipe failed";
  sandbox::SandboxSpec spec;
  spec.name = "nettest-" + std::to_string(getpid()) + "-" + std::to_string(sandbox_count++);
  spec.argv = {"/usr/bin/python3", "-S", "-c",
               "import socket,sys\n"
               "try:\n"
               "  s=socket.create_connection(('" + host + "'," + std::to_string(port) + "),timeout=1.5" +
                   (bind_to.empty() ? std::string() : ",source_address=('" + bind_to + "',0)") + ")\n"
               "  sys.stdout.write(s.recv(64).decode())\n"
               "except OSError as e:\n"
               "  sys.stdout.write('FAILED '+str(e))\n"};
  spec.fds = {{out[1], 1}};
  spec.netns = a.netns;
  spec.net_cgroup = a.net_cgroup;
  std::string text;
  {
    sandbox::Sandbox box(spec);
    close(out[1]);
    char buf[256];
    pollfd p{out[0], POLLIN, 0};
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline && poll(&p, 1, 200) >= 0) {
      if (!(p.revents & (POLLIN | POLLHUP))) continue;
      const ssize_t n = read(out[0], buf, sizeof buf);
      if (n <= 0) break;
      text.append(buf, static_cast<std::size_t>(n));
    }
    close(out[0]);
  }  // the sandbox is killed and reaped here, also when the probe hung
  return text;
}

// A TCP server that answers each connection with the peer's address and closes it. In the host's
// namespace, or (a child process) inside `netns`. Stops (and is reaped) when destroyed.
class EchoPeerServer {
 public:
  EchoPeerServer(const std::string& address, const std::string& netns = "") {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      prctl_die_with_parent();
      if (!netns.empty()) {
        const int fd = open(netns.c_str(), O_RDONLY);
        if (fd < 0 || setns(fd, CLONE_NEWNET) != 0) _exit(2);
      }
      const int s = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in sa{};
      sa.sin_family = AF_INET;
      inet_pton(AF_INET, address.c_str(), &sa.sin_addr);
      socklen_t len = sizeof sa;
      if (s < 0 || bind(s, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 || listen(s, 64) != 0 ||
          getsockname(s, reinterpret_cast<sockaddr*>(&sa), &len) != 0)
        _exit(3);
      const int port = ntohs(sa.sin_port);
      if (write(ready[1], &port, sizeof port) != sizeof port) _exit(4);
      for (;;) {
        sockaddr_in peer{};
        socklen_t plen = sizeof peer;
        const int c = accept(s, reinterpret_cast<sockaddr*>(&peer), &plen);
        if (c < 0) continue;
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &peer.sin_addr, text, sizeof text);
        (void)!write(c, text, strlen(text));
        close(c);
      }
    }
    close(ready[1]);
    pollfd p{ready[0], POLLIN, 0};
    if (poll(&p, 1, 5000) == 1 && read(ready[0], &port_, sizeof port_) != sizeof port_) port_ = 0;
    close(ready[0]);
  }
  ~EchoPeerServer() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }
  int port() const { return port_; }

 private:
  static void prctl_die_with_parent();
  pid_t pid_ = -1;
  int port_ = 0;
};

}  // namespace
}  // namespace hearth::net

#include <sys/prctl.h>

namespace hearth::net {
namespace {

void EchoPeerServer::prctl_die_with_parent() { prctl(PR_SET_PDEATHSIG, SIGKILL); }

std::string run(const std::vector<std::string>& argv) {
  // `ip`/`nft` listings, for the cleanup checks: stdout through a temporary file.
  const std::string file = "/tmp/hearth-nettest-" + std::to_string(getpid()) + ".out";
  std::vector<std::string> sh = {"/bin/sh", "-c", ""};
  for (const std::string& a : argv) sh[2] += a + " ";
  sh[2] += "> " + file;
  const HostCommandResult r = run_host_command(sh, "");
  std::string text;
  if (FILE* f = std::fopen(file.c_str(), "r")) {
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) text.append(buf, n);
    std::fclose(f);
  }
  std::filesystem::remove(file);
  return r.ok ? text : "ERROR " + r.error;
}

// What of `prefix` remains on the host: interfaces, namespaces, nftables tables, cgroup directories.
std::vector<std::string> leftovers(const std::string& prefix) {
  std::vector<std::string> found;
  const std::string links = run({"/usr/sbin/ip", "-o", "link", "show"});
  for (std::size_t at = 0; (at = links.find(": " + prefix, at)) != std::string::npos; ++at)
    found.push_back("link " + links.substr(at + 2, links.find(':', at + 2) - at - 2));
  if (std::filesystem::exists("/run/netns"))
    for (const auto& e : std::filesystem::directory_iterator("/run/netns"))
      if (e.path().filename().string().rfind(prefix, 0) == 0) found.push_back("netns " + e.path().string());
  const std::string tables = run({"/usr/sbin/nft", "list", "tables"});
  if (tables.find(" " + prefix + "\n") != std::string::npos) found.push_back("nft table " + prefix);
  for (const auto& e : std::filesystem::directory_iterator("/sys/fs/cgroup"))
    if (e.is_directory() && std::filesystem::exists(e.path() / prefix)) found.push_back("cgroup " + (e.path() / prefix).string());
  if (std::filesystem::exists("/run/hearth-networks/" + prefix)) found.push_back("owner record " + prefix);
  return found;
}

// Forks a child that builds a network with `config` and one container of alice's, and SIGKILLs it once
// it has; returns the network's prefix ("" if the child built none).
std::string killed_builder(const NetworkConfig& config) {
  int ready[2];
  if (pipe(ready) != 0) return "";
  const pid_t child = fork();
  if (child == 0) {  // builds a network with a container, says its prefix, and waits to be killed
    close(ready[0]);
    try {
      ContainerNetworks networks(config);
      networks.attach("alice");
      (void)!write(ready[1], networks.prefix().data(), networks.prefix().size());
      close(ready[1]);
      pause();
    } catch (...) {
    }
    _exit(1);
  }
  close(ready[1]);
  char prefix[16] = {};
  pollfd p{ready[0], POLLIN, 0};
  const bool said = poll(&p, 1, 20'000) == 1 && read(ready[0], prefix, sizeof prefix - 1) > 0;
  close(ready[0]);
  kill(child, SIGKILL);
  waitpid(child, nullptr, 0);
  return said ? prefix : "";
}

class Networks : public ::testing::TestWithParam<NetworkMode> {};

TEST_P(Networks, AServerOnTheBridgeSeesEachContainersOwnAddress) {
  SKIP_UNLESS_SUPPORTED(GetParam());
  ContainerNetworks networks(config(GetParam(), 1));
  const std::vector<NetworkAttachment> burst = networks.attach({"alice", "alice", "bob"});
  ASSERT_EQ(burst.size(), 3u);
  std::set<std::string> addresses;
  for (const auto& a : burst) addresses.insert(a.address);
  ASSERT_EQ(addresses.size(), 3u) << "each container has its own address";
  if (GetParam() == NetworkMode::kParticle) EXPECT_EQ(burst[0].netns, burst[1].netns) << "one namespace per tenant";
  else EXPECT_NE(burst[0].netns, burst[1].netns) << "one namespace per container";
  EchoPeerServer server(networks.gateway());
  ASSERT_GT(server.port(), 0);
  for (const auto& a : burst) EXPECT_EQ(probe(a, networks.gateway(), server.port()), a.address) << "container " << a.id;
}

TEST_P(Networks, TenantsCannotReachEachOtherButATenantsOwnContainersCan) {
  SKIP_UNLESS_SUPPORTED(GetParam());
  for (bool isolate : {false, true}) {
    SCOPED_TRACE(isolate ? "policy on" : "policy off");
    ContainerNetworks networks(config(GetParam(), isolate ? 3 : 2, isolate));
    const std::vector<NetworkAttachment> c = networks.attach({"alice", "alice", "bob"});
    // The server stands for alice's first container: in its namespace, on its address.
    EchoPeerServer server(c[0].address, c[0].netns);
    ASSERT_GT(server.port(), 0);
    EXPECT_EQ(probe(c[1], c[0].address, server.port()), c[1].address) << "alice's other container reaches it";
    const std::string from_bob = probe(c[2], c[0].address, server.port());
    if (isolate) EXPECT_EQ(from_bob.rfind("FAILED", 0), 0u) << "bob reached alice: " << from_bob;
    else EXPECT_EQ(from_bob, c[2].address) << "without the policy bob reaches alice (the probe works)";
  }
}

// Particle's pin holds below the function: binding a neighbour's address (possible in the shared tenant
// namespace) still leaves with its own; a process of no container cannot connect out at all, while a
// container of the same namespace can (the probe works).
TEST(ParticlePin, ABoundNeighbourAddressIsRewrittenAndUnpinnedTrafficIsDropped) {
  SKIP_UNLESS_SUPPORTED(NetworkMode::kParticle);
  ContainerNetworks networks(config(NetworkMode::kParticle, 7));
  const std::vector<NetworkAttachment> c = networks.attach(std::vector<std::string>{"alice", "alice"});
  EchoPeerServer server(networks.gateway());
  ASSERT_GT(server.port(), 0);
  EXPECT_EQ(probe(c[1], networks.gateway(), server.port(), c[0].address), c[1].address)
      << "a container that binds its neighbour's address still connects with its own";
  // Outside any container's cgroup (a sandbox in the tenant namespace without net_cgroup): dropped.
  NetworkAttachment unpinned = c[1];
  unpinned.net_cgroup.clear();
  const std::string out = probe(unpinned, networks.gateway(), server.port());
  EXPECT_EQ(out.rfind("FAILED", 0), 0u) << "a process of no container connected: " << out;
}

// A zygote per tenant (runtime/python_zygote.h, ZygoteOptions::netns; docs/network.md "a zygote per
// tenant"): alice's zygote starts in her namespace and each parked fork gets its own attachment. The fork
// is in alice's namespace, connects to a server on the gateway with its own address, and cannot reach
// bob's container — which, with the isolation policy off, it does (the probe works).
constexpr const char* kConnect = R"(import os, socket
def main(a):
    out = {'net': os.readlink('/proc/self/ns/net')}
    for name, (host, port) in a.items():
        try:
            out[name] = socket.create_connection((host, port), timeout=1.5).recv(64).decode()
        except OSError as e:
            out[name] = 'FAILED ' + str(e)
    return out
)";

class AttachmentLease {  // a fork's attachment, released with its sandbox
 public:
  explicit AttachmentLease(ContainerNetworks* networks) : networks_(networks), attachment_(networks->attach("alice")) {}
  ~AttachmentLease() { networks_->release(attachment_); }
  AttachmentLease(const AttachmentLease&) = delete;
  AttachmentLease& operator=(const AttachmentLease&) = delete;
  const NetworkAttachment& attachment() const { return attachment_; }

 private:
  ContainerNetworks* networks_;
  NetworkAttachment attachment_;
};

TEST(ParticleZygote, AForkIsInItsTenantsNamespaceWithItsOwnAddressAndCannotReachAnotherTenant) {
  SKIP_UNLESS_SUPPORTED(NetworkMode::kParticle);
  for (bool isolate : {false, true}) {
    SCOPED_TRACE(isolate ? "policy on" : "policy off");
    NetworkConfig c = config(NetworkMode::kParticle, 0, isolate);
    c.subnet = std::string("10.238.") + (isolate ? "1" : "0") + ".0/24";
    ContainerNetworks networks(c);
    const NetworkAttachment bob = networks.attach("bob");
    EchoPeerServer bobs(bob.address, bob.netns), gateway(networks.gateway());
    ASSERT_GT(bobs.port(), 0);
    ASSERT_GT(gateway.port(), 0);
    networks.attach("alice");  // alice's namespace exists once she has a container
    std::mutex mu;
    std::set<std::string> fork_addresses;
    runtime::ZygoteOptions o;
    o.name = "hearth-" + std::to_string(getpid()) + "-netzyg" + (isolate ? "1" : "0");
    o.netns = networks.tenant_netns("alice");
    o.fork_network = [&] {
      auto lease = std::make_shared<AttachmentLease>(&networks);
      std::lock_guard lock(mu);
      fork_addresses.insert(lease->attachment().address);
      return runtime::ForkNetwork{lease->attachment().net_cgroup, lease};
    };
    const std::shared_ptr<runtime::PythonZygote> zygote = runtime::PythonZygote::start(o);
    ASSERT_EQ(zygote->prepare(1), 1) << "a fork parked with its attachment";
    runtime::ProcessOptions po;
    po.sandboxed = true;
    po.zygote = zygote;
    po.name = "unused";
    po.limits.memory_mb = 128;
    runtime::RuntimeProcess fork(runtime::Language::kPython, po);
    ASSERT_TRUE(fork.init_source(kConnect, "main", 10000).ok);
    const runtime::RunResult r =
        fork.run(nlohmann::json{{"gateway", {networks.gateway(), gateway.port()}}, {"bob", {bob.address, bobs.port()}}}.dump(), 15000);
    ASSERT_TRUE(r.ok) << r.error;
    const nlohmann::json out = nlohmann::json::parse(r.result_json);
    EXPECT_EQ(zygote->forks(), 1u) << "a zygote start";
    EXPECT_EQ(zygote->parked_hits(), 1u) << "of the fork parked ahead";
    struct stat alice_ns {};
    ASSERT_EQ(stat(networks.tenant_netns("alice").c_str(), &alice_ns), 0);
    EXPECT_EQ(out["net"], "net:[" + std::to_string(alice_ns.st_ino) + "]") << "in alice's namespace";
    const std::string own = out["gateway"];
    {
      std::lock_guard lock(mu);
      EXPECT_EQ(fork_addresses.count(own), 1u) << "the gateway saw " << own << ", not a fork's own address";
    }
    ASSERT_EQ(own.rfind("FAILED", 0), std::string::npos) << "the fork could not reach the gateway: " << own;
    const std::string to_bob = out["bob"];
    if (isolate) EXPECT_EQ(to_bob.rfind("FAILED", 0), 0u) << "alice's fork reached bob: " << to_bob;
    else EXPECT_EQ(to_bob, own) << "without the policy the fork reaches bob (the probe works)";
  }
}

TEST_P(Networks, EverythingIsRemovedOnShutdownAndOnAFailedStart) {
  SKIP_UNLESS_SUPPORTED(GetParam());
  std::string prefix;
  {
    ContainerNetworks networks(config(GetParam(), 4));
    prefix = networks.prefix();
    auto c = networks.attach({"alice", "bob", "bob"});
    EXPECT_FALSE(leftovers(prefix).empty());
    networks.release(c[1]);
    EXPECT_EQ(networks.addresses_in_use(), GetParam() == NetworkMode::kParticle ? 4u : 2u);  // + the tenants' own
  }
  EXPECT_EQ(leftovers(prefix), std::vector<std::string>{});
  // A start that fails half-way (its bridge name is taken) removes what it made and nothing of the owner's.
  NetworkConfig c = config(GetParam(), 5);
  c.prefix = "hx" + std::to_string(getpid() % 100000);
  ASSERT_TRUE(run_host_command({"/usr/sbin/ip", "link", "add", c.prefix + "br", "type", "bridge"}, "").ok);
  EXPECT_THROW(ContainerNetworks{c}, std::runtime_error);
  EXPECT_EQ(leftovers(c.prefix), std::vector<std::string>{"link " + c.prefix + "br"});
  run_host_command({"/usr/sbin/ip", "link", "del", c.prefix + "br"}, "");
  EXPECT_EQ(leftovers(c.prefix), std::vector<std::string>{});
}

TEST_P(Networks, WhatAKilledProcessLeftIsSweptByTheNextOne) {
  SKIP_UNLESS_SUPPORTED(GetParam());
  const std::string prefix = killed_builder(config(GetParam(), 8));
  ASSERT_FALSE(prefix.empty()) << "the child built no network";
  EXPECT_FALSE(leftovers(prefix).empty()) << "a killed process removes nothing itself";
  EXPECT_GE(ContainerNetworks::remove_orphans(), 1u);
  EXPECT_EQ(leftovers(prefix), std::vector<std::string>{});
}

// A killed invoker's pid taken by a younger process before the next start: its objects are judged by
// their owner record's age, as CgroupOrphans.AGroupOlderThanTheProcessUnderItsPidIsAnOrphan does for
// cgroups. The network is built under the default-shaped prefix of a live process's pid by a child that
// is then killed: while the record is younger than that process, the objects are its (kept, as a pid-only
// sweep kept them); once the record is older than it (2001), the process is another one: swept.
TEST_P(Networks, ObjectsOlderThanTheProcessUnderTheirPidAreOrphans) {
  SKIP_UNLESS_SUPPORTED(GetParam());
  struct SweepAtEnd {  // a failed test leaves nothing: the holder is killed first, then its prefix is swept
    ~SweepAtEnd() { ContainerNetworks::remove_orphans(); }
  } sweep_at_end;
  const hearth::testing::PausedChild holder;  // stands for a process that reused a dead invoker's pid
  char prefix_text[16];
  std::snprintf(prefix_text, sizeof prefix_text, "h%xa", static_cast<unsigned>(holder.pid()) & 0xffffff);
  NetworkConfig c = config(GetParam(), 9);
  c.prefix = prefix_text;
  const std::string prefix = killed_builder(c);
  ASSERT_EQ(prefix, prefix_text) << "the child built no network";
  const std::vector<std::string> left = leftovers(prefix);
  ASSERT_GE(left.size(), 3u) << "a bridge, tables and an owner record at least";
  ContainerNetworks::remove_orphans();
  EXPECT_EQ(leftovers(prefix), left) << "the probe: made after its pid's process started, so that process's";
  const timespec long_ago[2] = {{1'000'000'000, 0}, {1'000'000'000, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, ("/run/hearth-networks/" + prefix).c_str(), long_ago, 0), 0);
  EXPECT_GE(ContainerNetworks::remove_orphans(), 1u);
  EXPECT_EQ(leftovers(prefix), std::vector<std::string>{}) << "made before its pid's process started: a dead owner's";
}

TEST_P(Networks, TheAddressPoolIsBounded) {
  SKIP_UNLESS_SUPPORTED(GetParam());
  NetworkConfig c = config(GetParam(), 6);
  c.max_addresses = 3;
  ContainerNetworks networks(c);
  const std::size_t fit = GetParam() == NetworkMode::kParticle ? 2 : 3;  // particle: the tenant takes one
  std::vector<NetworkAttachment> held;
  for (std::size_t i = 0; i < fit; ++i) held.push_back(networks.attach("alice"));
  try {
    networks.attach("alice");
    FAIL() << "a full pool gave an address";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("exhausted"), std::string::npos) << e.what();
  }
  networks.release(held.back());
  EXPECT_NO_THROW(networks.attach("alice")) << "a released address is reused";
}

INSTANTIATE_TEST_SUITE_P(Modes, Networks, ::testing::Values(NetworkMode::kPerContainer, NetworkMode::kParticle),
                         [](const auto& info) { return info.param == NetworkMode::kParticle ? "Particle" : "PerContainer"; });

}  // namespace
}  // namespace hearth::net
