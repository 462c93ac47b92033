// FrameBuilder: synthetic frames for tests, fuzz seeds and benchmarks (never the hot path).
//
// Layers are pushed outermost first; build() encodes them innermost first so that every
// length, checksum and "next protocol" field (ethertype, IP protocol / next header, GRE and
// Geneve protocol type, UDP destination port of a tunnel) can be filled in from what follows:
//
//   auto frame = FrameBuilder()
//                    .ethernet(mac("02:00:00:00:00:01"), mac("02:00:00:00:00:02"))
//                    .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
//                    .udp(40000, 4789)
//                    .vxlan(77)
//                    .ethernet(mac("02:00:00:00:00:03"), mac("02:00:00:00:00:04"))
//                    .ipv4(ip4("192.168.0.1"), ip4("192.168.0.2"))
//                    .tcp(1234, 80, kTcpSyn)
//                    .payload(10)
//                    .build();
//
// next_protocol(v) overrides the inferred field of the most recently pushed layer, which is how
// tests build deliberately odd frames (LLDP, GRE version 1, an unknown ethertype, ...).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <variant>
#include <vector>

namespace snapflow::synth {

using MacAddress = std::array<uint8_t, 6>;
using Ipv4Address = std::array<uint8_t, 4>;
using Ipv6Address = std::array<uint8_t, 16>;

// Parse address literals written in tests ("02:00:00:00:00:01", "10.0.0.1", "2001:db8::1").
// A malformed literal is a bug in the calling test: it aborts with a message.
MacAddress mac(std::string_view text);
Ipv4Address ip4(std::string_view text);
Ipv6Address ip6(std::string_view text);

inline constexpr uint8_t kTcpFin = 0x01;
inline constexpr uint8_t kTcpSyn = 0x02;
inline constexpr uint8_t kTcpRst = 0x04;
inline constexpr uint8_t kTcpPsh = 0x08;
inline constexpr uint8_t kTcpAck = 0x10;
inline constexpr uint8_t kTcpUrg = 0x20;
inline constexpr uint8_t kTcpEce = 0x40;
inline constexpr uint8_t kTcpCwr = 0x80;

struct Ipv4Params {
  uint8_t ttl = 64;
  uint16_t id = 1;
  uint16_t fragment_offset = 0;  ///< in 8-byte units
  bool more_fragments = false;
  bool dont_fragment = false;
  uint8_t tos = 0;
  std::vector<std::byte> options{};  ///< padded with zeros (EOL) to a multiple of 4 bytes
};

struct Ipv6Params {
  uint8_t hop_limit = 64;
  uint32_t flow_label = 0;
  uint8_t traffic_class = 0;
};

struct TcpParams {
  uint32_t seq = 1;
  uint32_t ack = 0;
  uint16_t window = 65535;
  std::vector<std::byte> options{};  ///< padded with zeros (EOL) to a multiple of 4 bytes
};

struct GreParams {
  std::optional<uint32_t> key{};
  std::optional<uint32_t> sequence{};
  bool checksum = false;
  uint8_t version = 0;  ///< 1 = PPTP enhanced GRE
};

struct GtpuExtension {
  uint8_t type = 0x85;               ///< PDU session container by default
  std::vector<std::byte> content{};  ///< padded so that 2 + size is a multiple of 4
};

struct GtpuParams {
  uint8_t message_type = 0xff;  ///< 0xff G-PDU; 1 echo request, 2 echo response, ...
  std::optional<uint16_t> sequence{};
  std::vector<GtpuExtension> extensions{};
};

struct Erspan3Params {
  uint16_t vlan = 0;
  uint32_t timestamp = 0;
  bool platform_subheader = false;  ///< sets O and appends the 8-byte platform-specific subheader
};

// One pushed layer. The kinds mirror the builder's methods; params not used by a kind stay 0.
enum class LayerKind : uint8_t {
  kEthernet,
  kVlan,
  kMpls,
  kPwControlWord,
  kArp,
  kIpv4,
  kIpv6,
  kIpv6HopByHop,
  kIpv6Routing,
  kIpv6Fragment,
  kIpv6DestinationOptions,
  kAuth,
  kEsp,
  kTcp,
  kUdp,
  kIcmp,
  kIcmpv6,
  kSctp,
  kVxlan,
  kGeneve,
  kGre,
  kErspan2,
  kErspan3,
  kGtpu,
  kLinuxSll,
  kLinuxSll2,
  kNull,
  kLoop,
  kPayload,
  kRawBytes,
};

struct Layer {
  LayerKind kind = LayerKind::kPayload;
  std::optional<uint32_t> next_protocol{};  ///< override of the inferred next-protocol field
  MacAddress mac_a{}, mac_b{};
  std::array<uint8_t, 16> ip_a{}, ip_b{};
  uint32_t u0 = 0, u1 = 0, u2 = 0;  ///< kind-specific numbers (ports, ids, type/code, ...)
  bool flag = false;
  std::vector<std::byte> bytes{};  ///< options / payload / raw bytes
  std::variant<std::monostate, Ipv4Params, Ipv6Params, TcpParams, GreParams, GtpuParams,
               Erspan3Params>
      params;
};

class FrameBuilder {
 public:
  // Link headers (omit all of them for a raw IP frame).
  FrameBuilder& ethernet(const MacAddress& source, const MacAddress& destination);
  FrameBuilder& linux_sll(const MacAddress& source = {}, uint16_t packet_type = 0);
  FrameBuilder& linux_sll2(const MacAddress& source = {}, uint32_t interface_index = 1);
  FrameBuilder& null_link();  ///< LINKTYPE_NULL: address family in little-endian host order
  FrameBuilder& loop_link();  ///< LINKTYPE_LOOP: address family in network order

