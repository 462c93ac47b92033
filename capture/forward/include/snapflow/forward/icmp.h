// ICMP the forwarder originates: echo replies for its own addresses, time-exceeded errors for
// packets whose TTL / hop limit runs out, and the software completion of transport checksums
// the kernel left partial.
//
// Errors follow RFC 1812 4.3.2.7 / RFC 4443 2.4(e): none about ICMP errors, later fragments
// or multicast/broadcast destinations; the error quotes as much of the offending packet as fits
// in 576 bytes (IPv4) or 1280 bytes (IPv6).
#pragma once

#include <cstddef>
#include <cstdint>

#include "snapflow/forward/address.h"
#include "snapflow/forward/frame.h"

namespace snapflow::forward {

inline constexpr size_t kIcmpErrorFrameMax = kEthernetHeaderBytes + 1280;

// True for an ICMP echo request / ICMPv6 echo request carried whole in frame.
bool is_echo_request(const std::byte* frame, const FrameView& view);

// In place: the echo request becomes its reply (MACs and addresses swapped, TTL/hop limit 64,
// type changed, checksums updated). The frame keeps its length.
void echo_request_to_reply(std::byte* frame, const FrameView& view);

// May an ICMP error be sent about this packet (RFC 1812 / RFC 4443 rules above)?
bool may_send_icmp_error(const std::byte* frame, const FrameView& view);

// Builds a time-exceeded error about the packet in frame (view), from our_ip to the packet's
// source, addressed at Ethernet level to the packet's sender (its source MAC). out must hold
// kIcmpErrorFrameMax bytes. Returns the frame length.
size_t build_time_exceeded(std::byte* out, const std::byte* frame, const FrameView& view,
                           const MacAddress& our_mac, const IpAddr& our_ip, uint16_t ip_id);

// Computes the TCP/UDP/ICMPv6 checksum of a whole (unfragmented) packet whose sender left it
// partial (the kernel's CHECKSUM_PARTIAL, reported by AF_PACKET as TP_STATUS_CSUMNOTREADY).
// Returns false when the packet has no such checksum to complete.
bool complete_partial_checksum(std::byte* frame, const FrameView& view);

}  // namespace snapflow::forward
