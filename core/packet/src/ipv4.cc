// IPv4: header length and options, total length, fragments; AH after IPv4.
#include "decode_impl.h"

namespace snapflow::packet::detail {

Proto decode_ipv4(Decoder& d) {
  if (!d.has(20)) return d.stop(DecodeStatus::kTruncatedIp);
  const uint8_t version_ihl = d.u8(0);
  if ((version_ihl >> 4) != 4) return d.stop(DecodeStatus::kBadIpHeader);
  const size_t header_bytes = static_cast<size_t>(version_ihl & 0x0f) * 4;
  if (header_bytes < 20) return d.stop(DecodeStatus::kBadIpHeader);
  const uint16_t total_length = d.be16(2);
  // TSO/GRO captures carry total length 0 on super-frames; trust the capture there.
  if (total_length != 0 && total_length < header_bytes) return d.stop(DecodeStatus::kBadIpHeader);
  if (!d.has(header_bytes)) return d.stop(DecodeStatus::kTruncatedIp);

  begin_network_layer(d);
  PacketView& v = d.view;
  v.ethertype = kEthertypeIpv4;
  v.l3_offset = offset16(d.pos);
  v.ip_id = d.be16(4);
  const uint16_t flags_offset = d.be16(6);
  v.fragment_offset = flags_offset & 0x1fff;
  const bool more_fragments = (flags_offset & 0x2000) != 0;
  v.is_fragment = more_fragments || v.fragment_offset != 0;
  v.is_first_fragment = v.is_fragment && v.fragment_offset == 0;
  v.ttl = d.u8(8);
  v.ip_protocol = d.u8(9);
  v.source_ip.version = 4;
  v.destination_ip.version = 4;
  for (size_t i = 0; i < 4; ++i) {
    v.source_ip.bytes[i] = d.u8(12 + i);
    v.destination_ip.bytes[i] = d.u8(16 + i);
  }
  // Bytes past the total length (Ethernet padding, trailers) are not part of the packet; a
  // total length beyond the capture just means a snaplen cut it.
  if (total_length != 0) d.limit_to(total_length);
  d.pos += header_bytes;
  v.payload_offset = offset16(d.pos);
  if (v.fragment_offset != 0) return Proto::kDone;  // only the first fragment has ports
  d.ip_protocol = v.ip_protocol;
  return Proto::kIpProtocol;
}

// RFC 4302: next header(1) payload length(1, in 4-byte units minus 2) reserved(2) SPI(4) ...
Proto decode_auth_header(Decoder& d) {
  if (!d.has(2)) return d.stop(DecodeStatus::kTruncatedIp);
  const size_t bytes = (static_cast<size_t>(d.u8(1)) + 2) * 4;
  if (!d.has(bytes)) return d.stop(DecodeStatus::kTruncatedIp);
  d.ip_protocol = d.u8(0);
  d.view.ip_protocol = d.ip_protocol;
  d.pos += bytes;
  d.view.payload_offset = offset16(d.pos);
  return Proto::kIpProtocol;
}

}  // namespace snapflow::packet::detail
