#include "snapflow/forward/address.h"

#include <arpa/inet.h>

#include <charconv>
#include <cstdio>

namespace snapflow::forward {

using base::ErrorCode;
using base::make_error;

base::Result<IpAddr> parse_ip(std::string_view text) {
  IpAddr out;
  if (text.empty() || text.size() > INET6_ADDRSTRLEN) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'" + std::string(text) + "': not an IPv4 or IPv6 address");
  }
  const std::string s(text);
  if (::inet_pton(AF_INET, s.c_str(), out.bytes.data()) == 1) {
    out.family = 4;
    return out;
  }
  if (::inet_pton(AF_INET6, s.c_str(), out.bytes.data()) == 1) {
    out.family = 6;
    return out;
  }
  return make_error(ErrorCode::kInvalidArgument, "'" + s + "': not an IPv4 or IPv6 address");
}

std::string to_string(const IpAddr& addr) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (addr.family == 4) {
    ::inet_ntop(AF_INET, addr.bytes.data(), buf, sizeof buf);
  } else if (addr.family == 6) {
    ::inet_ntop(AF_INET6, addr.bytes.data(), buf, sizeof buf);
  } else {
    return "-";
  }
  return buf;
}

bool Subnet::contains(const IpAddr& other) const {
  if (other.family != address.family) return false;
  const size_t full = prefix / 8;
  if (std::memcmp(address.bytes.data(), other.bytes.data(), full) != 0) return false;
  const unsigned rest = prefix % 8;
  if (rest == 0) return true;
  const auto mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (address.bytes[full] & mask) == (other.bytes[full] & mask);
}

base::Result<Subnet> parse_subnet(std::string_view text) {
  const size_t slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::move(ip).error();
  Subnet out{*ip, static_cast<uint8_t>(ip->family == 4 ? 32 : 128)};
  if (slash != std::string_view::npos) {
    std::string_view p = text.substr(slash + 1);
    unsigned prefix = 0;
    auto [end, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc() || end != p.data() + p.size() || p.empty() || prefix > out.prefix) {
      return make_error(
          ErrorCode::kInvalidArgument,
          "'" + std::string(text) + "': prefix must be 0.." + std::to_string(out.prefix));
    }
    out.prefix = static_cast<uint8_t>(prefix);
  }
  return out;
}

std::string to_string(const Subnet& subnet) {
  return to_string(subnet.address) + "/" + std::to_string(subnet.prefix);
}

std::string to_string(const MacAddress& mac) {
  char buf[18];
  std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3],
                mac[4], mac[5]);
  return buf;
}

base::Result<MacAddress> parse_mac(std::string_view text) {
  MacAddress out{};
  if (text.size() != 17) {
    return make_error(ErrorCode::kInvalidArgument,
                      "'" + std::string(text) + "': expected a MAC address like 02:00:00:00:00:01");
  }
  for (size_t i = 0; i < 6; ++i) {
    unsigned v = 0;
    const char* begin = text.data() + i * 3;
    auto [end, ec] = std::from_chars(begin, begin + 2, v, 16);
    if (ec != std::errc() || end != begin + 2 || (i < 5 && text[i * 3 + 2] != ':')) {
      return make_error(
          ErrorCode::kInvalidArgument,
          "'" + std::string(text) + "': expected a MAC address like 02:00:00:00:00:01");
    }
    out[i] = static_cast<uint8_t>(v);
  }
  return out;
}

IpAddr solicited_node_group(const IpAddr& addr) {
  IpAddr g;
  g.family = 6;
  g.bytes = {0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff, 0, 0, 0};
  g.bytes[13] = addr.bytes[13];
  g.bytes[14] = addr.bytes[14];
  g.bytes[15] = addr.bytes[15];
  return g;
}

MacAddress multicast_mac(const IpAddr& group) {
  return {0x33, 0x33, group.bytes[12], group.bytes[13], group.bytes[14], group.bytes[15]};
}

}  // namespace snapflow::forward
