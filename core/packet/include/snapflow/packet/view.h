// PacketView: everything snapflow needs from one decoded packet, as a fixed-size POD.
//
// The decoder walks the frame once (link layer, VLAN/MPLS, IP, transport, tunnels) and fills
// a PacketView without allocating; offsets refer to the captured bytes it was given. For
// tunnelled packets the view describes the innermost packet (the mirrored or encapsulated
// traffic) and keeps the outer layers in `tunnels`, outermost first. VLAN tags are the
// outermost ones (where the capture point saw them). Fields not present are zero.
#pragma once

#include <array>
#include <cstdint>

namespace snapflow::packet {

// How far decoding got. Everything below kFirstError is a successful decode; the others tell
// where the packet stopped making sense. Every packet is still counted toward a flow keyed by
// whatever was decoded before the stop. Values index per-status counters (kCount entries).
enum class DecodeStatus : uint8_t {
  kOk,             ///< decoded to the transport layer (or a complete non-IP frame)
  kUnknownTunnel,  ///< a tunnel port/protocol whose header failed validation: kept as the outer
                   ///< flow
  kFirstError,
  kTruncatedLink = kFirstError,  ///< captured bytes end inside the link-layer header
  kTruncatedVlan,                ///< ... inside a VLAN or MPLS header
  kTruncatedIp,                  ///< ... inside the IPv4/IPv6 header or its extension headers
  kTruncatedTransport,           ///< ... inside the TCP/UDP/ICMP/SCTP header
  kTruncatedTunnel,              ///< ... inside a tunnel header
  kBadIpHeader,                  ///< IP version, header length or total length inconsistent
  kTunnelTooDeep,                ///< more nested encapsulations than kMaxTunnels
  kUnsupportedLinkType,          ///< a link type the decoder does not know
  kCount
};

const char* to_string(DecodeStatus status);

enum class TunnelType : uint8_t {
  kNone,
  kVxlan,     ///< UDP 4789/8472 (AWS VPC Traffic Mirroring delivers VXLAN on 4789)
  kGeneve,    ///< UDP 6081
  kGre,       ///< IP protocol 47, incl. transparent Ethernet bridging (0x6558)
  kErspan2,   ///< GRE 0x88be
  kErspan3,   ///< GRE 0x22eb
  kGtpU,      ///< UDP 2152
  kIpInIp,    ///< IP protocol 4 or 41 directly inside IP
  kMplsInIp,  ///< (reserved for MPLS-in-GRE/UDP)
};

const char* to_string(TunnelType type);

struct IpAddress {
  std::array<uint8_t, 16> bytes{};  ///< IPv4 in bytes[0..3], rest zero
  uint8_t version = 0;              ///< 0 (absent), 4 or 6
  bool operator==(const IpAddress&) const = default;
};

struct TunnelLayer {
  TunnelType type = TunnelType::kNone;
  uint32_t id = 0;  ///< VXLAN/Geneve VNI, GRE key, ERSPAN session, GTP TEID
  bool has_id = false;
  IpAddress source;  ///< outer IP endpoints carrying this tunnel
  IpAddress destination;
};

inline constexpr int kMaxTunnels = 4;
inline constexpr int kMaxVlans = 2;
inline constexpr int kMaxMplsLabels = 4;

struct PacketView {
  DecodeStatus status = DecodeStatus::kOk;

  // Innermost Ethernet header (the mirrored frame's MACs for VXLAN/Geneve/ERSPAN).
  bool has_ethernet = false;
  std::array<uint8_t, 6> source_mac{};
  std::array<uint8_t, 6> destination_mac{};

  // Outermost VLAN tags and MPLS label stack as seen at the capture point.
  uint8_t vlan_count = 0;
  std::array<uint16_t, kMaxVlans> vlan_ids{};
  uint8_t mpls_count = 0;
  std::array<uint32_t, kMaxMplsLabels> mpls_labels{};  ///< 20-bit labels, outermost first

  // Ethertype of the innermost network layer (0x0800, 0x86dd, 0x0806, ...), 0 if unknown.
  uint16_t ethertype = 0;

  // Innermost IP header.
  IpAddress source_ip;
  IpAddress destination_ip;
  uint8_t ip_protocol = 0;         ///< transport protocol after IPv6 extension headers
  uint8_t ttl = 0;                 ///< TTL / hop limit
  uint32_t ip_id = 0;              ///< IPv4 identification or IPv6 fragment identification
  bool is_fragment = false;        ///< MF set or offset != 0
  bool is_first_fragment = false;  ///< fragment with offset 0 (carries the ports)
  uint16_t fragment_offset = 0;    ///< in 8-byte units

  // Innermost transport header.
  bool has_ports = false;
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  uint8_t tcp_flags =
      0;  ///< FIN 0x01 SYN 0x02 RST 0x04 PSH 0x08 ACK 0x10 URG 0x20 ECE 0x40 CWR 0x80
  bool has_icmp = false;
  uint8_t icmp_type = 0;
  uint8_t icmp_code = 0;

  // Offsets (from the start of the captured bytes) of the innermost layers; 0 when absent.
  uint16_t l2_offset = 0;
  uint16_t l3_offset = 0;
  uint16_t l4_offset = 0;
  uint16_t payload_offset = 0;

  uint8_t tunnel_count = 0;
  std::array<TunnelLayer, kMaxTunnels> tunnels{};  ///< outermost first

  bool is_ip() const { return source_ip.version != 0; }
  bool has_tunnel() const { return tunnel_count != 0; }
};

}  // namespace snapflow::packet
