#include "snapflow/forward/ports.h"

namespace snapflow::forward {

using base::ErrorCode;
using base::make_error;

base::Result<PortConfig> parse_port_config(std::string_view text) {
  PortConfig port;
  const std::string whole(text);
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    if (item.substr(0, 6) == "neigh=") {
      const std::string_view v = item.substr(6);
      const size_t at = v.find('@');
      if (at == std::string_view::npos) {
        return make_error(
            ErrorCode::kInvalidArgument,
            "'" + whole + "': neigh= takes IP@MAC, e.g. neigh=10.0.0.9@02:00:00:00:00:09");
      }
      auto ip = parse_ip(v.substr(0, at));
      if (!ip) return std::move(ip).error().context("'" + whole + "'");
      auto mac = parse_mac(v.substr(at + 1));
      if (!mac) return std::move(mac).error().context("'" + whole + "'");
      port.static_neighbours.emplace_back(*ip, *mac);
      continue;
    }
    if (item.substr(0, 4) == "via=") {
      auto gw = parse_ip(item.substr(4));
      if (!gw) return std::move(gw).error().context("'" + whole + "'");
      IpAddr& slot = gw->family == 4 ? port.gateway_v4 : port.gateway_v6;
      if (slot.is_set()) {
        return make_error(ErrorCode::kInvalidArgument,
                          "'" + whole + "': two IPv" + std::to_string(gw->family) + " gateways");
      }
      slot = *gw;
      continue;
    }
    auto subnet = parse_subnet(item);
    if (!subnet) return std::move(subnet).error().context("'" + whole + "'");
    port.addresses.push_back(*subnet);
  }
  if (port.addresses.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'" + whole + "': needs at least one address (e.g. 10.0.0.1/24)");
  }
  return port;
}

std::string to_string(const PortConfig& port) {
  std::string out;
  for (const auto& s : port.addresses) out += (out.empty() ? "" : ",") + to_string(s);
  if (port.gateway_v4.is_set()) out += ",via=" + to_string(port.gateway_v4);
  if (port.gateway_v6.is_set()) out += ",via=" + to_string(port.gateway_v6);
  for (const auto& [ip, mac] : port.static_neighbours) {
    out += ",neigh=" + to_string(ip) + "@" + to_string(mac);
  }
  return out;
}

std::optional<uint16_t> Ports::port_of(const IpAddr& addr) const {
  for (size_t p = 0; p < ports_.size(); ++p) {
    for (const Subnet& s : ports_[p].addresses) {
      if (s.address == addr) return static_cast<uint16_t>(p);
    }
  }
  return std::nullopt;
}

std::optional<uint16_t> Ports::port_of_wire(const std::byte* addr, size_t address_bytes) const {
  const uint8_t family = address_bytes == 4 ? 4 : 6;
  for (size_t p = 0; p < ports_.size(); ++p) {
    for (const Subnet& s : ports_[p].addresses) {
      if (s.address.family == family && s.address.equals_wire(addr)) {
        return static_cast<uint16_t>(p);
      }
    }
  }
  return std::nullopt;
}

std::optional<IpAddr> Ports::next_hop(uint16_t port, const IpAddr& dst) const {
  const PortConfig& pc = ports_[port];
  if (is_ipv6_link_local(dst)) return dst;
  for (const Subnet& s : pc.addresses) {
    if (s.contains(dst)) return dst;
  }
  const IpAddr& gw = dst.family == 4 ? pc.gateway_v4 : pc.gateway_v6;
  if (gw.is_set()) return gw;
  return std::nullopt;
}

std::optional<IpAddr> Ports::source_for(uint16_t port, uint8_t family, const IpAddr& hint) const {
  const PortConfig& pc = ports_[port];
  const Subnet* any = nullptr;
  for (const Subnet& s : pc.addresses) {
    if (s.address.family != family) continue;
    if (s.contains(hint)) return s.address;
    if (!any) any = &s;
  }
  if (any) return any->address;
  return std::nullopt;
}

}  // namespace snapflow::forward
