// The forwarder's ports: which addresses the probe owns on each, the subnet each address
// belongs to (on-link destinations are resolved directly), and the gateway for everything
// else. The datapath fills in what only the device knows (MAC address, MTU) when it opens the
// port. Immutable once the engine runs.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/forward/address.h"

namespace snapflow::forward {

inline constexpr size_t kMaxPorts = 2;

struct PortConfig {
  std::string name;               ///< interface name or "dpdk port N", for messages
  std::vector<Subnet> addresses;  ///< the probe's own addresses on this port, with their subnets
  IpAddr gateway_v4;              ///< next hop for off-link IPv4 destinations (unset: none)
  IpAddr gateway_v6;              ///< next hop for off-link IPv6 destinations (unset: none)
  // Static neighbours (neigh=IP@MAC): never resolved or refreshed, like `ip neigh ... permanent`.
  // For next hops that do not answer ARP/ND (traffic generators, some appliances).
  std::vector<std::pair<IpAddr, MacAddress>> static_neighbours;
  MacAddress mac{};     ///< filled by the datapath
  uint32_t mtu = 1500;  ///< filled by the datapath (IP MTU, without Ethernet header)
};

// "10.0.0.1/24,2001:db8::1/64,via=10.0.0.254,via=fe80::1,neigh=10.0.0.254@02:00:00:00:00:01":
// the comma list of a forward-portN setting. At least one address; at most one gateway per
// family; any number of static neighbours.
base::Result<PortConfig> parse_port_config(std::string_view text);
std::string to_string(const PortConfig& port);

class Ports {
 public:
  Ports() = default;
  explicit Ports(std::vector<PortConfig> ports) : ports_(std::move(ports)) {}

  size_t size() const { return ports_.size(); }
  const PortConfig& operator[](size_t i) const { return ports_[i]; }
  PortConfig& operator[](size_t i) { return ports_[i]; }
  const std::vector<PortConfig>& all() const { return ports_; }

  // The port owning addr as one of the probe's addresses.
  std::optional<uint16_t> port_of(const IpAddr& addr) const;
  bool owns(const IpAddr& addr) const { return port_of(addr).has_value(); }
  // Same, for wire bytes; the hot path's test for "addressed to the probe".
  std::optional<uint16_t> port_of_wire(const std::byte* addr, size_t address_bytes) const;

  // The neighbour to send a packet for dst to, out of port: dst itself when a subnet of the
  // port contains it (or it is IPv6 link-local), else the port's gateway of dst's family.
  std::optional<IpAddr> next_hop(uint16_t port, const IpAddr& dst) const;

  // An address of the port in family (4 or 6) to source ARP/ND requests and ICMP errors from:
  // preferably one whose subnet contains hint.
  std::optional<IpAddr> source_for(uint16_t port, uint8_t family, const IpAddr& hint) const;

 private:
  std::vector<PortConfig> ports_;
};

inline bool is_ipv6_link_local(const IpAddr& a) {
  return a.family == 6 && a.bytes[0] == 0xfe && (a.bytes[1] & 0xc0) == 0x80;
}

}  // namespace snapflow::forward
