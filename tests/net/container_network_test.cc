// The pure parts of net/container_network.h: mode names, subnet parsing and splitting, config errors.
// The live parts (namespaces, veths, nftables; root only) are tests/invoker/container_network_live_test.cc.
#include "net/container_network.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace hearth::net {
namespace {

TEST(NetworkMode, NamesRoundTripAndUnknownIsRejected) {
  for (NetworkMode m : {NetworkMode::kNone, NetworkMode::kPerContainer, NetworkMode::kParticle})
    EXPECT_EQ(parse_network_mode(network_mode_name(m)), m);
  EXPECT_FALSE(parse_network_mode("bridge"));
  EXPECT_FALSE(parse_network_mode(""));
}

TEST(Ipv4Cidr, ParsesAndRejects) {
  const auto c = parse_ipv4_cidr("10.231.0.0/16");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->first, (10u << 24) | (231u << 16));
  EXPECT_EQ(c->second, 16);
  EXPECT_EQ(format_ipv4(c->first + 258), "10.231.1.2");
  for (const char* bad : {"10.231.0.0", "10.231.0/16", "256.0.0.0/8", "10.0.0.0/33", "10.0.0.0/16x", "a.b.c.d/8", "10.0.0.0/"})
    EXPECT_FALSE(parse_ipv4_cidr(bad)) << bad;
}

TEST(SplitSubnet, GivesEachInvokerADisjointPart) {
  EXPECT_EQ(split_subnet("10.231.0.0/16", 0, 1), "10.231.0.0/16");
  EXPECT_EQ(split_subnet("10.231.0.0/16", 0, 2), "10.231.0.0/17");
  EXPECT_EQ(split_subnet("10.231.0.0/16", 1, 2), "10.231.128.0/17");
  EXPECT_EQ(split_subnet("10.231.0.0/16", 2, 3), "10.231.128.0/18");  // 3 parts: quarters, the last unused
  EXPECT_THROW(split_subnet("10.231.0.0/28", 0, 2), std::invalid_argument);
  EXPECT_THROW(split_subnet("nonsense", 0, 2), std::invalid_argument);
}

TEST(ContainerNetworksConfig, ErrorsNameWhatIsWrong) {
  const auto message = [](NetworkConfig c) {
    try {
      ContainerNetworks n(c);
    } catch (const std::exception& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  NetworkConfig none;
  none.mode = NetworkMode::kNone;
  EXPECT_NE(message(none).find("mode none"), std::string::npos);
  std::string why;
  if (!ContainerNetworks::supported(NetworkMode::kPerContainer, &why)) {
    // Without root every config is refused for that reason first.
    NetworkConfig c;
    c.mode = NetworkMode::kPerContainer;
    EXPECT_NE(message(c).find(why), std::string::npos);
    return;
  }
  NetworkConfig c;
  c.mode = NetworkMode::kPerContainer;
  c.subnet = "10.231.0.1/16";
  EXPECT_NE(message(c).find("host bits set"), std::string::npos);
  c.subnet = "10.0.0.0/8";
  EXPECT_NE(message(c).find("prefix length from 16 to 28"), std::string::npos);
  c.subnet = "10.231.0.0/16";
  c.prefix = "Bad-Name";
  EXPECT_NE(message(c).find("may hold only a-z and 0-9"), std::string::npos);
  c.prefix = "toolongname";
  EXPECT_NE(message(c).find("longer than 8"), std::string::npos);
  c.prefix = "";
  c.max_addresses = 0;
  EXPECT_NE(message(c).find("at least 1 address"), std::string::npos);
}

}  // namespace
}  // namespace hearth::net
