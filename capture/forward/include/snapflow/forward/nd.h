// IPv6 neighbour discovery (RFC 4861), the part a forwarder needs: answer solicitations for
// the probe's own addresses, solicit its next hops, learn from advertisements. Messages are
// validated as RFC 4861 section 7.1 asks (hop limit 255, code 0, valid checksum, length,
// target not multicast) before anything is learned from them.
#pragma once

#include <cstddef>
#include <cstdint>

#include "snapflow/forward/address.h"
#include "snapflow/forward/frame.h"

namespace snapflow::forward {

inline constexpr uint8_t kIcmpv6NeighbourSolicitation = 135;
inline constexpr uint8_t kIcmpv6NeighbourAdvertisement = 136;
inline constexpr size_t kNdFrameBytes = 14 + 40 + 24 + 8;  ///< with one link-layer option

struct NdMessage {
  uint8_t type = 0;  ///< 135 or 136
  IpAddr source;     ///< IPv6 source (:: for duplicate address detection)
  IpAddr target;
  bool has_link_address = false;  ///< source (NS) or target (NA) link-layer address option
  MacAddress link_address{};
  bool solicited = false;  ///< NA S flag
};

// True for a valid NS or NA in frame (already parsed by parse_frame as ICMPv6).
bool parse_nd(const std::byte* frame, const FrameView& view, NdMessage& out);

// A solicitation for target, from our (mac, ip), to target's solicited-node group.
size_t build_neighbour_solicitation(std::byte* out, const MacAddress& our_mac, const IpAddr& our_ip,
                                    const IpAddr& target);

// The advertisement answering a solicitation for target (one of ours) from (dst_mac, dst_ip);
// dst_ip unspecified (::) answers to all-nodes, unsolicited.
size_t build_neighbour_advertisement(std::byte* out, const MacAddress& our_mac,
                                     const IpAddr& target, const MacAddress& dst_mac,
                                     const IpAddr& dst_ip);

// The full ICMPv6 checksum of the message at l4 (length bytes) inside the IPv6 packet at l3.
uint16_t icmpv6_checksum(const std::byte* l3, const std::byte* l4, size_t length);

}  // namespace snapflow::forward
