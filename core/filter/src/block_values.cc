// Field names and value syntax of the filter blocks: numbers, names, ranges, MAC patterns,
// IP prefixes and times.
#include <arpa/inet.h>

#include <charconv>
#include <string>

#include "block_spec.h"
#include "snapflow/filter/time_text.h"
#include "snapflow/packet/view.h"
#include "text_util.h"

namespace snapflow::filter::detail {
namespace {

constexpr NamedValue kEtherNames[] = {{"ipv4", 0x0800}, {"ipv6", 0x86dd}, {"arp", 0x0806},
                                      {"rarp", 0x8035}, {"lldp", 0x88cc}, {"mpls", 0x8847}};
constexpr NamedValue kIpProtoNames[] = {{"icmp", 1}, {"igmp", 2},    {"ipip", 4},  {"tcp", 6},
                                        {"udp", 17}, {"ipv6", 41},   {"gre", 47},  {"esp", 50},
                                        {"ah", 51},  {"icmpv6", 58}, {"sctp", 132}};
constexpr NamedValue kTunnelNames[] = {
    {"vxlan", static_cast<int64_t>(packet::TunnelType::kVxlan)},
    {"geneve", static_cast<int64_t>(packet::TunnelType::kGeneve)},
    {"gre", static_cast<int64_t>(packet::TunnelType::kGre)},
    {"erspan2", static_cast<int64_t>(packet::TunnelType::kErspan2)},
    {"erspan3", static_cast<int64_t>(packet::TunnelType::kErspan3)},
    {"gtpu", static_cast<int64_t>(packet::TunnelType::kGtpU)},
    {"ipip", static_cast<int64_t>(packet::TunnelType::kIpInIp)}};

constexpr int64_t kMax32 = 0xffffffffLL;

constexpr FieldSpec kFields[] = {
    {"ether.proto", Field::kEtherProto, ValueKind::kNumber, false, true, 0xffff, kEtherNames},
    {"ether.addr", Field::kEtherAddr, ValueKind::kMac, true, true, 0, {}},
    {"vlan.id", Field::kVlanId, ValueKind::kNumber, false, false, 4095, {}},
    {"ipv4.addr", Field::kIpv4Addr, ValueKind::kIpv4, true, true, 0, {}},
    {"ipv6.addr", Field::kIpv6Addr, ValueKind::kIpv6, true, true, 0, {}},
    {"ip.proto", Field::kIpProto, ValueKind::kNumber, false, true, 255, kIpProtoNames},
    {"ipv4.proto", Field::kIpv4Proto, ValueKind::kNumber, false, true, 255, kIpProtoNames},
    {"ipv6.proto", Field::kIpv6Proto, ValueKind::kNumber, false, true, 255, kIpProtoNames},
    {"tcp.port", Field::kTcpPort, ValueKind::kNumber, true, true, 65535, {}},
    {"udp.port", Field::kUdpPort, ValueKind::kNumber, true, true, 65535, {}},
    {"sctp.port", Field::kSctpPort, ValueKind::kNumber, true, true, 65535, {}},
    {"icmp.type", Field::kIcmpType, ValueKind::kNumber, false, true, 255, {}},
    {"icmp.code", Field::kIcmpCode, ValueKind::kNumber, false, true, 255, {}},
    {"frame.size", Field::kFrameSize, ValueKind::kNumber, false, false, kMax32, {}},
    {"frame.time", Field::kFrameTime, ValueKind::kTime, false, false, 0, {}},
    {"vxlan.vni", Field::kVxlanVni, ValueKind::kNumber, false, false, 0xffffff, {}},
    {"geneve.vni", Field::kGeneveVni, ValueKind::kNumber, false, false, 0xffffff, {}},
    {"tunnel.id", Field::kTunnelId, ValueKind::kNumber, false, false, kMax32, {}},
    {"tunnel.type", Field::kTunnelType, ValueKind::kNumber, false, false, 255, kTunnelNames},
};

bool equals_lower(std::string_view a, std::string_view lower) {
  if (a.size() != lower.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Decimal or 0x-hex, no sign.
bool parse_uint(std::string_view text, int64_t& out) {
  int base = 10;
  if (text.size() > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    text.remove_prefix(2);
    base = 16;
  }
  if (text.empty() || text.size() > 18) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out, base);
  return ec == std::errc() && end == text.data() + text.size() && out >= 0;
}

bool number_or_name(const FieldSpec& spec, std::string_view text, int64_t& out, std::string* why) {
  for (const NamedValue& n : spec.names) {
    if (equals_lower(text, n.name)) {
      out = n.value;
      return true;
    }
  }
  if (!parse_uint(text, out)) {
    *why = "not a number";
    if (!spec.names.empty()) {
      *why += " or name (";
      for (size_t i = 0; i < spec.names.size(); ++i) {
        if (i) *why += ' ';
        *why += spec.names[i].name;
      }
      *why += ")";
    }
    return false;
  }
  if (out > spec.max) {
    *why = "out of range (0-" + std::to_string(spec.max) + ")";
    return false;
  }
  return true;
}

bool parse_number_value(const FieldSpec& spec, std::string_view text, bool ordered,
                        FilterValue& out, std::string* why) {
  const size_t dash = text.find('-');
  if (dash == std::string_view::npos || ordered) {
    if (!number_or_name(spec, text, out.lo, why)) return false;
    out.hi = out.lo;
    return true;
  }
  if (!number_or_name(spec, text.substr(0, dash), out.lo, why) ||
      !number_or_name(spec, text.substr(dash + 1), out.hi, why)) {
    return false;
  }
  if (out.lo > out.hi) {
    *why = "empty range (first value larger than the second)";
    return false;
  }
  return true;
}

// A time or a half-open range A-B. Times contain '-' themselves (RFC 3339), so every '-' is
// tried as the separator; the first split where both sides parse wins.
bool parse_time_value(std::string_view text, bool ordered, FilterValue& out, std::string* why) {
  if (auto t = parse_time_ns(text); t.ok()) {
    out.lo = out.hi = *t;
    return true;
  }
  if (!ordered) {
    for (size_t dash = text.find('-'); dash != std::string_view::npos;
         dash = text.find('-', dash + 1)) {
      auto a = parse_time_ns(text.substr(0, dash));
      auto b = parse_time_ns(text.substr(dash + 1));
      if (!a.ok() || !b.ok()) continue;
      if (*b <= *a) {
        *why = "empty time range (end not after start)";
        return false;
      }
      out.lo = *a;
      out.hi = *b - 1;  // [A, B)
      return true;
    }
  }
  *why =
      "not a time or time range (epoch ns, 2015-06-20T09:36:58.5Z or "
      "20150620_09:36:58.100.200.300)";
  return false;
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 00:ba:be:11:22:33 with '*' for any byte; a trailing '*' after fewer than six bytes stands for
// all the remaining ones (00:ba:be:*).
bool parse_mac(std::string_view text, FilterValue& out, std::string* why) {
  *why = "not a MAC address pattern (00:ba:be:11:22:33, 00:ba:be:*)";
  size_t octet = 0;
  size_t pos = 0;
  while (true) {
    if (octet == 6) return false;
    const size_t colon = text.find(':', pos);
    const std::string_view part =
        text.substr(pos, colon == std::string_view::npos ? colon : colon - pos);
    if (part == "*") {
      out.mask[octet] = 0;
      out.bytes[octet] = 0;
      if (colon == std::string_view::npos) {
        for (size_t i = octet + 1; i < 6; ++i) out.mask[i] = out.bytes[i] = 0;
        return true;
      }
    } else {
      if (part.empty() || part.size() > 2) return false;
      int v = 0;
      for (char c : part) {
        const int d = hex_digit(c);
        if (d < 0) return false;
        v = v * 16 + d;
      }
      out.bytes[octet] = static_cast<uint8_t>(v);
      out.mask[octet] = 0xff;
    }
    ++octet;
    if (colon == std::string_view::npos) return octet == 6;
    pos = colon + 1;
  }
}

bool parse_prefix(std::string_view text, bool v6, FilterValue& out, std::string* why) {
  *why = v6 ? "not an IPv6 address or prefix (2001:db8::1, 2001:db8::/32)"
            : "not an IPv4 address or prefix (192.168.1.7, 192.168.1.0/24)";
  const size_t slash = text.find('/');
  const std::string addr(text.substr(0, slash));
  const size_t bytes = v6 ? 16 : 4;
  int64_t bits = static_cast<int64_t>(bytes * 8);
  if (slash != std::string_view::npos) {
    const std::string_view len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || !parse_uint(len, bits) ||
        bits > static_cast<int64_t>(bytes * 8)) {
      return false;
    }
  }
  if (::inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), out.bytes.data()) != 1) return false;
  for (size_t i = 0; i < bytes; ++i) {
    const int64_t left = bits - static_cast<int64_t>(i * 8);
    out.mask[i] = left >= 8 ? 0xff : left <= 0 ? 0 : static_cast<uint8_t>(0xff << (8 - left));
    out.bytes[i] &= out.mask[i];  // host bits beyond the prefix are ignored, as tshark does
  }
  return true;
}

}  // namespace

