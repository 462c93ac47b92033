#include "mirror_decap.h"

#include <algorithm>

#include "snapflow/base/bytes.h"

namespace snapflow::capture {
namespace {

using base::load_be16;

constexpr uint16_t kTransparentEthernet = 0x6558;

}  // namespace

const char* to_string(MirrorVerdict verdict) {
  switch (verdict) {
    case MirrorVerdict::kMirror:
      return "mirror";
    case MirrorVerdict::kNotMirror:
      return "not_mirror";
    case MirrorVerdict::kMalformed:
      return "malformed";
    case MirrorVerdict::kCount:
      break;
  }
  return "?";
}

MirrorVerdict classify_mirror(const std::byte* frame, size_t length, uint16_t vxlan_port,
                              uint16_t geneve_port, MirrorPacket& out) {
  if (length < 14) return MirrorVerdict::kNotMirror;
  size_t at = 12;
  uint16_t ethertype = load_be16(frame + at);
  for (int tags = 0; tags < 2 && (ethertype == 0x8100 || ethertype == 0x88a8); ++tags) {
    at += 4;
    if (at + 2 > length) return MirrorVerdict::kNotMirror;
    ethertype = load_be16(frame + at);
  }
  at += 2;
  size_t udp = 0;
  size_t ip_end = 0;
  if (ethertype == 0x0800) {
    if (at + 20 > length) return MirrorVerdict::kNotMirror;
    const size_t ihl = size_t{static_cast<uint8_t>(frame[at]) & 0x0fu} * 4;
    if ((static_cast<uint8_t>(frame[at]) >> 4) != 4 || ihl < 20 || at + ihl > length) {
      return MirrorVerdict::kNotMirror;
    }
    if (static_cast<uint8_t>(frame[at + 9]) != 17) return MirrorVerdict::kNotMirror;
    const size_t total = load_be16(frame + at + 2);
    if (total < ihl) return MirrorVerdict::kNotMirror;
    ip_end = std::min(length, at + total);
    const uint16_t frag = load_be16(frame + at + 6);
    if ((frag & 0x1fff) != 0) {
      // A later fragment: cannot tell whose it is without reassembly; it is not ours to store.
      return MirrorVerdict::kNotMirror;
    }
    udp = at + ihl;
    out.outer_ip_version = 4;
  } else if (ethertype == 0x86dd) {
    if (at + 40 > length) return MirrorVerdict::kNotMirror;
    if (static_cast<uint8_t>(frame[at + 6]) != 17) return MirrorVerdict::kNotMirror;
    ip_end = std::min(length, at + 40 + load_be16(frame + at + 4));
    udp = at + 40;
    out.outer_ip_version = 6;
  } else {
    return MirrorVerdict::kNotMirror;
  }
  if (udp + 8 > ip_end) return MirrorVerdict::kNotMirror;
  const uint16_t dport = load_be16(frame + udp + 2);
  const size_t tunnel = udp + 8;
  if (vxlan_port != 0 && dport == vxlan_port) {
    out.kind = MirrorKind::kVxlan;
    if (tunnel + 8 + 14 > ip_end) return MirrorVerdict::kMalformed;
    if ((static_cast<uint8_t>(frame[tunnel]) & 0x08) == 0) return MirrorVerdict::kMalformed;
    out.vni = (uint32_t{static_cast<uint8_t>(frame[tunnel + 4])} << 16) |
              (uint32_t{static_cast<uint8_t>(frame[tunnel + 5])} << 8) |
              static_cast<uint8_t>(frame[tunnel + 6]);
    out.inner_offset = static_cast<uint32_t>(tunnel + 8);
    out.inner_ethertype = 0;
    return MirrorVerdict::kMirror;
  }
  if (geneve_port != 0 && dport == geneve_port) {
    out.kind = MirrorKind::kGeneve;
    if (tunnel + 8 > ip_end) return MirrorVerdict::kMalformed;
    const auto b0 = static_cast<uint8_t>(frame[tunnel]);
    if ((b0 >> 6) != 0) return MirrorVerdict::kMalformed;  // version 0 only
    const size_t header = 8 + size_t{b0 & 0x3fu} * 4;
    const uint16_t protocol = load_be16(frame + tunnel + 2);
    out.vni = (uint32_t{static_cast<uint8_t>(frame[tunnel + 4])} << 16) |
              (uint32_t{static_cast<uint8_t>(frame[tunnel + 5])} << 8) |
              static_cast<uint8_t>(frame[tunnel + 6]);
    out.inner_offset = static_cast<uint32_t>(tunnel + header);
    if (protocol == kTransparentEthernet) {
      out.inner_ethertype = 0;
      if (out.inner_offset + 14 > ip_end) return MirrorVerdict::kMalformed;
    } else if (protocol == 0x0800 || protocol == 0x86dd) {
      out.inner_ethertype = protocol;
      if (out.inner_offset + 20 > ip_end) return MirrorVerdict::kMalformed;
    } else {
      return MirrorVerdict::kMalformed;
    }
    return MirrorVerdict::kMirror;
  }
  return MirrorVerdict::kNotMirror;
}

}  // namespace snapflow::capture
