// Transport headers (TCP, UDP, ICMP/ICMPv6, SCTP) and the IP-protocol dispatch table that
// leads to them or to the IP-borne tunnels (GRE, IP-in-IP).
#include "decode_impl.h"

namespace snapflow::packet::detail {
namespace {

void set_ports(Decoder& d) {
  PacketView& v = d.view;
  v.has_ports = true;
  v.source_port = d.be16(0);
  v.destination_port = d.be16(2);
  v.l4_offset = offset16(d.pos);
}

// A transport header of header_bytes that fewer bytes remain for. A first IP fragment may end
// inside it by design (RFC 791 lets the first fragment carry as little as 8 bytes of
// transport header, and attacks such as nmap -f use exactly that): its first 4 bytes still
// hold both ports, and tshark keys the fragment on them, so do we; later fragments get them
// from it (pcap2json's fragment matching). When the IP length says the fragment ends here,
// nothing was lost (kOk); when the capture cut bytes the packet has, it is a truncation.
Proto short_transport(Decoder& d, size_t header_bytes) {
  if (!d.view.is_first_fragment || !d.has(4)) return d.stop(DecodeStatus::kTruncatedTransport);
  set_ports(d);
  d.view.payload_offset = offset16(d.end);
  if (d.pos + header_bytes <= d.declared_end) return d.stop(DecodeStatus::kTruncatedTransport);
  return Proto::kDone;
}

}  // namespace

Proto dispatch_ip_protocol(Decoder& d) {
  switch (d.ip_protocol) {
    case 6:
      return Proto::kTcp;
    case 17:
      return Proto::kUdp;
    case 1:
      return Proto::kIcmp;
    case 58:
      return Proto::kIcmpv6;
    case 132:
      return Proto::kSctp;
    case 51:
      return Proto::kAuthHeader;
    case 47:
      return d.options.decode_tunnels ? Proto::kGre : Proto::kDone;
    case 4:
    case 41:
      return d.options.decode_tunnels ? Proto::kIpInIp : Proto::kDone;
    default:
      return Proto::kDone;  // ESP, OSPF, ...: keyed by addresses and protocol
  }
}

Proto decode_tcp(Decoder& d) {
  if (!d.has(20)) {
    const Proto next = short_transport(d, 20);
    if (d.view.has_ports && d.has(14)) d.view.tcp_flags = d.u8(13);  // 16 bytes reach the flags
    return next;
  }
  set_ports(d);
  d.view.tcp_flags = d.u8(13);
  const size_t header_bytes = static_cast<size_t>(d.u8(12) >> 4) * 4;
  // A data offset below 20 is nonsense; the payload then starts after the fixed header.
  const size_t skip = header_bytes < 20 ? 20 : header_bytes;
  d.view.payload_offset = offset16(d.has(skip) ? d.pos + skip : d.end);
  return Proto::kDone;
}

Proto decode_udp(Decoder& d) {
  if (!d.has(8)) return short_transport(d, 8);
  set_ports(d);
  const uint16_t length = d.be16(4);
  if (length >= 8) d.limit_to(length);
  const uint16_t destination_port = d.view.destination_port;
  d.pos += 8;
  d.view.payload_offset = offset16(d.pos);
  if (!d.options.decode_tunnels) return Proto::kDone;
  return udp_tunnel_for_port(destination_port, d.options);
}

// ICMP and ICMPv6 share the fixed part we read: type(1) code(1) checksum(2).
Proto decode_icmp(Decoder& d) {
  if (!d.has(4)) return d.stop(DecodeStatus::kTruncatedTransport);
  PacketView& v = d.view;
  v.has_icmp = true;
  v.icmp_type = d.u8(0);
  v.icmp_code = d.u8(1);
  v.l4_offset = offset16(d.pos);
  v.payload_offset = offset16(d.has(8) ? d.pos + 8 : d.end);
  return Proto::kDone;
}

// SCTP common header: ports(4) verification tag(4) checksum(4).
Proto decode_sctp(Decoder& d) {
  if (!d.has(12)) return short_transport(d, 12);
  set_ports(d);
  d.view.payload_offset = offset16(d.pos + 12);
  return Proto::kDone;
}

// The UDP port table of tunnels, fixed at compile time (plus one configurable VXLAN port).
// Only the destination port selects: tunnel endpoints listen there, and a source port match
// would misread ordinary client traffic that happens to use an ephemeral port of that value.
Proto udp_tunnel_for_port(uint16_t destination_port, const DecodeOptions& options) {
  switch (destination_port) {
    case 4789:  // IANA VXLAN; AWS VPC Traffic Mirroring
    case 8472:  // Linux kernel's historical VXLAN default
      return Proto::kVxlan;
    case 6081:
      return Proto::kGeneve;
    case 2152:
      return Proto::kGtpu;
    default:
      if (options.extra_vxlan_port != 0 && destination_port == options.extra_vxlan_port) {
        return Proto::kVxlan;
      }
      return Proto::kDone;
  }
}

}  // namespace snapflow::packet::detail