bool resolve_field(std::string_view word, FieldRef& out, std::string* why) {
  std::string_view name = word;
  out.layer = Layer::kOuter;
  out.direction = Direction::kEither;
  if (name.starts_with("inner.")) {
    out.layer = Layer::kInner;
    name.remove_prefix(6);
  }
  bool has_direction = false;
  if (name.ends_with(".src") || name.ends_with(".dst")) {
    out.direction = name.ends_with(".src") ? Direction::kSource : Direction::kDestination;
    name.remove_suffix(4);
    has_direction = true;
  }
  for (const FieldSpec& spec : kFields) {
    if (name != spec.name) continue;
    if (has_direction && !spec.directional) {
      *why = std::string(spec.name) + " takes no .src/.dst suffix";
      return false;
    }
    if (out.layer == Layer::kInner && !spec.inner_ok) {
      *why = std::string(spec.name) + " takes no inner. prefix";
      return false;
    }
    out.spec = &spec;
    return true;
  }
  *why = "unknown field (fields: " + std::string(field_names()) + ")";
  return false;
}

const FieldSpec* spec_of(Field field) {
  for (const FieldSpec& spec : kFields) {
    if (spec.field == field) return &spec;
  }
  return nullptr;
}

std::string_view value_name(Field field, int64_t value) {
  for (const NamedValue& n : spec_of(field)->names) {
    if (n.value == value) return n.name;
  }
  return {};
}

std::string_view field_names() {
  return "ether.addr ether.proto vlan.id ipv4.addr ipv6.addr ip.proto ipv4.proto ipv6.proto "
         "tcp.port udp.port sctp.port icmp.type icmp.code frame.size frame.time vxlan.vni "
         "geneve.vni tunnel.id tunnel.type; "
         "inner. prefix, .src/.dst suffix";
}

bool parse_value(const FieldSpec& spec, std::string_view text, bool ordered, FilterValue& out,
                 std::string* why) {
  switch (spec.kind) {
    case ValueKind::kNumber:
      return parse_number_value(spec, text, ordered, out, why);
    case ValueKind::kTime:
      return parse_time_value(text, ordered, out, why);
    case ValueKind::kMac:
      return parse_mac(text, out, why);
    case ValueKind::kIpv4:
      return parse_prefix(text, false, out, why);
    case ValueKind::kIpv6:
      return parse_prefix(text, true, out, why);
  }
  return false;
}

}  // namespace snapflow::filter::detail
