// The link types snapflow reads and decodes: LINKTYPE_* values from the tcpdump registry
// (https://www.tcpdump.org/linktypes.html). One list for the capture-file readers, which refuse
// a file whose packets nothing could decode, and for the decoder, which dispatches on it.
#pragma once

#include <cstdint>

namespace snapflow::base {

enum LinkType : uint16_t {
  kLinkNull = 0,  ///< BSD loopback: 4-byte host-order address family
  kLinkEthernet = 1,
  kLinkDltRaw12 = 12,  ///< DLT_RAW as most systems number it; read as kLinkRaw
  kLinkDltRaw14 = 14,  ///< DLT_RAW on OpenBSD; read as kLinkRaw
  kLinkRaw = 101,      ///< raw IPv4 or IPv6 (the version nibble says which)
  kLinkLoop = 108,     ///< OpenBSD loopback: 4-byte network-order address family
  kLinkLinuxSll = 113,
  kLinkIpv4 = 228,
  kLinkIpv6 = 229,
  kLinkLinuxSll2 = 276,
};

// The link type a file header's value stands for: the 16 low bits (the high bits carry FCS
// information in PCAP), with the DLT_RAW numbers some writers put in files mapped to kLinkRaw.
constexpr uint16_t normalise_link_type(uint32_t value) {
  const auto link = static_cast<uint16_t>(value & 0xffff);
  return link == kLinkDltRaw12 || link == kLinkDltRaw14 ? uint16_t{kLinkRaw} : link;
}

// True for the link types the decoder understands (after normalise_link_type).
constexpr bool is_supported_link_type(uint16_t link_type) {
  switch (link_type) {
    case kLinkNull:
    case kLinkEthernet:
    case kLinkRaw:
    case kLinkLoop:
    case kLinkLinuxSll:
    case kLinkIpv4:
    case kLinkIpv6:
    case kLinkLinuxSll2:
      return true;
    default:
      return false;
  }
}

inline constexpr const char* kSupportedLinkTypesText =
    "supported: 1 Ethernet, 101/228/229 raw IP, 113/276 Linux SLL/SLL2, 0/108 BSD loopback";

}  // namespace snapflow::base
