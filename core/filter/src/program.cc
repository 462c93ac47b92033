// Evaluation of a FilterProgram against one packet: short-circuit walk of the node DAG, with
// the packet decoded lazily (outer headers, innermost headers) on first need.
#include "snapflow/filter/program.h"

#include <optional>

#include "snapflow/packet/decode.h"

namespace snapflow::filter {
namespace {

using packet::PacketView;

constexpr size_t kMaxOccurrences =
    packet::kMaxTunnels > packet::kMaxVlans ? packet::kMaxTunnels : packet::kMaxVlans;
constexpr uint8_t kTcp = 6;
constexpr uint8_t kUdp = 17;
constexpr uint8_t kSctp = 132;

// Up to a few values of one field in one packet (ports: source and destination).
struct Occurrences {
  int64_t v[kMaxOccurrences > 2 ? kMaxOccurrences : 2];
  size_t n = 0;
  void add(int64_t x) { v[n++] = x; }
};

bool test_numbers(const Occurrences& occ, Compare cmp, const FilterValue* values, size_t count) {
  if (occ.n == 0) return false;
  auto in_any = [&](int64_t x) {
    for (size_t i = 0; i < count; ++i) {
      if (x >= values[i].lo && x <= values[i].hi) return true;
    }
    return false;
  };
  for (size_t k = 0; k < occ.n; ++k) {
    const int64_t x = occ.v[k];
    switch (cmp) {
      case Compare::kEq:
        if (in_any(x)) return true;
        break;
      case Compare::kNe:
        if (in_any(x)) return false;
        break;
      case Compare::kLt:
        if (x < values[0].lo) return true;
        break;
      case Compare::kLe:
        if (x <= values[0].lo) return true;
        break;
      case Compare::kGt:
        if (x > values[0].lo) return true;
        break;
      case Compare::kGe:
        if (x >= values[0].lo) return true;
        break;
    }
  }
  return cmp == Compare::kNe;
}

bool pattern_matches(const uint8_t* addr, size_t len, const FilterValue& v) {
  for (size_t i = 0; i < len; ++i) {
    if ((addr[i] & v.mask[i]) != v.bytes[i]) return false;
  }
  return true;
}

// Address occurrences (source and/or destination), tested against patterns.
bool test_addresses(const uint8_t* src, const uint8_t* dst, size_t len, Direction dir, Compare cmp,
                    const FilterValue* values, size_t count) {
  const uint8_t* occ[2];
  size_t n = 0;
  if (dir != Direction::kDestination) occ[n++] = src;
  if (dir != Direction::kSource) occ[n++] = dst;
  for (size_t k = 0; k < n; ++k) {
    bool hit = false;
    for (size_t i = 0; i < count && !hit; ++i) hit = pattern_matches(occ[k], len, values[i]);
    if (hit) return cmp == Compare::kEq;
  }
  return cmp == Compare::kNe;
}

void add_ports(const PacketView& v, Direction dir, Occurrences& occ) {
  if (dir != Direction::kDestination) occ.add(v.source_port);
  if (dir != Direction::kSource) occ.add(v.destination_port);
}

// The innermost layer counts as "inner" only when a tunnel was decoded around it.
bool has_inner(const PacketView& v) {
  return v.tunnel_count != 0;
}
// Inner Ethernet: a tunnel carried a whole frame (VXLAN, Geneve, ERSPAN, GRE bridging); the
// outer Ethernet header always sits at offset 0, an inner one never does.
bool has_inner_ethernet(const PacketView& v) {
  return v.tunnel_count != 0 && v.has_ethernet && v.l2_offset != 0;
}

}  // namespace

struct FilterProgram::Packet {
  int64_t ts_ns;
  std::span<const std::byte> frame;
  uint32_t wire_length;
  uint16_t link_type;
  std::optional<PacketView> outer;  ///< tunnels not decoded
  std::optional<PacketView> inner;  ///< tunnels decoded

