// Link layers: Ethernet, Linux cooked capture v1/v2, BSD NULL/LOOP, and raw IP.
#include "decode_impl.h"

namespace snapflow::packet::detail {
namespace {

constexpr size_t kEthernetBytes = 14;
constexpr size_t kSllBytes = 16;
constexpr size_t kSll2Bytes = 20;
constexpr uint16_t kArphrdEther = 1;

// Ethertype values below 0x0600 are 802.3 lengths (an LLC frame follows), and Linux cooked
// captures use small protocol numbers (ETH_P_802_2, ...) for frames without an ethertype.
bool is_ethertype(uint16_t value) {
  return value >= 0x0600;
}

Proto non_ip_without_ethertype(Decoder& d) {
  begin_network_layer(d);
  d.view.ethertype = 0;
  return Proto::kDone;
}

void copy_mac(const std::byte* p, std::array<uint8_t, 6>& out) {
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(p[i]);
}

// Raw IP: the version nibble says which.
Proto raw_ip(Decoder& d) {
  if (!d.has(1)) return d.stop(DecodeStatus::kTruncatedIp);
  switch (d.u8(0) >> 4) {
    case 4:
      return Proto::kIpv4;
    case 6:
      return Proto::kIpv6;
    default:
      return d.stop(DecodeStatus::kBadIpHeader);
  }
}

// Cooked captures: the link-layer address is the sender's; keep it as the source MAC when it
// is an Ethernet one, so non-IP frames still have an identity.
Proto cooked(Decoder& d, size_t header_bytes, uint16_t hatype, uint8_t address_bytes,
             size_t address_offset, uint16_t protocol) {
  if (hatype == kArphrdEther && address_bytes == 6)
    copy_mac(d.data + d.pos + address_offset, d.view.source_mac);
  d.pos += header_bytes;
  if (!is_ethertype(protocol)) return non_ip_without_ethertype(d);
  d.ethertype = protocol;
  return Proto::kEthertype;
}

// NULL/LOOP carry a BSD address family; IPv6's value differs between BSDs.
Proto address_family(Decoder& d, uint32_t family) {
  d.pos += 4;
  switch (family) {
    case 2:
      return Proto::kIpv4;
    case 24:  // NetBSD, OpenBSD
    case 28:  // FreeBSD
    case 30:  // Darwin
    case 10:  // Linux AF_INET6, seen in some converted captures
      return Proto::kIpv6;
    default:
      return non_ip_without_ethertype(d);
  }
}

}  // namespace

Proto decode_ethernet(Decoder& d) {
  if (!d.has(kEthernetBytes)) return d.stop(DecodeStatus::kTruncatedLink);
  PacketView& v = d.view;
  v.has_ethernet = true;
  v.l2_offset = offset16(d.pos);
  copy_mac(d.data + d.pos, v.destination_mac);
  copy_mac(d.data + d.pos + 6, v.source_mac);
  const uint16_t type = d.be16(12);
  d.pos += kEthernetBytes;
  if (!is_ethertype(type)) return non_ip_without_ethertype(d);
  d.ethertype = type;
  return Proto::kEthertype;
}

Proto decode_link(Decoder& d, uint16_t link_type) {
  switch (link_type) {
    case kLinkEthernet:
      return Proto::kEthernet;
    case kLinkRaw:
    case kLinkDltRaw12:
    case kLinkDltRaw14:
      return raw_ip(d);
    case kLinkIpv4:
      return Proto::kIpv4;
    case kLinkIpv6:
      return Proto::kIpv6;
    case kLinkNull: {
      if (!d.has(4)) return d.stop(DecodeStatus::kTruncatedLink);
      // Host order of the capturing machine: try little-endian, fall back to big-endian.
      uint32_t family = base::load_le32(d.data + d.pos);
      if (family > 0xffff) family = base::load_be32(d.data + d.pos);
      return address_family(d, family);
    }
    case kLinkLoop:
      if (!d.has(4)) return d.stop(DecodeStatus::kTruncatedLink);
      return address_family(d, d.be32(0));
    case kLinkLinuxSll:
      // packet type(2) hatype(2) address length(2) address(8) protocol(2)
      if (!d.has(kSllBytes)) return d.stop(DecodeStatus::kTruncatedLink);
      return cooked(d, kSllBytes, d.be16(2), static_cast<uint8_t>(d.be16(4)), 6, d.be16(14));
    case kLinkLinuxSll2:
      // protocol(2) reserved(2) ifindex(4) hatype(2) packet type(1) address length(1) address(8)
      if (!d.has(kSll2Bytes)) return d.stop(DecodeStatus::kTruncatedLink);
      return cooked(d, kSll2Bytes, d.be16(8), d.u8(11), 12, d.be16(0));
    default:
      return d.stop(DecodeStatus::kUnsupportedLinkType);
  }
}

}  // namespace snapflow::packet::detail
