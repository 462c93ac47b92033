// Private to the decoder: the state one decode() call carries through its "next protocol"
// loop, and the step functions the loop dispatches to (one file per layer or tunnel).
//
// Each step reads the header at `pos`, fills the view, advances `pos` and returns what comes
// next; on a problem it records a status and returns Proto::kDone. Reads only ever happen
// after `has(n)` has confirmed n bytes below `end`, and go through memcpy loads (bytes.h).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "snapflow/base/bytes.h"
#include "snapflow/base/link_type.h"
#include "snapflow/packet/decode.h"
#include "snapflow/packet/view.h"

namespace snapflow::packet::detail {

enum class Proto : uint8_t {
  kEthernet,   ///< a 14-byte Ethernet header at pos
  kEthertype,  ///< dispatch on Decoder::ethertype
  kVlan,       ///< an 802.1Q/802.1ad tag (TCI + inner ethertype)
  kMpls,       ///< an MPLS label stack entry
  kIpv4,
  kIpv6,
  kIpProtocol,  ///< dispatch on Decoder::ip_protocol
  kAuthHeader,  ///< IP protocol 51 after IPv4 (IPv6 walks it with its extension headers)
  kTcp,
  kUdp,
  kIcmp,
  kIcmpv6,
  kSctp,
  kVxlan,
  kGeneve,
  kGre,
  kErspan2,
  kErspan3,
  kGtpu,
  kIpInIp,  ///< IP protocol 4 or 41: the next IP header follows directly
  kDone,
};

// Link-type numbers: the registry core/base shares with the capture-file readers.
using base::kLinkDltRaw12;
using base::kLinkDltRaw14;
using base::kLinkEthernet;
using base::kLinkIpv4;
using base::kLinkIpv6;
using base::kLinkLinuxSll;
using base::kLinkLinuxSll2;
using base::kLinkLoop;
using base::kLinkNull;
using base::kLinkRaw;

inline constexpr uint16_t kEthertypeIpv4 = 0x0800;
inline constexpr uint16_t kEthertypeIpv6 = 0x86dd;
inline constexpr uint16_t kEthertypeMpls = 0x8847;
inline constexpr uint16_t kEthertypeTeb = 0x6558;  ///< transparent Ethernet bridging

inline constexpr size_t kNoDeclaredEnd = SIZE_MAX;

struct Decoder {
  Decoder(std::span<const std::byte> frame, PacketView& v, const DecodeOptions& o)
      : data(frame.data()), captured(frame.size()), end(frame.size()), view(v), options(o) {}

  const std::byte* data;
  size_t captured;  ///< bytes we were given
  size_t end;       ///< min(captured, declared_end): nothing at or past it is read
  size_t declared_end = kNoDeclaredEnd;  ///< where the innermost length field says the packet ends
  size_t pos = 0;
  uint16_t ethertype = 0;       ///< input of Proto::kEthertype
  uint8_t ip_protocol = 0;      ///< input of Proto::kIpProtocol
  bool level_committed = true;  ///< false between entering a tunnel and its inner network header
  PacketView& view;
  const DecodeOptions& options;

  // The view as it was before the current tunnel was entered; restored if the inner packet
  // fails before its network header is decoded. A union so that decode() does not pay to
  // initialise it for the untunnelled packets that never use it.
  union Saved {
    Saved() {}
    PacketView view;
  } saved;

  bool has(size_t n) const { return end - pos >= n; }
  size_t remaining() const { return end - pos; }
  uint8_t u8(size_t off) const { return static_cast<uint8_t>(data[pos + off]); }
  uint16_t be16(size_t off) const { return base::load_be16(data + pos + off); }
  uint32_t be32(size_t off) const { return base::load_be32(data + pos + off); }

  Proto stop(DecodeStatus status) {
    view.status = status;
    return Proto::kDone;
  }
  // A length field says the packet ends at pos + bytes (Ethernet padding and trailers beyond
  // it are not part of the packet).
  void limit_to(size_t bytes) {
    const size_t new_end = pos + bytes;
    if (new_end < declared_end) declared_end = new_end;
    if (declared_end < end) end = declared_end;
  }
  // A tunnel header needs n bytes and fewer remain: if the packet's own lengths say the bytes
  // exist, the capture cut them (truncated); otherwise this is not that tunnel at all.
  Proto short_tunnel(size_t n) {
    return stop(pos + n <= declared_end ? DecodeStatus::kTruncatedTunnel
                                        : DecodeStatus::kUnknownTunnel);
  }
};

inline uint16_t offset16(size_t offset) {
  return offset > UINT16_MAX ? UINT16_MAX : static_cast<uint16_t>(offset);
}

// decode.cc: tunnel bookkeeping shared by the tunnel files.
bool enter_tunnel(Decoder& d, TunnelType type, uint32_t id, bool has_id);
// Starts a new network layer (IP or a non-IP ethertype): clears the IP and transport fields
// left by an outer level and marks the current tunnel level as decoded.
void begin_network_layer(Decoder& d);
Proto dispatch_ethertype(Decoder& d);
// What a tunnel header's protocol field (an ethertype, as in GRE and Geneve) carries next:
// kEthernet (0x6558), kIpv4, kIpv6 or kMpls; kDone for anything else.
Proto tunnel_payload(uint16_t ethertype);

// link.cc
Proto decode_link(Decoder& d, uint16_t link_type);
Proto decode_ethernet(Decoder& d);
// vlan_mpls.cc
Proto decode_vlan(Decoder& d);
Proto decode_mpls(Decoder& d);
// ipv4.cc, ipv6.cc
Proto decode_ipv4(Decoder& d);
Proto decode_ipv6(Decoder& d);
Proto decode_auth_header(Decoder& d);
// transport.cc
Proto dispatch_ip_protocol(Decoder& d);
Proto decode_tcp(Decoder& d);
Proto decode_udp(Decoder& d);
Proto decode_icmp(Decoder& d);
Proto decode_sctp(Decoder& d);
// tunnel_*.cc
Proto udp_tunnel_for_port(uint16_t destination_port, const DecodeOptions& options);
Proto decode_vxlan(Decoder& d);
Proto decode_geneve(Decoder& d);
Proto decode_gre(Decoder& d);
Proto decode_erspan2(Decoder& d);
Proto decode_erspan3(Decoder& d);
Proto decode_gtpu(Decoder& d);
Proto decode_ip_in_ip(Decoder& d);

}  // namespace snapflow::packet::detail
