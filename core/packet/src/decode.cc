// decode(): one loop over a "next protocol" switch. Every step lives in the file of its layer;
// this file holds the loop, the ethertype dispatch table and the tunnel bookkeeping.
#include "snapflow/packet/decode.h"

#include "decode_impl.h"

namespace snapflow::packet {
namespace detail {

bool enter_tunnel(Decoder& d, TunnelType type, uint32_t id, bool has_id) {
  PacketView& v = d.view;
  if (v.tunnel_count >= kMaxTunnels) {
    // The view stays the flow of the deepest level decoded (which carries this tunnel).
    d.stop(DecodeStatus::kTunnelTooDeep);
    return false;
  }
  std::construct_at(&d.saved.view, v);
  d.level_committed = false;
  TunnelLayer& t = v.tunnels[v.tunnel_count++];
  t.type = type;
  t.id = id;
  t.has_id = has_id;
  t.source = v.source_ip;
  t.destination = v.destination_ip;
  return true;
}

void begin_network_layer(Decoder& d) {
  PacketView& v = d.view;
  if (v.tunnel_count != 0) {
    v.source_ip = {};
    v.destination_ip = {};
    v.ip_protocol = 0;
    v.ttl = 0;
    v.ip_id = 0;
    v.is_fragment = false;
    v.is_first_fragment = false;
    v.fragment_offset = 0;
    v.has_ports = false;
    v.source_port = 0;
    v.destination_port = 0;
    v.tcp_flags = 0;
    v.has_icmp = false;
    v.icmp_type = 0;
    v.icmp_code = 0;
    v.l3_offset = 0;
    v.l4_offset = 0;
    v.payload_offset = 0;
  }
  d.level_committed = true;
}

Proto tunnel_payload(uint16_t ethertype) {
  switch (ethertype) {
    case kEthertypeTeb:
      return Proto::kEthernet;
    case kEthertypeIpv4:
      return Proto::kIpv4;
    case kEthertypeIpv6:
      return Proto::kIpv6;
    case kEthertypeMpls:
      return Proto::kMpls;
    default:
      return Proto::kDone;
  }
}

Proto dispatch_ethertype(Decoder& d) {
  switch (d.ethertype) {
    case 0x8100:  // 802.1Q
    case 0x88a8:  // 802.1ad service tag
    case 0x9100:  // pre-standard QinQ
      return Proto::kVlan;
    case 0x8847:  // MPLS unicast
    case 0x8848:  // MPLS multicast
      return Proto::kMpls;
    case kEthertypeIpv4:
      return Proto::kIpv4;
    case kEthertypeIpv6:
      return Proto::kIpv6;
    default:
      // ARP, LLDP, ...: a complete non-IP frame, keyed by MACs and ethertype.
      begin_network_layer(d);
      d.view.ethertype = d.ethertype;
      d.view.l3_offset = offset16(d.pos);
      d.view.payload_offset = offset16(d.pos);
      return Proto::kDone;
  }
}

}  // namespace detail

DecodeStatus decode(std::span<const std::byte> frame, uint16_t link_type, PacketView& view,
                    const DecodeOptions& options) {
  using detail::Proto;
  view = PacketView{};
  detail::Decoder d(frame, view, options);
  Proto next = detail::decode_link(d, link_type);
  while (next != Proto::kDone) {
    switch (next) {
      case Proto::kEthernet:
        next = detail::decode_ethernet(d);
        break;
      case Proto::kEthertype:
        next = detail::dispatch_ethertype(d);
        break;
      case Proto::kVlan:
        next = detail::decode_vlan(d);
        break;
      case Proto::kMpls:
        next = detail::decode_mpls(d);
        break;
      case Proto::kIpv4:
        next = detail::decode_ipv4(d);
        break;
      case Proto::kIpv6:
        next = detail::decode_ipv6(d);
        break;
      case Proto::kIpProtocol:
        next = detail::dispatch_ip_protocol(d);
        break;
      case Proto::kAuthHeader:
        next = detail::decode_auth_header(d);
        break;
      case Proto::kTcp:
        next = detail::decode_tcp(d);
        break;
      case Proto::kUdp:
        next = detail::decode_udp(d);
        break;
      case Proto::kIcmp:
      case Proto::kIcmpv6:
        next = detail::decode_icmp(d);
        break;
      case Proto::kSctp:
        next = detail::decode_sctp(d);
        break;
      case Proto::kVxlan:
        next = detail::decode_vxlan(d);
        break;
      case Proto::kGeneve:
        next = detail::decode_geneve(d);
        break;
      case Proto::kGre:
        next = detail::decode_gre(d);
        break;
      case Proto::kErspan2:
        next = detail::decode_erspan2(d);
        break;
      case Proto::kErspan3:
        next = detail::decode_erspan3(d);
        break;
      case Proto::kGtpu:
        next = detail::decode_gtpu(d);
        break;
      case Proto::kIpInIp:
        next = detail::decode_ip_in_ip(d);
        break;
      case Proto::kDone:
        break;
    }
  }
  // A tunnel whose inner packet broke before its network header is not a level we can key a
  // flow on: fall back to the outer view, keeping the status that says what went wrong.
  if (!d.level_committed && view.status >= DecodeStatus::kFirstError) {
    const DecodeStatus status = view.status;
    view = d.saved.view;
    view.status = status;
  }
  return view.status;
}

}  // namespace snapflow::packet
