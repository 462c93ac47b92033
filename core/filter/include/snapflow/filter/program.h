// FilterProgram: a parsed fmadio filter (parse.h), ready to test packets.
//
// A program is a small DAG: leaves are filter blocks (one field compared with one or more
// values), inner nodes are AND, OR and NOT. matches() walks it with short-circuit evaluation
// and decodes the packet lazily: not at all while only frame.size / frame.time blocks are
// reached; the outer headers (snapflow's decoder with tunnels off: the outermost IP and
// transport header, as tcpdump sees them) for plain blocks; the innermost headers (tunnels
// decoded, the view pcap2json keys flows on) for `inner.` blocks and tunnel blocks
// (vxlan.vni, geneve.vni, tunnel.*). A packet is decoded at most once per depth.
//
// Semantics of one block, per packet:
//   FIELD == v1,v2,lo-hi   some occurrence of the field equals a value or lies in a range
//   FIELD != values        the field is present and no occurrence matches (like tshark's !=;
//                          use !(FIELD == values) for "absent or different")
//   FIELD < <= > >= v      some occurrence compares true (numeric fields)
// Occurrences: .src and .dst for addresses and ports without a direction suffix; every
// VXLAN/Geneve layer for vxlan.vni/geneve.vni; one value for every other field. A field the packet
// does not have (tcp.port on UDP, inner.* on an untunnelled packet) matches nothing.
//
// Immutable once built: matches() is const, thread-safe and allocation-free.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace snapflow::filter {

enum class Field : uint8_t {
  kEtherProto,  ///< ethertype of the network layer (after VLAN tags / MPLS): ipv4, arp, 0x88cc
  kEtherAddr,   ///< MAC address (pattern with * wildcards)
  kVlanId,      ///< the outermost 802.1Q/802.1ad tag (as tcpdump's `vlan N`)
  kIpv4Addr,    ///< IPv4 address in a prefix (a.b.c.d[/len])
  kIpv6Addr,    ///< IPv6 address in a prefix
  kIpProto,     ///< IP protocol (IPv4 protocol or IPv6 next header after extension headers)
  kIpv4Proto,   ///< the same, IPv4 packets only
  kIpv6Proto,   ///< the same, IPv6 packets only
  kTcpPort,
  kUdpPort,
  kSctpPort,
  kIcmpType,    ///< ICMP or ICMPv6 type
  kIcmpCode,    ///< ICMP or ICMPv6 code
  kFrameSize,   ///< original (wire) length in bytes
  kFrameTime,   ///< timestamp, ns since the epoch; ranges A-B are half-open [A, B)
  kVxlanVni,    ///< VNI of any VXLAN layer
  kGeneveVni,   ///< VNI of any Geneve layer
  kTunnelId,    ///< id of the outermost tunnel (VNI, GRE key, ERSPAN session, GTP TEID)
  kTunnelType,  ///< type of the outermost tunnel (vxlan, geneve, gre, erspan2, ...)
};

enum class Layer : uint8_t { kOuter, kInner };
enum class Direction : uint8_t { kEither, kSource, kDestination };
enum class Compare : uint8_t { kEq, kNe, kLt, kLe, kGt, kGe };

// One accepted value: numbers and names are inclusive ranges [lo, hi]; addresses are a
// pattern (value + mask, 6 bytes for MACs, 4 or 16 for IP prefixes).
struct FilterValue {
  int64_t lo = 0;
  int64_t hi = 0;
  std::array<uint8_t, 16> bytes{};
  std::array<uint8_t, 16> mask{};
};

struct FilterBlock {
  Field field = Field::kFrameSize;
  Layer layer = Layer::kOuter;
  Direction direction = Direction::kEither;
  Compare compare = Compare::kEq;
  uint32_t first_value = 0;  ///< index into FilterProgram::values
  uint32_t value_count = 0;
  uint32_t position = 0;  ///< 1-based position in the filter text (for messages)
};

struct FilterNode {
  enum Kind : uint8_t { kBlock, kAnd, kOr, kNot, kTrue };
  Kind kind = kTrue;
  uint32_t a = 0;  ///< block index (kBlock) or first operand (node index)
  uint32_t b = 0;  ///< second operand (kAnd, kOr)
};

// What matches() may have to decode, over the blocks reachable from the root.
struct DecodeNeeds {
  bool outer = false;  ///< outer headers (tunnels not decoded)
  bool inner = false;  ///< tunnels decoded (inner.* blocks, vxlan.vni, tunnel.*)
};

class FilterProgram {
 public:
  FilterProgram() = default;  ///< matches every packet

  // ts_ns: record time; frame: captured bytes; wire_length: original length; link_type: the
  // LINKTYPE_* of the frame (snapflow::pcap::LinkType).
  bool matches(int64_t ts_ns, std::span<const std::byte> frame, uint32_t wire_length,
               uint16_t link_type) const;

  bool matches_everything() const { return nodes_.empty(); }
  const DecodeNeeds& needs() const { return needs_; }
  size_t block_count() const { return blocks_.size(); }
  const std::string& text() const { return text_; }

  // The filter in one canonical spelling (program_text.cc): named blocks that the expression
  // uses as definitions (NAME:FIELD==VALUES;...;expr=...), everything else inline, no spaces
  // inside a block and one around & and |, parentheses only where precedence needs them,
  // value lists with ',', numbers in decimal (protocol, ethertype and tunnel numbers by name),
  // times as epoch ns ([A, B) ranges as A-B), MAC wildcards folded (00:ba:be:*), prefixes as
  // address/len. Parsing it gives a program that keeps exactly the same packets; "" for the
  // program that keeps everything.
  std::string normalized_text() const;

 private:
  friend class ProgramBuilder;
  struct Packet;
  bool eval(uint32_t node, Packet& p) const;
  bool eval_block(const FilterBlock& b, Packet& p) const;

  std::vector<FilterBlock> blocks_;
  std::vector<std::string> block_names_;  ///< per block: its name when defined as NAME:...
  std::vector<FilterValue> values_;
  std::vector<FilterNode> nodes_;
  uint32_t root_ = 0;
  DecodeNeeds needs_;
  std::string text_;  ///< the source text, for logs
};

}  // namespace snapflow::filter
