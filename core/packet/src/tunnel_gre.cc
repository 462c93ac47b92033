// GRE (RFC 2784 + RFC 2890 key and sequence number): flags and version(2) protocol(2), then
// checksum+reserved(4) if C, key(4) if K, sequence(4) if S.
//
// Version 1 (PPTP's enhanced GRE) and the RFC 1701 routing/strict-route/recursion bits are not
// decoded: kUnknownTunnel, the view stays the outer IP flow. ERSPAN rides on GRE but is
// recorded as its own tunnel type (one layer, with the ERSPAN session as id), so GRE only
// pushes a layer for the payloads it carries itself.
#include "decode_impl.h"

namespace snapflow::packet::detail {
namespace {

constexpr uint16_t kFlagChecksum = 0x8000;
constexpr uint16_t kFlagKey = 0x2000;
constexpr uint16_t kFlagSequence = 0x1000;
constexpr uint16_t kUnsupportedBits = 0x4000 | 0x0800 | 0x0700;  // R, s, recursion control
constexpr uint16_t kVersionMask = 0x0007;

constexpr uint16_t kProtoErspan2 = 0x88be;
constexpr uint16_t kProtoErspan3 = 0x22eb;

}  // namespace

Proto decode_gre(Decoder& d) {
  if (!d.has(4)) return d.short_tunnel(4);
  const uint16_t flags = d.be16(0);
  const uint16_t protocol = d.be16(2);
  if ((flags & kVersionMask) != 0 || (flags & kUnsupportedBits) != 0) {
    return d.stop(DecodeStatus::kUnknownTunnel);
  }
  size_t header_bytes = 4;
  if (flags & kFlagChecksum) header_bytes += 4;
  size_t key_offset = header_bytes;
  if (flags & kFlagKey) header_bytes += 4;
  if (flags & kFlagSequence) header_bytes += 4;

  // ERSPAN is GRE's own; everything else is the ethertype table tunnels share.
  const Proto inner = protocol == kProtoErspan2   ? Proto::kErspan2
                      : protocol == kProtoErspan3 ? Proto::kErspan3
                                                  : tunnel_payload(protocol);
  if (inner == Proto::kDone) return d.stop(DecodeStatus::kUnknownTunnel);
  if (!d.has(header_bytes)) return d.short_tunnel(header_bytes);

  if (protocol == kProtoErspan2 && (flags & kFlagSequence) == 0) {
    // ERSPAN type I: no ERSPAN header, the mirrored Ethernet frame follows GRE directly.
    if (!enter_tunnel(d, TunnelType::kErspan2, 0, false)) return Proto::kDone;
    d.pos += header_bytes;
    return Proto::kEthernet;
  }
  if (inner != Proto::kErspan2 && inner != Proto::kErspan3) {
    const bool has_key = (flags & kFlagKey) != 0;
    if (!enter_tunnel(d, TunnelType::kGre, has_key ? d.be32(key_offset) : 0, has_key)) {
      return Proto::kDone;
    }
  }
  d.pos += header_bytes;
  return inner;
}

}  // namespace snapflow::packet::detail
