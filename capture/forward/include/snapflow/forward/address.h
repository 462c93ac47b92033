// Addresses of the L3 forwarder: IPv4/IPv6 addresses, subnets and MAC addresses as small value
// types with parsing (config, rule files) and formatting (logs, rule files, the HTTP API).
//
// An IpAddr keeps the address in network byte order: IPv4 in bytes[0..3] (the rest zero),
// IPv6 in all 16 bytes. family is 4 or 6 (0 = unset). Parsing goes through inet_pton, so
// every textual form the C library accepts is accepted and nothing else.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::forward {

struct IpAddr {
  std::array<uint8_t, 16> bytes{};
  uint8_t family = 0;  ///< 4, 6, or 0 when unset

  static IpAddr v4(const std::byte* p) {
    IpAddr a;
    a.family = 4;
    std::memcpy(a.bytes.data(), p, 4);
    return a;
  }
  static IpAddr v6(const std::byte* p) {
    IpAddr a;
    a.family = 6;
    std::memcpy(a.bytes.data(), p, 16);
    return a;
  }
  size_t size() const { return family == 6 ? 16 : 4; }
  bool is_set() const { return family != 0; }
  // Copies the address into wire bytes (4 or 16 of them).
  void store(std::byte* p) const { std::memcpy(p, bytes.data(), size()); }
  // Compares with an address in wire bytes of the same family (fixed-size loads: this is on
  // the per-packet path of the rule and neighbour lookups).
  bool equals_wire(const std::byte* p) const {
    if (family != 6) {
      uint32_t a, b;
      std::memcpy(&a, bytes.data(), 4);
      std::memcpy(&b, p, 4);
      return a == b;
    }
    uint64_t a[2], b[2];
    std::memcpy(a, bytes.data(), 16);
    std::memcpy(b, p, 16);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
  }

  bool operator==(const IpAddr& o) const {
    return family == o.family && equals_wire(reinterpret_cast<const std::byte*>(o.bytes.data()));
  }
  auto operator<=>(const IpAddr&) const = default;
};

// "10.0.0.1" or "2001:db8::1"; the error names the text.
base::Result<IpAddr> parse_ip(std::string_view text);
std::string to_string(const IpAddr& addr);

// An address with a prefix length: the address is the probe's own, the prefix its subnet.
struct Subnet {
  IpAddr address;
  uint8_t prefix = 0;
  bool contains(const IpAddr& other) const;
  bool operator==(const Subnet&) const = default;
};
// "10.0.0.1/24" or "2001:db8::1/64" (a missing prefix means /32 or /128).
base::Result<Subnet> parse_subnet(std::string_view text);
std::string to_string(const Subnet& subnet);

using MacAddress = std::array<uint8_t, 6>;
inline constexpr MacAddress kBroadcastMac = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
std::string to_string(const MacAddress& mac);
base::Result<MacAddress> parse_mac(std::string_view text);

// The IPv6 solicited-node multicast group of addr (ff02::1:ffXX:XXXX) and its Ethernet
// address (33:33:ff:XX:XX:XX), the destination of neighbour solicitations for addr.
IpAddr solicited_node_group(const IpAddr& addr);
MacAddress multicast_mac(const IpAddr& group);

// A 64-bit mix of an address pair given as wire bytes (n = 4 or 16 each), for the rule
// table's hash. Not for anything adversarial: the table holds a few configured rules, so a
// collision only costs a probe.
inline uint64_t hash_addresses(const std::byte* src, const std::byte* dst, size_t n) {
  uint64_t h = 0x9e3779b97f4a7c15ull ^ n;
  for (const std::byte* p : {src, dst}) {
    for (size_t i = 0; i < n; i += 4) {
      uint32_t w;
      std::memcpy(&w, p + i, 4);
      h = (h ^ w) * 0xff51afd7ed558ccdull;
      h ^= h >> 32;
    }
  }
  return h;
}

}  // namespace snapflow::forward
