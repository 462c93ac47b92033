// FrameBuilder's push side: each method records one layer; frame_encode.cc does the bytes.
#include "snapflow/synth/frame_builder.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "frame_encode.h"

namespace snapflow::synth {
namespace {

[[noreturn]] void bad_literal(const char* what, std::string_view text) {
  std::fprintf(stderr, "snapflow::synth: malformed %s literal '%.*s'\n", what,
               static_cast<int>(text.size()), text.data());
  std::abort();
}

}  // namespace

MacAddress mac(std::string_view text) {
  MacAddress out{};
  unsigned v[6];
  std::string s(text);
  char tail = 0;
  if (std::sscanf(s.c_str(), "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
                  &tail) != 6) {
    bad_literal("MAC", text);
  }
  for (int i = 0; i < 6; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(v[i]);
  return out;
}

Ipv4Address ip4(std::string_view text) {
  Ipv4Address out{};
  std::string s(text);
  if (inet_pton(AF_INET, s.c_str(), out.data()) != 1) bad_literal("IPv4", text);
  return out;
}

Ipv6Address ip6(std::string_view text) {
  Ipv6Address out{};
  std::string s(text);
  if (inet_pton(AF_INET6, s.c_str(), out.data()) != 1) bad_literal("IPv6", text);
  return out;
}

Layer& FrameBuilder::push(LayerKind kind) {
  Layer& l = layers_.emplace_back();
  l.kind = kind;
  return l;
}

FrameBuilder& FrameBuilder::ethernet(const MacAddress& source, const MacAddress& destination) {
  Layer& l = push(LayerKind::kEthernet);
  l.mac_a = source;
  l.mac_b = destination;
  return *this;
}

FrameBuilder& FrameBuilder::linux_sll(const MacAddress& source, uint16_t packet_type) {
  Layer& l = push(LayerKind::kLinuxSll);
  l.mac_a = source;
  l.u0 = packet_type;
  return *this;
}

FrameBuilder& FrameBuilder::linux_sll2(const MacAddress& source, uint32_t interface_index) {
  Layer& l = push(LayerKind::kLinuxSll2);
  l.mac_a = source;
  l.u0 = interface_index;
  return *this;
}

FrameBuilder& FrameBuilder::null_link() {
  push(LayerKind::kNull);
  return *this;
}

FrameBuilder& FrameBuilder::loop_link() {
  push(LayerKind::kLoop);
  return *this;
}

FrameBuilder& FrameBuilder::vlan(uint16_t id, uint16_t tpid, uint8_t priority) {
  Layer& l = push(LayerKind::kVlan);
  l.u0 = id;
  l.u1 = tpid;
  l.u2 = priority;
  return *this;
}

FrameBuilder& FrameBuilder::mpls(uint32_t label, uint8_t ttl) {
  Layer& l = push(LayerKind::kMpls);
  l.u0 = label;
  l.u1 = ttl;
  return *this;
}

FrameBuilder& FrameBuilder::pw_control_word() {
  push(LayerKind::kPwControlWord);
  return *this;
}

FrameBuilder& FrameBuilder::arp_request(const MacAddress& sender, const Ipv4Address& sender_ip,
                                        const Ipv4Address& target_ip) {
  Layer& l = push(LayerKind::kArp);
  l.mac_a = sender;
  std::copy(sender_ip.begin(), sender_ip.end(), l.ip_a.begin());
  std::copy(target_ip.begin(), target_ip.end(), l.ip_b.begin());
  return *this;
}

FrameBuilder& FrameBuilder::ipv4(const Ipv4Address& source, const Ipv4Address& destination,
                                 Ipv4Params params) {
  Layer& l = push(LayerKind::kIpv4);
  std::copy(source.begin(), source.end(), l.ip_a.begin());
  std::copy(destination.begin(), destination.end(), l.ip_b.begin());
  l.params = std::move(params);
  return *this;
}

FrameBuilder& FrameBuilder::ipv6(const Ipv6Address& source, const Ipv6Address& destination,
                                 Ipv6Params params) {
  Layer& l = push(LayerKind::kIpv6);
  l.ip_a = source;
  l.ip_b = destination;
  l.params = params;
  return *this;
}

FrameBuilder& FrameBuilder::ipv6_hop_by_hop(std::vector<std::byte> options) {
  push(LayerKind::kIpv6HopByHop).bytes = std::move(options);
  return *this;
}

FrameBuilder& FrameBuilder::ipv6_routing(uint8_t routing_type, uint8_t segments_left) {
  Layer& l = push(LayerKind::kIpv6Routing);
  l.u0 = routing_type;
  l.u1 = segments_left;
  return *this;
}

FrameBuilder& FrameBuilder::ipv6_fragment(uint16_t offset, bool more_fragments, uint32_t id) {
  Layer& l = push(LayerKind::kIpv6Fragment);
  l.u0 = offset;
  l.flag = more_fragments;
  l.u1 = id;
  return *this;
}

FrameBuilder& FrameBuilder::ipv6_destination_options(std::vector<std::byte> options) {
  push(LayerKind::kIpv6DestinationOptions).bytes = std::move(options);
  return *this;
}

FrameBuilder& FrameBuilder::auth_header(uint32_t spi, uint32_t sequence, size_t icv_bytes) {
  Layer& l = push(LayerKind::kAuth);
  l.u0 = spi;
  l.u1 = sequence;
  l.u2 = static_cast<uint32_t>(icv_bytes);
  return *this;
}

FrameBuilder& FrameBuilder::esp(uint32_t spi, uint32_t sequence) {
  Layer& l = push(LayerKind::kEsp);
  l.u0 = spi;
  l.u1 = sequence;
  return *this;
}

FrameBuilder& FrameBuilder::tcp(uint16_t source_port, uint16_t destination_port, uint8_t flags,
                                TcpParams params) {
  Layer& l = push(LayerKind::kTcp);
  l.u0 = source_port;
  l.u1 = destination_port;
  l.u2 = flags;
  l.params = std::move(params);
  return *this;
}

FrameBuilder& FrameBuilder::udp(uint16_t source_port, uint16_t destination_port) {
  Layer& l = push(LayerKind::kUdp);
  l.u0 = source_port;
  l.u1 = destination_port;
  return *this;
}

FrameBuilder& FrameBuilder::icmp(uint8_t type, uint8_t code, uint16_t id, uint16_t sequence) {
  Layer& l = push(LayerKind::kIcmp);
  l.u0 = static_cast<uint32_t>(type) << 8 | code;
  l.u1 = static_cast<uint32_t>(id) << 16 | sequence;
  return *this;
}

FrameBuilder& FrameBuilder::icmpv6(uint8_t type, uint8_t code, uint16_t id, uint16_t sequence) {
  Layer& l = push(LayerKind::kIcmpv6);
  l.u0 = static_cast<uint32_t>(type) << 8 | code;
  l.u1 = static_cast<uint32_t>(id) << 16 | sequence;
  return *this;
}

FrameBuilder& FrameBuilder::sctp(uint16_t source_port, uint16_t destination_port,
                                 uint32_t verification_tag) {
  Layer& l = push(LayerKind::kSctp);
  l.u0 = source_port;
  l.u1 = destination_port;
  l.u2 = verification_tag;
  return *this;
}

FrameBuilder& FrameBuilder::vxlan(uint32_t vni, uint8_t flags) {
  Layer& l = push(LayerKind::kVxlan);
  l.u0 = vni;
  l.u1 = flags;
  return *this;
}

FrameBuilder& FrameBuilder::geneve(uint32_t vni, std::vector<std::byte> options) {
  Layer& l = push(LayerKind::kGeneve);
  l.u0 = vni;
  l.bytes = std::move(options);
  return *this;
}

FrameBuilder& FrameBuilder::gre(GreParams params) {
  push(LayerKind::kGre).params = params;
  return *this;
}

FrameBuilder& FrameBuilder::erspan2(uint16_t session_id, uint16_t vlan, uint32_t index) {
  Layer& l = push(LayerKind::kErspan2);
  l.u0 = session_id;
  l.u1 = vlan;
  l.u2 = index;
  return *this;
}

FrameBuilder& FrameBuilder::erspan3(uint16_t session_id, Erspan3Params params) {
  Layer& l = push(LayerKind::kErspan3);
  l.u0 = session_id;
  l.params = params;
  return *this;
}

FrameBuilder& FrameBuilder::gtpu(uint32_t teid, GtpuParams params) {
  Layer& l = push(LayerKind::kGtpu);
  l.u0 = teid;
  l.params = std::move(params);
  return *this;
}

FrameBuilder& FrameBuilder::payload(size_t n) {
  Layer& l = push(LayerKind::kPayload);
  l.bytes.resize(n);
  for (size_t i = 0; i < n; ++i) l.bytes[i] = static_cast<std::byte>((i * 7 + 1) & 0xff);
  return *this;
}

FrameBuilder& FrameBuilder::raw_bytes(std::vector<std::byte> bytes) {
  push(LayerKind::kRawBytes).bytes = std::move(bytes);
  return *this;
}

FrameBuilder& FrameBuilder::next_protocol(uint32_t value) {
  if (!layers_.empty()) layers_.back().next_protocol = value;
  return *this;
}

FrameBuilder& FrameBuilder::pad_to(size_t n) {
  pad_to_bytes_ = n;
  return *this;
}

FrameBuilder& FrameBuilder::truncate(size_t n) {
  truncate_bytes_ = n;
  return *this;
}

std::vector<std::byte> FrameBuilder::build() const {
  std::vector<std::byte> frame = detail::encode_layers(layers_);
  if (frame.size() < pad_to_bytes_) frame.resize(pad_to_bytes_, std::byte{0});
  if (truncate_bytes_ && frame.size() > *truncate_bytes_) frame.resize(*truncate_bytes_);
  return frame;
}

}  // namespace snapflow::synth
