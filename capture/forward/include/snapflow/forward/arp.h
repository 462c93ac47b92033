// ARP (RFC 826) for Ethernet/IPv4: parse a received request or reply, build the probe's own.
// Frames built here are padded to the 60-byte Ethernet minimum.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

#include "snapflow/forward/address.h"

namespace snapflow::forward {

inline constexpr uint16_t kArpRequest = 1;
inline constexpr uint16_t kArpReply = 2;
inline constexpr size_t kMinFrameBytes = 60;  ///< Ethernet minimum without the FCS

struct ArpMessage {
  uint16_t op = 0;
  MacAddress sender_mac{};
  IpAddr sender_ip;
  MacAddress target_mac{};
  IpAddr target_ip;
};

// False for anything but Ethernet/IPv4 ARP of 28 bytes or more after the Ethernet header.
bool parse_arp(const std::byte* frame, size_t length, ArpMessage& out);

// Writes an ARP frame into out (>= kMinFrameBytes); returns kMinFrameBytes.
size_t build_arp(std::byte* out, uint16_t op, const MacAddress& eth_dst, const MacAddress& eth_src,
                 const MacAddress& sender_mac, const IpAddr& sender_ip,
                 const MacAddress& target_mac, const IpAddr& target_ip);

// Turns a received ARP request (frame, in place) into the reply for our_mac: sender and target
// swapped, op 2, Ethernet destination the requester. The length stays as received.
void arp_request_to_reply(std::byte* frame, const MacAddress& our_mac);

// Ethernet helpers shared by the builders.
inline void write_ethernet(std::byte* out, const MacAddress& dst, const MacAddress& src,
                           uint16_t ethertype) {
  std::memcpy(out, dst.data(), 6);
  std::memcpy(out + 6, src.data(), 6);
  out[12] = std::byte(ethertype >> 8);
  out[13] = std::byte(ethertype & 0xff);
}
inline MacAddress read_mac(const std::byte* p) {
  MacAddress m;
  std::memcpy(m.data(), p, 6);
  return m;
}

}  // namespace snapflow::forward
