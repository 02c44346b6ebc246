// Particle's netlink writers against a real network namespace (root only; skipped otherwise):
// NftPins (nft_pins.h) and NetlinkAddresses (netlink_addresses.h) do what they say, and a refusal names
// the map or address, the table and the namespace. The namespace is made by create_named_netns and
// removed by `ip netns del`, also when a check fails.
#include <unistd.h>

#include <gtest/gtest.h>

#include <functional>
#include <stdexcept>
#include <string>

#include "net/host_command.h"
#include "net/named_netns.h"
#include "net/netlink_addresses.h"
#include "net/nft_pins.h"

namespace hearth::net {
namespace {

struct Namespace {
  std::string name = "zpnl" + std::to_string(getpid());
  std::string path = create_named_netns(name);
  ~Namespace() { run_host_command({"/usr/sbin/ip", "netns", "del", name}, ""); }
};

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}

TEST(ParticleNetlink, PinsAndLocalAddressesAreWrittenAndRefusalsNamedWhere) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  Namespace ns;
  NftPins pins(ns.path);
  const Pin pin{12345, 7, 0x0a0b0c0d};
  std::string e = error_of([&] { pins.add({pin}); });  // no table yet
  EXPECT_NE(e.find("map cg of table ip hearth in " + ns.path), std::string::npos) << e;
  ASSERT_TRUE(run_host_command({"/usr/sbin/nft", "-f", "-"},
                               "table ip hearth {\n map cg { type cgroupsv2 : mark; }\n map addr { type mark : ipv4_addr; }\n}\n", ns.path)
                  .ok);
  EXPECT_EQ(error_of([&] { pins.add({pin, {12346, 8, 0x0a0b0c0e}}); }), "");
  // The elements exist: deleting them by the same keys works once, then the kernel refuses.
  EXPECT_EQ(error_of([&] { pins.remove({pin}); }), "");
  e = error_of([&] { pins.remove({pin}); });
  EXPECT_NE(e.find("remove from map cg of table ip hearth"), std::string::npos) << e;

  NetlinkAddresses addresses(ns.path);
  addresses.loopback_up();
  EXPECT_EQ(error_of([&] { addresses.add({0x0a0b0c0d, 0x0a0b0c0e}); }), "");
  e = error_of([&] { addresses.add({0x0a0b0c0e}); });  // local already
  EXPECT_NE(e.find("add 10.11.12.14"), std::string::npos) << e;
  EXPECT_NE(e.find(ns.path), std::string::npos) << e;
  EXPECT_EQ(error_of([&] { addresses.remove({0x0a0b0c0d, 0x0a0b0c0e}); }), "");
}

TEST(ParticleNetlink, ANamespaceNameIsNotTakenTwice) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
  Namespace ns;
  const std::string e = error_of([&] { create_named_netns(ns.name); });
  EXPECT_NE(e.find("create " + ns.path), std::string::npos) << e;
}

}  // namespace
}  // namespace hearth::net
