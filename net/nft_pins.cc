#include "net/nft_pins.h"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/stat.h>

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "net/netlink_socket.h"

namespace hearth::net {
namespace {

nfgenmsg family(std::uint8_t family, std::uint16_t res_id) {
  nfgenmsg g{};
  g.nfgen_family = family;
  g.version = NFNETLINK_V0;
  g.res_id = htons(res_id);
  return g;
}

// NFTA_SET_ELEM_KEY/DATA { NFTA_DATA_VALUE }
void value(NetlinkMessages& b, std::uint16_t type, const void* data, std::size_t len) {
  const std::size_t n = b.nest(type);
  b.attr(NFTA_DATA_VALUE, data, len);
  b.close(n);
}

}  // namespace

NftPins::NftPins(const std::string& netns, std::string table)
    : where_(netns), table_(std::move(table)), fd_(netlink_socket_in(netns, NETLINK_NETFILTER)) {}

NftPins::~NftPins() {
  if (fd_ >= 0) ::close(fd_);
}

std::uint64_t NftPins::cgroup_id(const std::string& directory) {
  struct stat st {};
  if (stat(directory.c_str(), &st) != 0) throw std::runtime_error("network: stat " + directory + ": " + std::strerror(errno));
  return static_cast<std::uint64_t>(st.st_ino);
}

void NftPins::change(const std::vector<Pin>& pins, bool add) {
  if (pins.empty()) return;
  constexpr std::size_t kPerMessage = 256;
  const std::uint16_t type = static_cast<std::uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | (add ? NFT_MSG_NEWSETELEM : NFT_MSG_DELSETELEM));
  const std::uint16_t flags = static_cast<std::uint16_t>(NLM_F_REQUEST | NLM_F_ACK | (add ? NLM_F_CREATE : 0));
  NetlinkMessages b;
  const std::uint32_t first_seq = seq_;
  b.end(b.begin(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq_++, family(AF_UNSPEC, NFNL_SUBSYS_NFTABLES)));
  std::size_t messages = 0;
  for (const char* set : {"cg", "addr"}) {
    const bool cg = set[0] == 'c';
    for (std::size_t from = 0; from < pins.size(); from += kPerMessage) {
      const std::size_t m = b.begin(type, flags, seq_++, family(NFPROTO_IPV4, 0));
      ++messages;
      b.string(NFTA_SET_ELEM_LIST_TABLE, table_);
      b.string(NFTA_SET_ELEM_LIST_SET, set);
      const std::size_t list = b.nest(NFTA_SET_ELEM_LIST_ELEMENTS);
      for (std::size_t i = from; i < std::min(pins.size(), from + kPerMessage); ++i) {
        const Pin& p = pins[i];
        const std::size_t element = b.nest(NFTA_LIST_ELEM);
        if (cg) value(b, NFTA_SET_ELEM_KEY, &p.cgroup_id, sizeof p.cgroup_id);  // host order, as nft's cgroupsv2
        else value(b, NFTA_SET_ELEM_KEY, &p.mark, sizeof p.mark);               // host order, as a mark
        if (add) {
          if (cg) {
            value(b, NFTA_SET_ELEM_DATA, &p.mark, sizeof p.mark);
          } else {
            const std::uint32_t address = htonl(p.address);
            value(b, NFTA_SET_ELEM_DATA, &address, sizeof address);
          }
        }
        b.close(element);
      }
      b.close(list);
      b.end(m);
    }
  }
  b.end(b.begin(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq_++, family(AF_UNSPEC, NFNL_SUBSYS_NFTABLES)));
  // One answer per element message (an acknowledgement or its error).
  const std::size_t per_set = (pins.size() + kPerMessage - 1) / kPerMessage;
  const std::string first_error = netlink_exchange(fd_, b.bytes().data(), b.bytes().size(), messages, where_, [&](std::uint32_t seq) {
    const std::uint32_t index = seq - first_seq - 1;  // 0 .. messages-1, cg's first
    return std::string(add ? "add to" : "remove from") + " map " + (index < per_set ? "cg" : "addr") + " of table ip " + table_;
  });
  if (!first_error.empty()) throw std::runtime_error("network: " + first_error);
}

}  // namespace hearth::net