  const PacketView& view(Layer layer) {
    std::optional<PacketView>& slot = layer == Layer::kOuter ? outer : inner;
    if (!slot) {
      slot.emplace();
      packet::DecodeOptions options;
      options.decode_tunnels = layer == Layer::kInner;
      packet::decode(frame, link_type, *slot, options);
    }
    return *slot;
  }
};

bool FilterProgram::matches(int64_t ts_ns, std::span<const std::byte> frame, uint32_t wire_length,
                            uint16_t link_type) const {
  if (nodes_.empty()) return true;
  Packet p{ts_ns, frame, wire_length, link_type, std::nullopt, std::nullopt};
  return eval(root_, p);
}

bool FilterProgram::eval(uint32_t node, Packet& p) const {
  const FilterNode& n = nodes_[node];
  switch (n.kind) {
    case FilterNode::kBlock:
      return eval_block(blocks_[n.a], p);
    case FilterNode::kAnd:
      return eval(n.a, p) && eval(n.b, p);
    case FilterNode::kOr:
      return eval(n.a, p) || eval(n.b, p);
    case FilterNode::kNot:
      return !eval(n.a, p);
    case FilterNode::kTrue:
      return true;
  }
  return false;
}

bool FilterProgram::eval_block(const FilterBlock& b, Packet& p) const {
  const FilterValue* values = values_.data() + b.first_value;
  const size_t count = b.value_count;
  Occurrences occ;
  switch (b.field) {
    case Field::kFrameSize:
      occ.add(p.wire_length);
      return test_numbers(occ, b.compare, values, count);
    case Field::kFrameTime:
      occ.add(p.ts_ns);
      return test_numbers(occ, b.compare, values, count);
    case Field::kVxlanVni:
    case Field::kGeneveVni: {
      const PacketView& v = p.view(Layer::kInner);
      const auto type =
          b.field == Field::kVxlanVni ? packet::TunnelType::kVxlan : packet::TunnelType::kGeneve;
      for (size_t i = 0; i < v.tunnel_count; ++i) {
        if (v.tunnels[i].type == type && v.tunnels[i].has_id) occ.add(v.tunnels[i].id);
      }
      return test_numbers(occ, b.compare, values, count);
    }
    case Field::kTunnelId: {
      const PacketView& v = p.view(Layer::kInner);
      if (v.tunnel_count != 0 && v.tunnels[0].has_id) occ.add(v.tunnels[0].id);
      return test_numbers(occ, b.compare, values, count);
    }
    case Field::kTunnelType: {
      const PacketView& v = p.view(Layer::kInner);
      if (v.tunnel_count != 0) occ.add(static_cast<int64_t>(v.tunnels[0].type));
      return test_numbers(occ, b.compare, values, count);
    }
    default:
      break;
  }
  const PacketView& v = p.view(b.layer);
  const bool inner = b.layer == Layer::kInner;
  if (inner && !has_inner(v)) return false;
  switch (b.field) {
    case Field::kEtherProto:
      if (v.ethertype != 0) occ.add(v.ethertype);
      return test_numbers(occ, b.compare, values, count);
    case Field::kEtherAddr:
      if (inner ? !has_inner_ethernet(v) : !v.has_ethernet) return false;
      return test_addresses(v.source_mac.data(), v.destination_mac.data(), 6, b.direction,
                            b.compare, values, count);
    case Field::kVlanId:
      if (v.vlan_count != 0) occ.add(v.vlan_ids[0]);
      return test_numbers(occ, b.compare, values, count);
    case Field::kIpv4Addr:
    case Field::kIpv6Addr: {
      const uint8_t version = b.field == Field::kIpv4Addr ? 4 : 6;
      if (v.source_ip.version != version) return false;
      return test_addresses(v.source_ip.bytes.data(), v.destination_ip.bytes.data(),
                            version == 4 ? 4 : 16, b.direction, b.compare, values, count);
    }
    case Field::kIpProto:
    case Field::kIpv4Proto:
    case Field::kIpv6Proto: {
      const uint8_t version = v.source_ip.version;
      if (version == 0 || (b.field == Field::kIpv4Proto && version != 4) ||
          (b.field == Field::kIpv6Proto && version != 6)) {
        return false;
      }
      occ.add(v.ip_protocol);
      return test_numbers(occ, b.compare, values, count);
    }
    case Field::kTcpPort:
    case Field::kUdpPort:
    case Field::kSctpPort: {
      const uint8_t proto = b.field == Field::kTcpPort   ? kTcp
                            : b.field == Field::kUdpPort ? kUdp
                                                         : kSctp;
      if (!v.has_ports || v.ip_protocol != proto) return false;
      add_ports(v, b.direction, occ);
      return test_numbers(occ, b.compare, values, count);
    }
    case Field::kIcmpType:
    case Field::kIcmpCode:
      if (!v.has_icmp) return false;
      occ.add(b.field == Field::kIcmpType ? v.icmp_type : v.icmp_code);
      return test_numbers(occ, b.compare, values, count);
    default:
      return false;
  }
}

}  // namespace snapflow::filter
