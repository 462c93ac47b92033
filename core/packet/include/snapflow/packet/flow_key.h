// FlowKey: the identity of a unidirectional flow, derived from a PacketView.
//
// IP packets: (tunnel type + id of the outermost tunnel, outermost VLAN, IP version, protocol,
// innermost source/destination address and ports). ICMP uses type/code in the port slots (as
// Community ID does). Non-IP frames (ARP, LLDP, ...) are keyed by MACs and ethertype.
// Non-first IP fragments carry no ports; the aggregator gives them the ports of their first
// fragment (matched by addresses, protocol and IP id) before keying.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <string>

#include "snapflow/packet/view.h"

namespace snapflow::packet {

struct FlowKey {
  std::array<uint8_t, 16> source{};  ///< IP address, or MAC in bytes[0..5] for non-IP
  std::array<uint8_t, 16> destination{};
  uint16_t source_port = 0;       ///< or ICMP type
  uint16_t destination_port = 0;  ///< or ICMP code
  uint16_t ethertype = 0;
  uint16_t vlan_id = 0;    ///< outermost VLAN id, 0 if untagged
  uint32_t tunnel_id = 0;  ///< VNI/key/TEID of the outermost tunnel
  uint8_t ip_version = 0;  ///< 0 for non-IP
  uint8_t ip_protocol = 0;
  TunnelType tunnel_type = TunnelType::kNone;
  uint8_t flags = 0;  ///< kHasPorts | kHasIcmp | kHasVlan | kHasTunnelId

  static constexpr uint8_t kHasPorts = 1;
  static constexpr uint8_t kHasIcmp = 2;
  static constexpr uint8_t kHasVlan = 4;
  static constexpr uint8_t kHasTunnelId = 8;

  bool operator==(const FlowKey& other) const {
    return std::memcmp(this, &other, sizeof(FlowKey)) == 0;
  }
};
static_assert(sizeof(FlowKey) == 48,
              "FlowKey must stay packed: it is hashed and compared as bytes");

// Builds the key of view's flow. Padding-free, so it may be hashed/compared as raw bytes.
FlowKey make_flow_key(const PacketView& view);

// 64-bit hash of the key (XXH3), stable across runs, machines and versions: used to shard
// flows and as snapflow.flow_id.
uint64_t flow_hash(const FlowKey& key);

// Community ID v1 (seed 0) of the key's 5-tuple: "1:" + base64(SHA1(...)). Empty for flows
// without IP. Same string for both directions of a conversation.
std::string community_id(const FlowKey& key);

// Length of a Community ID v1 string: "1:" + 28 base64 characters.
inline constexpr size_t kCommunityIdLength = 30;

// The same id written into out (at least kCommunityIdLength bytes, not NUL-terminated);
// returns the length written: kCommunityIdLength, or 0 for flows without IP. Allocation-free,
// stateless and thread-safe (~0.1 us): meant for per-document use on hot paths.
size_t community_id(const FlowKey& key, char* out);

}  // namespace snapflow::packet
