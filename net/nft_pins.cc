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

// A netlink message buffer: messages of nfnetlink attributes, nested ones closed by length.
class Batch {
 public:
  std::size_t begin(std::uint16_t type, std::uint16_t flags, std::uint32_t seq, std::uint8_t family, std::uint16_t res_id) {
    const std::size_t at = buf_.size();
    nlmsghdr h{};
    h.nlmsg_type = type;
    h.nlmsg_flags = flags;
    h.nlmsg_seq = seq;
    put(&h, sizeof h);
    nfgenmsg g{};
    g.nfgen_family = family;
    g.version = NFNETLINK_V0;
    g.res_id = htons(res_id);
    put(&g, sizeof g);
    return at;
  }
  void end(std::size_t message) { header(message)->nlmsg_len = static_cast<std::uint32_t>(buf_.size() - message); }
  void attr(std::uint16_t type, const void* data, std::size_t len) {
    nlattr a{};
    a.nla_len = static_cast<std::uint16_t>(NLA_HDRLEN + len);
    a.nla_type = type;
    put(&a, sizeof a);
    put(data, len);
  }
  void string(std::uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  std::size_t nest(std::uint16_t type) {
    const std::size_t at = buf_.size();
    nlattr a{};
    a.nla_type = type | NLA_F_NESTED;
    put(&a, sizeof a);
    return at;
  }
  void close(std::size_t nest) {
    nlattr a{};
    std::memcpy(&a, buf_.data() + nest, sizeof a);
    a.nla_len = static_cast<std::uint16_t>(buf_.size() - nest);
    std::memcpy(buf_.data() + nest, &a, sizeof a);
  }
  void value(std::uint16_t type, const void* data, std::size_t len) {  // NFTA_SET_ELEM_KEY/DATA { NFTA_DATA_VALUE }
    const std::size_t n = nest(type);
    attr(NFTA_DATA_VALUE, data, len);
    close(n);
  }
  const std::string& bytes() const { return buf_; }

 private:
  void put(const void* data, std::size_t len) {
    buf_.append(static_cast<const char*>(data), len);
    buf_.append(NLA_ALIGN(len) - len, '\0');
  }
  nlmsghdr* header(std::size_t at) { return reinterpret_cast<nlmsghdr*>(buf_.data() + at); }
  std::string buf_;
};

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
  Batch b;
  const std::uint32_t first_seq = seq_;
  b.end(b.begin(NFNL_MSG_BATCH_BEGIN, NLM_F_REQUEST, seq_++, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
  std::size_t messages = 0;
  for (const char* set : {"cg", "addr"}) {
    const bool cg = set[0] == 'c';
    for (std::size_t from = 0; from < pins.size(); from += kPerMessage) {
      const std::size_t m = b.begin(type, flags, seq_++, NFPROTO_IPV4, 0);
      ++messages;
      b.string(NFTA_SET_ELEM_LIST_TABLE, table_);
      b.string(NFTA_SET_ELEM_LIST_SET, set);
      const std::size_t list = b.nest(NFTA_SET_ELEM_LIST_ELEMENTS);
      for (std::size_t i = from; i < std::min(pins.size(), from + kPerMessage); ++i) {
        const Pin& p = pins[i];
        const std::size_t element = b.nest(NFTA_LIST_ELEM);
        if (cg) b.value(NFTA_SET_ELEM_KEY, &p.cgroup_id, sizeof p.cgroup_id);  // host order, as nft's cgroupsv2
        else b.value(NFTA_SET_ELEM_KEY, &p.mark, sizeof p.mark);               // host order, as a mark
        if (add) {
          if (cg) {
            b.value(NFTA_SET_ELEM_DATA, &p.mark, sizeof p.mark);
          } else {
            const std::uint32_t address = htonl(p.address);
            b.value(NFTA_SET_ELEM_DATA, &address, sizeof address);
          }
        }
        b.close(element);
      }
      b.close(list);
      b.end(m);
    }
  }
  b.end(b.begin(NFNL_MSG_BATCH_END, NLM_F_REQUEST, seq_++, AF_UNSPEC, NFNL_SUBSYS_NFTABLES));
  // One answer per element message (an acknowledgement or its error).
  const std::size_t per_set = (pins.size() + kPerMessage - 1) / kPerMessage;
  const std::string first_error = netlink_exchange(fd_, b.bytes().data(), b.bytes().size(), messages, where_, [&](std::uint32_t seq) {
    const std::uint32_t index = seq - first_seq - 1;  // 0 .. messages-1, cg's first
    return std::string(add ? "add to" : "remove from") + " map " + (index < per_set ? "cg" : "addr") + " of table ip " + table_;
  });
  if (!first_error.empty()) throw std::runtime_error("network: " + first_error);
}

}  // namespace hearth::net
