// decode_flow_fast(): the common shapes read straight into a FlowKey (see flow_decode.h).
//
// Every check mirrors the step of decode() that makes the same decision (link.cc, vlan_mpls.cc,
// ipv4.cc, ipv6.cc, transport.cc, tunnel_vxlan.cc); where decode() would do anything but
// report kOk with this exact key, the fast path gives up and returns false. `end` plays the
// role of Decoder::end: the captured length, lowered by every length field on the way in.
#include "snapflow/packet/flow_decode.h"

#include <algorithm>
#include <cstring>

#include "snapflow/base/bytes.h"
#include "snapflow/base/link_type.h"

namespace snapflow::packet {
namespace {

using base::load_be16;
using base::load_be32;

constexpr uint16_t kEthertypeIpv4 = 0x0800;
constexpr uint16_t kEthertypeIpv6 = 0x86dd;
constexpr size_t kEthernetBytes = 14;
constexpr size_t kVlanBytes = 4;
constexpr size_t kIpv6Bytes = 40;
constexpr size_t kVxlanBytes = 8;

uint8_t u8(const std::byte* p) {
  return static_cast<uint8_t>(*p);
}

bool is_vlan(uint16_t ethertype) {
  return ethertype == 0x8100 || ethertype == 0x88a8 || ethertype == 0x9100;
}

// udp_tunnel_for_port() (transport.cc), split into "a tunnel at all" and "VXLAN".
bool is_vxlan_port(uint16_t port, const DecodeOptions& options) {
  if (port == 4789 || port == 8472) return true;
  return options.extra_vxlan_port != 0 && port == options.extra_vxlan_port && port != 6081 &&
         port != 2152;
}
bool is_tunnel_port(uint16_t port, const DecodeOptions& options) {
  return port == 6081 || port == 2152 || is_vxlan_port(port, options);
}

struct Reader {
  const std::byte* data;
  const DecodeOptions& options;
  FastFlow& out;

