// IPv6: fixed header, then the extension header chain up to the transport protocol.
#include "decode_impl.h"

namespace snapflow::packet::detail {
namespace {

constexpr size_t kIpv6HeaderBytes = 40;
// More extension headers than this is no real packet (RFC 8200 recommends at most one of each
// kind, destination options twice): stop rather than walk an attacker's chain.
constexpr int kMaxExtensionHeaders = 8;

constexpr uint8_t kHopByHop = 0;
constexpr uint8_t kRouting = 43;
constexpr uint8_t kFragment = 44;
constexpr uint8_t kEsp = 50;
constexpr uint8_t kAuth = 51;
constexpr uint8_t kNoNextHeader = 59;
constexpr uint8_t kDestinationOptions = 60;

}  // namespace

Proto decode_ipv6(Decoder& d) {
  if (!d.has(kIpv6HeaderBytes)) return d.stop(DecodeStatus::kTruncatedIp);
  if ((d.u8(0) >> 4) != 6) return d.stop(DecodeStatus::kBadIpHeader);

  begin_network_layer(d);
  PacketView& v = d.view;
  v.ethertype = kEthertypeIpv6;
  v.l3_offset = offset16(d.pos);
  v.ttl = d.u8(7);
  v.source_ip.version = 6;
  v.destination_ip.version = 6;
  for (size_t i = 0; i < 16; ++i) {
    v.source_ip.bytes[i] = d.u8(8 + i);
    v.destination_ip.bytes[i] = d.u8(24 + i);
  }
  uint8_t next = d.u8(6);
  const uint16_t payload_length = d.be16(4);
  // Payload length 0 is a jumbogram (or a TSO super-frame): trust the capture.
  if (payload_length != 0) d.limit_to(kIpv6HeaderBytes + payload_length);
  d.pos += kIpv6HeaderBytes;

  bool later_fragment = false;
  for (int count = 0;; ++count) {
    v.ip_protocol = next;
    v.payload_offset = offset16(d.pos);
    if (next != kHopByHop && next != kRouting && next != kFragment && next != kDestinationOptions &&
        next != kAuth) {
      break;
    }
    if (count == kMaxExtensionHeaders) return d.stop(DecodeStatus::kBadIpHeader);
    if (!d.has(2)) return d.stop(DecodeStatus::kTruncatedIp);
    size_t bytes;
    if (next == kFragment) {
      bytes = 8;
      if (!d.has(bytes)) return d.stop(DecodeStatus::kTruncatedIp);
      const uint16_t offset_flags = d.be16(2);
      v.fragment_offset = offset_flags >> 3;
      v.ip_id = d.be32(4);
      // An "atomic fragment" (offset 0, M clear) is a whole packet.
      v.is_fragment = v.fragment_offset != 0 || (offset_flags & 1) != 0;
      v.is_first_fragment = v.is_fragment && v.fragment_offset == 0;
      later_fragment = v.fragment_offset != 0;
    } else if (next == kAuth) {
      bytes = (static_cast<size_t>(d.u8(1)) + 2) * 4;
    } else {
      bytes = (static_cast<size_t>(d.u8(1)) + 1) * 8;
    }
    if (!d.has(bytes)) return d.stop(DecodeStatus::kTruncatedIp);
    next = d.u8(0);
    d.pos += bytes;
  }
  // ESP hides the rest; "no next header" has nothing; later fragments have no ports.
  if (later_fragment || next == kEsp || next == kNoNextHeader) return Proto::kDone;
  d.ip_protocol = next;
  return Proto::kIpProtocol;
}

}  // namespace snapflow::packet::detail
