// The zero-copy packet decoder.
//
// decode() reads only within the captured bytes it is given, allocates nothing, and is
// thread-safe (it keeps no state between calls). The shape is one loop over a "next protocol"
// switch, with each tunnel's header validation in its own file (tunnel_*.cc) behind a fixed
// dispatch table: UDP port -> VXLAN/Geneve/GTP-U, IP protocol 47 -> GRE -> ERSPAN II/III,
// IP protocol 4/41 -> IP-in-IP. A header that fails validation falls back to treating the
// bytes as payload of the outer flow (status kUnknownTunnel), never to a guess.
#pragma once

#include <cstdint>
#include <span>

#include "snapflow/packet/view.h"

namespace snapflow::packet {

struct DecodeOptions {
  bool decode_tunnels = true;     ///< false: key flows on the outermost IP header
  uint16_t extra_vxlan_port = 0;  ///< an additional VXLAN UDP port (0 = none)
};

// Decodes a frame of the given link type (snapflow::pcap::LinkType values) into view, which
// it resets first. Returns view.status.
DecodeStatus decode(std::span<const std::byte> frame, uint16_t link_type, PacketView& view,
                    const DecodeOptions& options = {});

}  // namespace snapflow::packet