  // 802.1Q/802.1ad tags and MPLS; the bottom-of-stack bit is set on the last label pushed.
  FrameBuilder& vlan(uint16_t id, uint16_t tpid = 0x8100, uint8_t priority = 0);
  FrameBuilder& mpls(uint32_t label, uint8_t ttl = 64);
  FrameBuilder& pw_control_word();  ///< 4 zero bytes before an Ethernet pseudowire payload
  FrameBuilder& arp_request(const MacAddress& sender, const Ipv4Address& sender_ip,
                            const Ipv4Address& target_ip);

  FrameBuilder& ipv4(const Ipv4Address& source, const Ipv4Address& destination,
                     Ipv4Params params = {});
  FrameBuilder& ipv6(const Ipv6Address& source, const Ipv6Address& destination,
                     Ipv6Params params = {});
  // IPv6 extension headers (AH and ESP may also follow IPv4).
  FrameBuilder& ipv6_hop_by_hop(std::vector<std::byte> options = {});
  FrameBuilder& ipv6_routing(uint8_t routing_type = 4, uint8_t segments_left = 0);
  FrameBuilder& ipv6_fragment(uint16_t offset, bool more_fragments, uint32_t id);
  FrameBuilder& ipv6_destination_options(std::vector<std::byte> options = {});
  FrameBuilder& auth_header(uint32_t spi, uint32_t sequence = 1, size_t icv_bytes = 12);
  FrameBuilder& esp(uint32_t spi, uint32_t sequence = 1);

  FrameBuilder& tcp(uint16_t source_port, uint16_t destination_port, uint8_t flags = kTcpAck,
                    TcpParams params = {});
  // destination_port 0: inferred from a following tunnel (VXLAN 4789, Geneve 6081, GTP-U 2152).
  FrameBuilder& udp(uint16_t source_port, uint16_t destination_port);
  FrameBuilder& icmp(uint8_t type, uint8_t code, uint16_t id = 0, uint16_t sequence = 0);
  FrameBuilder& icmpv6(uint8_t type, uint8_t code, uint16_t id = 0, uint16_t sequence = 0);
  FrameBuilder& sctp(uint16_t source_port, uint16_t destination_port,
                     uint32_t verification_tag = 1);

  FrameBuilder& vxlan(uint32_t vni, uint8_t flags = 0x08);
  FrameBuilder& geneve(uint32_t vni, std::vector<std::byte> options = {});
  FrameBuilder& gre(GreParams params = {});
  FrameBuilder& erspan2(uint16_t session_id, uint16_t vlan = 0, uint32_t index = 0);
  FrameBuilder& erspan3(uint16_t session_id, Erspan3Params params = {});
  FrameBuilder& gtpu(uint32_t teid, GtpuParams params = {});

  // n bytes of a deterministic pattern (byte i = (i * 7 + 1) & 0xff).
  FrameBuilder& payload(size_t n);
  FrameBuilder& raw_bytes(std::vector<std::byte> bytes);

  // Overrides the next-protocol field the last pushed layer would otherwise infer.
  FrameBuilder& next_protocol(uint32_t value);
  // Appends zero bytes after the last layer until the frame has at least n bytes (Ethernet
  // minimum-frame padding: not counted in any IP/UDP length).
  FrameBuilder& pad_to(size_t n);
  // Keeps only the first n bytes of the built frame (a snaplen).
  FrameBuilder& truncate(size_t n);

  std::vector<std::byte> build() const;
  const std::vector<Layer>& layers() const { return layers_; }

 private:
  Layer& push(LayerKind kind);

  std::vector<Layer> layers_;
  size_t pad_to_bytes_ = 0;
  std::optional<size_t> truncate_bytes_;
};

}  // namespace snapflow::synth
