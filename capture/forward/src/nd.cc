#include "snapflow/forward/nd.h"

#include <algorithm>
#include <cstring>

#include "snapflow/base/bytes.h"
#include "snapflow/forward/arp.h"
#include "snapflow/forward/checksum.h"

namespace snapflow::forward {
namespace {

constexpr uint8_t kOptionSourceLinkAddress = 1;
constexpr uint8_t kOptionTargetLinkAddress = 2;

void write_ipv6_header(std::byte* ip, const IpAddr& src, const IpAddr& dst, uint16_t payload) {
  std::memset(ip, 0, 40);
  ip[0] = std::byte{0x60};
  base::store_be16(ip + 4, payload);
  ip[6] = std::byte{kProtoIcmpv6};
  ip[7] = std::byte{255};  // RFC 4861: ND messages carry hop limit 255
  src.store(ip + 8);
  dst.store(ip + 24);
}

}  // namespace

uint16_t icmpv6_checksum(const std::byte* l3, const std::byte* l4, size_t length) {
  uint64_t sum =
      csum::pseudo_header_v6(l3 + 8, l3 + 24, kProtoIcmpv6, static_cast<uint32_t>(length));
  return csum::finish(csum::add_bytes(l4, length, sum));
}

bool parse_nd(const std::byte* frame, const FrameView& view, NdMessage& out) {
  if (view.network != Network::kIpv6 || view.protocol != kProtoIcmpv6 || view.l4_offset == 0 ||
      view.is_fragment) {
    return false;
  }
  const std::byte* l3 = frame + view.l3_offset;
  const std::byte* l4 = frame + view.l4_offset;
  const size_t length = view.ip_end - view.l4_offset;
  if (length < 24 || view.ttl != 255 || l4[1] != std::byte{0}) return false;
  const auto type = static_cast<uint8_t>(l4[0]);
  if (type != kIcmpv6NeighbourSolicitation && type != kIcmpv6NeighbourAdvertisement) return false;
  if (csum::fold(csum::add_bytes(
          l4, length,
          csum::pseudo_header_v6(l3 + 8, l3 + 24, kProtoIcmpv6, static_cast<uint32_t>(length)))) !=
      0xffff) {
    return false;
  }
  out = NdMessage{};
  out.type = type;
  out.source = IpAddr::v6(l3 + 8);
  out.target = IpAddr::v6(l4 + 8);
  if (out.target.bytes[0] == 0xff) return false;  // multicast target
  out.solicited = type == kIcmpv6NeighbourAdvertisement && (static_cast<uint8_t>(l4[4]) & 0x40);
  const uint8_t wanted =
      type == kIcmpv6NeighbourSolicitation ? kOptionSourceLinkAddress : kOptionTargetLinkAddress;
  size_t at = 24;
  while (at + 2 <= length) {
    const auto opt_type = static_cast<uint8_t>(l4[at]);
    const size_t opt_len = size_t{static_cast<uint8_t>(l4[at + 1])} * 8;
    if (opt_len == 0 || at + opt_len > length) return false;  // RFC 4861 4.6: length 0 invalid
    if (opt_type == wanted && opt_len >= 8) {
      out.has_link_address = true;
      out.link_address = read_mac(l4 + at + 2);
    }
    at += opt_len;
  }
  return true;
}

size_t build_neighbour_solicitation(std::byte* out, const MacAddress& our_mac, const IpAddr& our_ip,
                                    const IpAddr& target) {
  const IpAddr group = solicited_node_group(target);
  write_ethernet(out, multicast_mac(group), our_mac, kEtherTypeIpv6);
  std::byte* ip = out + kEthernetHeaderBytes;
  write_ipv6_header(ip, our_ip, group, 32);
  std::byte* icmp = ip + 40;
  std::memset(icmp, 0, 32);
  icmp[0] = std::byte{kIcmpv6NeighbourSolicitation};
  target.store(icmp + 8);
  icmp[24] = std::byte{kOptionSourceLinkAddress};
  icmp[25] = std::byte{1};
  std::memcpy(icmp + 26, our_mac.data(), 6);
  base::store_be16(icmp + 2, icmpv6_checksum(ip, icmp, 32));
  return kNdFrameBytes;
}

size_t build_neighbour_advertisement(std::byte* out, const MacAddress& our_mac,
                                     const IpAddr& target, const MacAddress& dst_mac,
                                     const IpAddr& dst_ip) {
  bool solicited = true;
  IpAddr to = dst_ip;
  MacAddress to_mac = dst_mac;
  if (std::all_of(dst_ip.bytes.begin(), dst_ip.bytes.end(), [](uint8_t b) { return b == 0; })) {
    // A duplicate address detection probe: answer all nodes, unsolicited (RFC 4861 7.2.4).
    solicited = false;
    to = IpAddr{};
    to.family = 6;
    to.bytes = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01};
    to_mac = multicast_mac(to);
  }
  write_ethernet(out, to_mac, our_mac, kEtherTypeIpv6);
  std::byte* ip = out + kEthernetHeaderBytes;
  write_ipv6_header(ip, target, to, 32);
  std::byte* icmp = ip + 40;
  std::memset(icmp, 0, 32);
  icmp[0] = std::byte{kIcmpv6NeighbourAdvertisement};
  icmp[4] = std::byte(solicited ? 0x60 : 0x20);  // S (solicited) and O (override)
  target.store(icmp + 8);
  icmp[24] = std::byte{kOptionTargetLinkAddress};
  icmp[25] = std::byte{1};
  std::memcpy(icmp + 26, our_mac.data(), 6);
  base::store_be16(icmp + 2, icmpv6_checksum(ip, icmp, 32));
  return kNdFrameBytes;
}

}  // namespace snapflow::forward
