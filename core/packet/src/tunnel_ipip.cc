// IP-in-IP: IP protocol 4 (IPv4) or 41 (IPv6) inside IPv4 or IPv6, no tunnel header. The
// inner version nibble must agree with the protocol number; otherwise the bytes are not an
// encapsulated packet and stay the outer flow's payload.
#include "decode_impl.h"

namespace snapflow::packet::detail {

Proto decode_ip_in_ip(Decoder& d) {
  const bool inner_v4 = d.ip_protocol == 4;
  if (!d.has(1)) return d.short_tunnel(1);
  if ((d.u8(0) >> 4) != (inner_v4 ? 4 : 6)) return d.stop(DecodeStatus::kUnknownTunnel);
  if (!enter_tunnel(d, TunnelType::kIpInIp, 0, false)) return Proto::kDone;
  return inner_v4 ? Proto::kIpv4 : Proto::kIpv6;
}

}  // namespace snapflow::packet::detail
