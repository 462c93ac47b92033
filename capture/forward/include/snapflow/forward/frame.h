// FrameView: what the forwarder needs to know about one received Ethernet frame, found by one
// bounds-checked walk over untrusted bytes (parse_frame) and nothing more: where the network
// and transport headers are, which checksum fields a rewrite must update, and whether the
// packet is a fragment. It does not allocate and does not copy.
//
// Offsets are from the start of the frame. ip_end excludes Ethernet padding: a short frame
// padded to 60 bytes has ip_end < length, and the padding is forwarded as received.
#pragma once

#include <cstddef>
#include <cstdint>

namespace snapflow::forward {

inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeArp = 0x0806;
inline constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;
inline constexpr uint16_t kEtherTypeQinQ = 0x88a8;
inline constexpr size_t kEthernetHeaderBytes = 14;

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;
inline constexpr uint8_t kProtoIcmpv6 = 58;

enum class Network : uint8_t { kOther, kArp, kIpv4, kIpv6 };

// Outcome of parse_frame; values index counters (kCount entries).
enum class ParseStatus : uint8_t {
  kOk,
  kTruncated,      ///< bytes end inside a header the forwarder needs
  kBadIpHeader,    ///< version, header length or total length inconsistent
  kBadIpChecksum,  ///< IPv4 header checksum does not verify (RFC 1812 5.2.2: drop)
  kVlanTagged,     ///< 802.1Q/802.1ad frames: the forwarder's ports are untagged
  kUnsupported,    ///< IPv6 routing header with segments left, tiny TCP/UDP first fragment
  kCount
};
const char* to_string(ParseStatus status);

struct FrameView {
  Network network = Network::kOther;
  uint16_t ethertype = 0;
  uint16_t l3_offset = kEthernetHeaderBytes;
  uint16_t l4_offset = 0;  ///< 0 when this packet carries no transport header (later fragment)
  uint32_t ip_end = 0;     ///< l3_offset + IP total length
  uint8_t protocol = 0;    ///< upper-layer protocol (after IPv6 extension headers)
  uint8_t ttl = 0;         ///< TTL / hop limit
  bool is_fragment = false;
  // Absolute offset of the transport checksum the addresses are part of (TCP, UDP, ICMPv6);
  // 0 when there is none to update (later fragments, other protocols, IPv4 ICMP).
  uint16_t l4_checksum_offset = 0;
  bool udp_zero_checksum = false;  ///< IPv4 UDP without a checksum: it stays 0

  uint16_t src_offset() const { return l3_offset + (network == Network::kIpv4 ? 12 : 8); }
  uint16_t dst_offset() const { return l3_offset + (network == Network::kIpv4 ? 16 : 24); }
  uint16_t ttl_offset() const { return l3_offset + (network == Network::kIpv4 ? 8 : 7); }
  size_t address_bytes() const { return network == Network::kIpv4 ? 4 : 16; }
};

// Parses an Ethernet frame of length bytes. ARP is recognised by ethertype only (arp.h parses
// it); IPv4 headers are validated including their checksum; IPv6 extension headers are walked
// (hop-by-hop, destination options, routing, fragment, AH) up to the transport header.
ParseStatus parse_frame(const std::byte* data, size_t length, FrameView& out);

}  // namespace snapflow::forward
