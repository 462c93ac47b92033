// VXLAN (RFC 7348): flags(1) reserved(3) VNI(3) reserved(1), then an Ethernet frame.
//
// Validation follows arkime's: besides I (0x08) only the Group Based Policy bits may be set
// (G 0x80 in the first byte, D 0x40 and A 0x08 in the second). Unlike arkime we also require I,
// which RFC 7348 makes mandatory, so a UDP 4789 packet without a valid VNI is not mistaken for
// a tunnel.
#include "decode_impl.h"

namespace snapflow::packet::detail {
namespace {

constexpr size_t kVxlanBytes = 8;
constexpr uint8_t kFlagI = 0x08;
constexpr uint8_t kReservedMask0 = 0x77;
constexpr uint8_t kReservedMask1 = 0xb7;

}  // namespace

Proto decode_vxlan(Decoder& d) {
  if (!d.has(kVxlanBytes)) return d.short_tunnel(kVxlanBytes);
  const uint8_t flags = d.u8(0);
  if ((flags & kFlagI) == 0 || (flags & kReservedMask0) != 0 || (d.u8(1) & kReservedMask1) != 0) {
    return d.stop(DecodeStatus::kUnknownTunnel);
  }
  const uint32_t vni = d.be32(4) >> 8;
  if (!enter_tunnel(d, TunnelType::kVxlan, vni, true)) return Proto::kDone;
  d.pos += kVxlanBytes;
  return Proto::kEthernet;
}

}  // namespace snapflow::packet::detail
