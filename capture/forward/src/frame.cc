#include "snapflow/forward/frame.h"

#include "snapflow/base/bytes.h"
#include "snapflow/forward/checksum.h"

namespace snapflow::forward {
namespace {

using base::load_be16;

constexpr int kMaxExtensionHeaders = 8;

// Finds the transport checksum field of a packet whose transport header starts at l4 and whose
// IP payload ends at end. Returns false for a first fragment too short to hold the field.
bool locate_l4_checksum(const std::byte* data, FrameView& out, size_t end, bool is_ipv6) {
  size_t field = 0;
  switch (out.protocol) {
    case kProtoTcp:
      field = out.l4_offset + 16;
      break;
    case kProtoUdp:
      field = out.l4_offset + 6;
      break;
    case kProtoIcmpv6:
      if (is_ipv6) field = out.l4_offset + 2;
      break;
    default:
      break;
  }
  if (field == 0) return true;
  if (field + 2 > end) return false;
  out.l4_checksum_offset = static_cast<uint16_t>(field);
  out.udp_zero_checksum = !is_ipv6 && out.protocol == kProtoUdp && load_be16(data + field) == 0;
  return true;
}

ParseStatus parse_ipv4(const std::byte* data, size_t length, FrameView& out) {
  const size_t l3 = out.l3_offset;
  if (length < l3 + 20) return ParseStatus::kTruncated;
  const auto vihl = static_cast<uint8_t>(data[l3]);
  const size_t ihl = size_t{vihl & 0x0fu} * 4;
  if ((vihl >> 4) != 4 || ihl < 20) return ParseStatus::kBadIpHeader;
  if (length < l3 + ihl) return ParseStatus::kTruncated;
  const size_t total = load_be16(data + l3 + 2);
  if (total < ihl) return ParseStatus::kBadIpHeader;
  if (l3 + total > length) return ParseStatus::kTruncated;
  if (!csum::ipv4_header_ok(data + l3, ihl)) return ParseStatus::kBadIpChecksum;
  out.ip_end = static_cast<uint32_t>(l3 + total);
  out.protocol = static_cast<uint8_t>(data[l3 + 9]);
  out.ttl = static_cast<uint8_t>(data[l3 + 8]);
  const uint16_t frag = load_be16(data + l3 + 6);
  const bool more = (frag & 0x2000) != 0;
  const uint16_t offset = frag & 0x1fff;
  out.is_fragment = more || offset != 0;
  if (offset != 0) return ParseStatus::kOk;  // no transport header in later fragments
  out.l4_offset = static_cast<uint16_t>(l3 + ihl);
  if (!locate_l4_checksum(data, out, out.ip_end, false)) {
    // A first fragment too short to hold its own checksum (RFC 1858's tiny fragment).
    return out.is_fragment ? ParseStatus::kUnsupported : ParseStatus::kTruncated;
  }
  return ParseStatus::kOk;
}

ParseStatus parse_ipv6(const std::byte* data, size_t length, FrameView& out) {
  const size_t l3 = out.l3_offset;
  if (length < l3 + 40) return ParseStatus::kTruncated;
  if ((static_cast<uint8_t>(data[l3]) >> 4) != 6) return ParseStatus::kBadIpHeader;
  const size_t payload = load_be16(data + l3 + 4);
  // Jumbograms (payload length 0 + hop-by-hop option) do not cross Ethernet links.
  if (l3 + 40 + payload > length) return ParseStatus::kTruncated;
  out.ip_end = static_cast<uint32_t>(l3 + 40 + payload);
  out.ttl = static_cast<uint8_t>(data[l3 + 7]);
  uint8_t next = static_cast<uint8_t>(data[l3 + 6]);
  size_t at = l3 + 40;
  for (int i = 0; i <= kMaxExtensionHeaders; ++i) {
    switch (next) {
      case 0:     // hop-by-hop options
      case 60: {  // destination options
        if (at + 8 > out.ip_end) return ParseStatus::kTruncated;
        next = static_cast<uint8_t>(data[at]);
        at += (size_t{static_cast<uint8_t>(data[at + 1])} + 1) * 8;
        continue;
      }
      case 43: {  // routing: rewriting the destination would contradict a live routing header
        if (at + 8 > out.ip_end) return ParseStatus::kTruncated;
        if (data[at + 3] != std::byte{0}) return ParseStatus::kUnsupported;
        next = static_cast<uint8_t>(data[at]);
        at += (size_t{static_cast<uint8_t>(data[at + 1])} + 1) * 8;
        continue;
      }
      case 44: {  // fragment
        if (at + 8 > out.ip_end) return ParseStatus::kTruncated;
        const uint16_t frag = load_be16(data + at + 2);
        out.is_fragment = true;
        next = static_cast<uint8_t>(data[at]);
        at += 8;
        if ((frag & 0xfff8) != 0) {  // not the first fragment: no transport header here
          out.protocol = next;
          return ParseStatus::kOk;
        }
        continue;
      }
      case 51: {  // AH: length in 4-byte units, minus 2
        if (at + 8 > out.ip_end) return ParseStatus::kTruncated;
        next = static_cast<uint8_t>(data[at]);
        at += (size_t{static_cast<uint8_t>(data[at + 1])} + 2) * 4;
        continue;
      }
      default:
        break;
    }
    break;
  }
  if (at > out.ip_end) return ParseStatus::kTruncated;
  out.protocol = next;
  out.l4_offset = static_cast<uint16_t>(at);
  if (!locate_l4_checksum(data, out, out.ip_end, true)) {
    return out.is_fragment ? ParseStatus::kUnsupported : ParseStatus::kTruncated;
  }
  return ParseStatus::kOk;
}

}  // namespace

const char* to_string(ParseStatus status) {
  switch (status) {
    case ParseStatus::kOk:
      return "ok";
    case ParseStatus::kTruncated:
      return "truncated";
    case ParseStatus::kBadIpHeader:
      return "bad_ip_header";
    case ParseStatus::kBadIpChecksum:
      return "bad_ip_checksum";
    case ParseStatus::kVlanTagged:
      return "vlan_tagged";
    case ParseStatus::kUnsupported:
      return "unsupported";
    case ParseStatus::kCount:
      break;
  }
  return "?";
}

ParseStatus parse_frame(const std::byte* data, size_t length, FrameView& out) {
  // Field by field: assigning a FrameView{} temporary costs a store-forwarding stall per packet.
  out.network = Network::kOther;
  out.l3_offset = kEthernetHeaderBytes;
  out.l4_offset = 0;
  out.ip_end = 0;
  out.protocol = 0;
  out.ttl = 0;
  out.is_fragment = false;
  out.l4_checksum_offset = 0;
  out.udp_zero_checksum = false;
  if (length < kEthernetHeaderBytes) return ParseStatus::kTruncated;
  // Frames longer than 64 KiB cannot be expressed in the 16-bit offsets; no Ethernet MTU
  // comes near (GSO super-frames are refused by the datapaths before parsing).
  if (length > 65535 + kEthernetHeaderBytes) return ParseStatus::kUnsupported;
  out.ethertype = load_be16(data + 12);
  switch (out.ethertype) {
    case kEtherTypeArp:
      out.network = Network::kArp;
      return ParseStatus::kOk;
    case kEtherTypeIpv4:
      out.network = Network::kIpv4;
      return parse_ipv4(data, length, out);
    case kEtherTypeIpv6:
      out.network = Network::kIpv6;
      return parse_ipv6(data, length, out);
    case kEtherTypeVlan:
    case kEtherTypeQinQ:
      return ParseStatus::kVlanTagged;
    default:
      return ParseStatus::kOk;  // Network::kOther: not for the forwarder
  }
}

}  // namespace snapflow::forward