  template <int kDepth>
  bool ethernet(size_t pos, size_t end);
  template <int kDepth>
  bool ipv4(size_t pos, size_t end);
  template <int kDepth>
  bool ipv6(size_t pos, size_t end);
  template <int kDepth>
  bool transport(uint8_t protocol, size_t pos, size_t end, size_t ip_offset);
  bool vxlan(size_t pos, size_t end, size_t ip_offset);
};

template <int kDepth>
bool Reader::ethernet(size_t pos, size_t end) {
  if (end - pos < kEthernetBytes) return false;
  out.mac_offset = static_cast<uint16_t>(pos);
  uint16_t type = load_be16(data + pos + 12);
  pos += kEthernetBytes;
  // decode_vlan(): the outermost two tags are recorded outside tunnels and the key takes the
  // first; a third tag, or one inside a tunnel beyond two, is left to decode().
  for (int tags = 0; is_vlan(type); ++tags) {
    if (tags == 2 || end - pos < kVlanBytes) return false;
    if (kDepth == 0 && tags == 0) {
      out.key.vlan_id = load_be16(data + pos) & 0x0fff;
      out.key.flags |= FlowKey::kHasVlan;
    }
    type = load_be16(data + pos + 2);
    pos += kVlanBytes;
  }
  if (type == kEthertypeIpv4) return ipv4<kDepth>(pos, end);
  if (type == kEthertypeIpv6) return ipv6<kDepth>(pos, end);
  return false;  // MPLS, ARP, LLC (a length below 0x0600), ...
}

template <int kDepth>
bool Reader::ipv4(size_t pos, size_t end) {
  if (end - pos < 20) return false;
  const uint8_t version_ihl = u8(data + pos);
  if ((version_ihl >> 4) != 4) return false;
  const size_t header_bytes = static_cast<size_t>(version_ihl & 0x0f) * 4;
  const uint16_t total_length = load_be16(data + pos + 2);
  if (header_bytes < 20 || (total_length != 0 && total_length < header_bytes)) return false;
  if (end - pos < header_bytes) return false;
  if ((load_be16(data + pos + 6) & 0x3fff) != 0) return false;  // MF or an offset: a fragment
  FlowKey& key = out.key;
  key.ethertype = kEthertypeIpv4;
  key.ip_version = 4;
  key.source = {};
  key.destination = {};
  std::memcpy(key.source.data(), data + pos + 12, 4);
  std::memcpy(key.destination.data(), data + pos + 16, 4);
  out.ip_id = load_be16(data + pos + 4);
  if (total_length != 0) end = std::min(end, pos + total_length);
  return transport<kDepth>(u8(data + pos + 9), pos + header_bytes, end, pos);
}

template <int kDepth>
bool Reader::ipv6(size_t pos, size_t end) {
  if (end - pos < kIpv6Bytes) return false;
  if ((u8(data + pos) >> 4) != 6) return false;
  const uint8_t next = u8(data + pos + 6);
  // Extension headers (hop-by-hop, routing, fragment, destination options, AH) are decode()'s.
  if (next == 0 || next == 43 || next == 44 || next == 60 || next == 51) return false;
  FlowKey& key = out.key;
  key.ethertype = kEthertypeIpv6;
  key.ip_version = 6;
  std::memcpy(key.source.data(), data + pos + 8, 16);
  std::memcpy(key.destination.data(), data + pos + 24, 16);
  out.ip_id = 0;
  const uint16_t payload_length = load_be16(data + pos + 4);
  if (payload_length != 0) end = std::min(end, pos + kIpv6Bytes + payload_length);
  return transport<kDepth>(next, pos + kIpv6Bytes, end, pos);
}

template <int kDepth>
bool Reader::transport(uint8_t protocol, size_t pos, size_t end, size_t ip_offset) {
  FlowKey& key = out.key;
  key.ip_protocol = protocol;
  switch (protocol) {
    case 6:  // TCP: a header cut short is decode()'s (kTruncatedTransport, no ports)
      if (end - pos < 20) return false;
      out.tcp_flags = u8(data + pos + 13);
      break;
    case 17: {
      if (end - pos < 8) return false;
      const uint16_t destination_port = load_be16(data + pos + 2);
      if (options.decode_tunnels && is_tunnel_port(destination_port, options)) {
        if (kDepth != 0 || !is_vxlan_port(destination_port, options)) return false;
        const uint16_t length = load_be16(data + pos + 4);
        if (length >= 8) end = std::min(end, pos + length);
        return vxlan(pos + 8, end, ip_offset);
      }
      break;
    }
    case 132:  // SCTP common header
      if (end - pos < 12) return false;
      break;
    case 1:
    case 58:  // ICMP, ICMPv6: type and code in the port slots
      if (end - pos < 4) return false;
      key.source_port = u8(data + pos);
      key.destination_port = u8(data + pos + 1);
      key.flags |= FlowKey::kHasIcmp;
      return true;
    case 51:  // AH, and the IP-borne tunnels (GRE, IP-in-IP)
    case 47:
    case 4:
    case 41:
      return false;
    default:  // ESP, OSPF, ...: keyed by addresses and protocol
      return true;
  }
  key.source_port = load_be16(data + pos);
  key.destination_port = load_be16(data + pos + 2);
  key.flags |= FlowKey::kHasPorts;
  return true;
}

// tunnel_vxlan.cc's validation, then the inner frame. The key keeps the outer VLAN and takes
// the tunnel's type and VNI; everything of the outer network layer is replaced, as
// begin_network_layer() does for the view.
bool Reader::vxlan(size_t pos, size_t end, size_t ip_offset) {
  if (end - pos < kVxlanBytes) return false;
  const uint8_t flags = u8(data + pos);
  if ((flags & 0x08) == 0 || (flags & 0x77) != 0 || (u8(data + pos + 1) & 0xb7) != 0) return false;
  FlowKey& key = out.key;
  key.tunnel_type = TunnelType::kVxlan;
  key.tunnel_id = load_be32(data + pos + 4) >> 8;
  key.flags = static_cast<uint8_t>((key.flags & FlowKey::kHasVlan) | FlowKey::kHasTunnelId);
  key.source_port = 0;
  key.destination_port = 0;
  out.tcp_flags = 0;
  out.tunnel_ip_offset = static_cast<uint16_t>(ip_offset);
  out.tunnel_ip_version = key.ip_version;
  return ethernet<1>(pos + kVxlanBytes, end);
}

}  // namespace

bool decode_flow_fast(std::span<const std::byte> frame, uint16_t link_type,
                      const DecodeOptions& options, FastFlow& out) {
  if (link_type != base::kLinkEthernet) return false;
  out.key = FlowKey{};
  out.ip_id = 0;
  out.tcp_flags = 0;
  out.tunnel_ip_offset = 0;
  out.tunnel_ip_version = 0;
  Reader reader{frame.data(), options, out};
  return reader.ethernet<0>(0, frame.size());
}

IpAddress fast_flow_tunnel_address(std::span<const std::byte> frame, const FastFlow& flow,
                                   bool source) {
  IpAddress address;
  if (flow.tunnel_ip_offset == 0) return address;
  const size_t bytes = flow.tunnel_ip_version == 4 ? 4 : 16;
  const size_t field = flow.tunnel_ip_version == 4 ? (source ? 12 : 16) : (source ? 8 : 24);
  std::memcpy(address.bytes.data(), frame.data() + flow.tunnel_ip_offset + field, bytes);
  address.version = flow.tunnel_ip_version;
  return address;
}

}  // namespace snapflow::packet
