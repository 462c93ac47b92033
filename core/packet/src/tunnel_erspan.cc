// ERSPAN type II and III (draft-foschiano-erspan), carried in GRE 0x88be / 0x22eb; both carry
// the mirrored Ethernet frame. The 10-bit session id becomes the tunnel id.
//
// Type II (8 bytes): version(4)=1 VLAN(12) | COS(3) En(2) T(1) session(10) | reserved(12) index(20)
// Type III (12 bytes): version(4)=2 VLAN(12) | COS(3) BSO(2) T(1) session(10) | timestamp(32)
//   | SGT(16) | P(1) FT(5) HW id(6) D(1) Gra(2) O(1); O adds an 8-byte platform subheader.
#include "decode_impl.h"

namespace snapflow::packet::detail {
namespace {

constexpr size_t kErspan2Bytes = 8;
constexpr size_t kErspan3Bytes = 12;
constexpr size_t kPlatformSubheaderBytes = 8;

}  // namespace

Proto decode_erspan2(Decoder& d) {
  if (!d.has(kErspan2Bytes)) return d.short_tunnel(kErspan2Bytes);
  if ((d.u8(0) >> 4) != 1) return d.stop(DecodeStatus::kUnknownTunnel);
  const uint32_t session = d.be16(2) & 0x03ff;
  if (!enter_tunnel(d, TunnelType::kErspan2, session, true)) return Proto::kDone;
  d.pos += kErspan2Bytes;
  return Proto::kEthernet;
}

Proto decode_erspan3(Decoder& d) {
  if (!d.has(kErspan3Bytes)) return d.short_tunnel(kErspan3Bytes);
  if ((d.u8(0) >> 4) != 2) return d.stop(DecodeStatus::kUnknownTunnel);
  const size_t header_bytes = kErspan3Bytes + ((d.u8(11) & 1) ? kPlatformSubheaderBytes : 0);
  if (!d.has(header_bytes)) return d.short_tunnel(header_bytes);
  const uint32_t session = d.be16(2) & 0x03ff;
  if (!enter_tunnel(d, TunnelType::kErspan3, session, true)) return Proto::kDone;
  d.pos += header_bytes;
  return Proto::kEthernet;
}

}  // namespace snapflow::packet::detail
