// decode_flow_fast(): the flow key of the common packet shapes, without a PacketView.
//
// Flow aggregation needs, per packet, the flow key and a few header fields; decode() fills a
// 284-byte PacketView for that (reset per packet, tunnel bookkeeping, a dispatch loop), and
// most packets on a real link have one of a handful of shapes. This fast path reads exactly
// those shapes and returns false for everything else, which the caller then hands to decode():
//
//   Ethernet [802.1Q/802.1ad/0x9100 tag [tag]]
//     IPv4 (not a fragment, header and total length consistent) | IPv6 (no extension header)
//       TCP (20-byte header present) | UDP (8) | SCTP (12) | ICMP/ICMPv6 (4) | another protocol
//       that decode() neither decodes further nor treats as a tunnel (OSPF, ESP, ...)
//   ... UDP to a VXLAN port with a valid VXLAN header, then one inner frame of the shape above
//       (without a further tunnel): the AWS VPC Traffic Mirroring shape.
//
// It is a fast path, not a second decoder: when it returns true, decode() on the same bytes
// returns kOk and make_flow_key() of its view equals `key`; the descriptive fields equal the
// view's as described on FastFlow. tests/fuzz/flow_decode_fuzz.cc checks exactly this on every
// input it is given (both functions, every link type and option set).
#pragma once

#include <cstdint>
#include <span>

#include "snapflow/packet/decode.h"
#include "snapflow/packet/flow_key.h"

namespace snapflow::packet {

struct FastFlow {
  FlowKey key;
  uint32_t ip_id = 0;     ///< view.ip_id: the innermost IPv4 identification (0 for IPv6)
  uint8_t tcp_flags = 0;  ///< view.tcp_flags for TCP, 0 otherwise
  /// Where the innermost Ethernet header starts: its 12 bytes are the view's destination and
  /// source MACs (view.has_ethernet is true; the view has no MPLS labels).
  uint16_t mac_offset = 0;
  /// Where the IP header carrying the tunnel starts (its source and destination addresses are
  /// the view's tunnels[0].source/destination), or 0 when the packet has no tunnel.
  uint16_t tunnel_ip_offset = 0;
  uint8_t tunnel_ip_version = 0;  ///< 4 or 6 when tunnel_ip_offset is set
};

// Fills out and returns true for the shapes listed above; returns false (out unspecified) for
// anything else, including every packet decode() would not report as kOk.
bool decode_flow_fast(std::span<const std::byte> frame, uint16_t link_type,
                      const DecodeOptions& options, FastFlow& out);

// The tunnel endpoints a FastFlow points at, as the view would hold them.
IpAddress fast_flow_tunnel_address(std::span<const std::byte> frame, const FastFlow& flow,
                                   bool source);

}  // namespace snapflow::packet
