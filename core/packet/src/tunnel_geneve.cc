// Geneve (RFC 8926): version(2) options length(6, in 4-byte units) O C reserved(6)
// protocol type(2) VNI(3) reserved(1), options, then the payload named by the protocol type.
#include "decode_impl.h"

namespace snapflow::packet::detail {
namespace {

constexpr size_t kGeneveBytes = 8;

}  // namespace

Proto decode_geneve(Decoder& d) {
  if (!d.has(kGeneveBytes)) return d.short_tunnel(kGeneveBytes);
  const uint8_t first = d.u8(0);
  if ((first >> 6) != 0) return d.stop(DecodeStatus::kUnknownTunnel);  // only version 0 exists
  const size_t header_bytes = kGeneveBytes + static_cast<size_t>(first & 0x3f) * 4;
  const Proto inner = tunnel_payload(d.be16(2));
  if (inner == Proto::kDone) return d.stop(DecodeStatus::kUnknownTunnel);
  if (!d.has(header_bytes)) return d.short_tunnel(header_bytes);
  const uint32_t vni = d.be32(4) >> 8;
  if (!enter_tunnel(d, TunnelType::kGeneve, vni, true)) return Proto::kDone;
  d.pos += header_bytes;
  return inner;
}

}  // namespace snapflow::packet::detail
