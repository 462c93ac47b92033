// GTP-U (3GPP TS 29.281) on UDP 2152: flags(1) message type(1) length(2) TEID(4), then
// sequence(2) N-PDU(1) next extension type(1) when any of E/S/PN is set, then extension
// headers (length in 4-byte units, content, next type) while the next type is non-zero.
//
// Only G-PDUs (message type 0xff) carry user packets. Echo and other signalling messages are
// the outer UDP flow itself (kOk, no tunnel layer).
#include "decode_impl.h"

namespace snapflow::packet::detail {
namespace {

constexpr size_t kGtpuBytes = 8;
constexpr size_t kOptionalBytes = 4;
constexpr uint8_t kVersionMask = 0xe0;
constexpr uint8_t kVersion1 = 0x20;
constexpr uint8_t kProtocolTypeGtp = 0x10;
constexpr uint8_t kFlagE = 0x04;
constexpr uint8_t kFlagsOptional = 0x07;  // E, S, PN
constexpr uint8_t kMessageGpdu = 0xff;
constexpr int kMaxExtensions = 8;

}  // namespace

Proto decode_gtpu(Decoder& d) {
  if (!d.has(kGtpuBytes)) return d.short_tunnel(kGtpuBytes);
  const uint8_t flags = d.u8(0);
  if ((flags & kVersionMask) != kVersion1 || (flags & kProtocolTypeGtp) == 0) {
    return d.stop(DecodeStatus::kUnknownTunnel);
  }
  if (d.u8(1) != kMessageGpdu) return Proto::kDone;

  size_t header_bytes = kGtpuBytes;
  if (flags & kFlagsOptional) {
    header_bytes += kOptionalBytes;
    if (!d.has(header_bytes)) return d.short_tunnel(header_bytes);
    uint8_t next_type = (flags & kFlagE) ? d.u8(header_bytes - 1) : 0;
    for (int count = 0; next_type != 0; ++count) {
      if (count == kMaxExtensions) return d.stop(DecodeStatus::kUnknownTunnel);
      if (!d.has(header_bytes + 1)) return d.short_tunnel(header_bytes + 1);
      const size_t ext_bytes = static_cast<size_t>(d.u8(header_bytes)) * 4;
      if (ext_bytes == 0) return d.stop(DecodeStatus::kUnknownTunnel);
      header_bytes += ext_bytes;
      if (!d.has(header_bytes)) return d.short_tunnel(header_bytes);
      next_type = d.u8(header_bytes - 1);
    }
  }
  // The payload of a G-PDU is an IP packet; anything else (PPP, an empty end marker) is not
  // something we decode.
  if (!d.has(header_bytes + 1)) return d.short_tunnel(header_bytes + 1);
  const uint8_t version = d.u8(header_bytes) >> 4;
  if (version != 4 && version != 6) return d.stop(DecodeStatus::kUnknownTunnel);
  if (!enter_tunnel(d, TunnelType::kGtpU, d.be32(4), true)) return Proto::kDone;
  d.pos += header_bytes;
  return version == 4 ? Proto::kIpv4 : Proto::kIpv6;
}

}  // namespace snapflow::packet::detail
