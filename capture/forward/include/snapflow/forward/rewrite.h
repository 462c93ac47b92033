// Address rewriting with incremental checksum updates: the one place where the forwarder
// changes a packet it forwards (and where inline capture copies are made to look like A <-> B).
//
// rewrite_addresses() replaces the IP source and destination and, for forwarding, decrements
// the TTL / hop limit. Every checksum that covers a changed field is updated with RFC 1624
// (checksum.h), never recomputed: the IPv4 header checksum (addresses, TTL), the TCP, UDP and
// ICMPv6 checksums (addresses in the pseudo-header; only in packets that carry the transport
// header, i.e. not in later fragments; an IPv4 UDP checksum of 0 stays 0 and a computed 0
// becomes 0xffff). ICMP errors embed the packet they are about, seen from the other side; its
// addresses are mapped back the same way (an error about old_dst -> old_src becomes one about
// new_dst -> new_src), with the embedded IP and transport checksums and the ICMP checksum
// updated to match, so the sender of the original packet recognises the error as its own.
//
// Works on truncated copies (capture snaplen): a field is written only if it lies within
// length. view comes from parse_frame on the complete frame.
#pragma once

#include <cstddef>

#include "snapflow/forward/address.h"
#include "snapflow/forward/frame.h"

namespace snapflow::forward {

void rewrite_addresses(std::byte* frame, size_t length, const FrameView& view,
                       const IpAddr& new_src, const IpAddr& new_dst, bool decrement_ttl);

// True for ICMP/ICMPv6 error messages (which must not trigger further ICMP errors).
bool is_icmp_error(const std::byte* frame, const FrameView& view);

}  // namespace snapflow::forward
