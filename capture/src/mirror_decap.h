// Recognising VPC Traffic Mirroring packets: VXLAN (RFC 7348; AWS mirror targets, UDP 4789,
// VNI = the mirror session's VNI) and Geneve (RFC 8926; Gateway Load Balancer, UDP 6081).
// One bounds-checked walk over untrusted bytes: outer Ethernet (up to two VLAN tags), IPv4 or
// IPv6, UDP to one of the configured ports, then the tunnel header, validated as the decoders
// in core/packet do (VXLAN I flag; Geneve version 0 and a known protocol type).
#pragma once

#include <cstddef>
#include <cstdint>

namespace snapflow::capture {

enum class MirrorKind : uint8_t { kVxlan, kGeneve };

enum class MirrorVerdict : uint8_t {
  kMirror,     ///< a mirror packet; MirrorPacket says where the mirrored frame starts
  kNotMirror,  ///< anything else (ARP, management traffic, other UDP ports)
  kMalformed,  ///< sent to a mirror port but not a valid VXLAN/Geneve packet (or a later
               ///< fragment of one: its tunnel header is in another packet)
  kCount
};
const char* to_string(MirrorVerdict verdict);

struct MirrorPacket {
  MirrorKind kind = MirrorKind::kVxlan;
  uint32_t vni = 0;
  uint32_t inner_offset = 0;     ///< where the mirrored frame (or Geneve's IP packet) starts
  uint16_t inner_ethertype = 0;  ///< 0: the inner is an Ethernet frame; else an IP packet
                                 ///< of this ethertype (Geneve protocol type 0x0800/0x86dd)
  uint8_t outer_ip_version = 4;
};

MirrorVerdict classify_mirror(const std::byte* frame, size_t length, uint16_t vxlan_port,
                              uint16_t geneve_port, MirrorPacket& out);

}  // namespace snapflow::capture
