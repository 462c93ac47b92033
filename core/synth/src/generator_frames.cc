// Flow derivation and frame assembly for the generator. Every per-flow value comes from a
// splitmix64 chain seeded by (seed, flow index), so flows need no storage and any flow can be
// recomputed in isolation.
#include "generator_frames.h"

#include <iterator>

namespace snapflow::synth {
namespace {

constexpr uint16_t kServicePorts[] = {80, 443, 53, 8080, 22, 123, 3306, 5432, 6379, 9200};
constexpr MacAddress kVtepSourceMac = {0x02, 0x0a, 0x00, 0x00, 0x00, 0x01};
constexpr MacAddress kVtepDestinationMac = {0x02, 0x0a, 0x00, 0x00, 0x00, 0x02};

size_t protocol_slot(uint8_t protocol) {
  return protocol == kProtoTcp ? 0 : protocol == kProtoUdp ? 1 : 2;
}

}  // namespace

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

FlowSpec derive_flow(const GeneratorConfig& config, uint64_t flow_index) {
  uint64_t h0 = splitmix64(config.seed ^ splitmix64(flow_index));
  uint64_t h1 = splitmix64(h0);
  uint64_t h2 = splitmix64(h1);
  uint64_t h3 = splitmix64(h2);
  FlowSpec f;
  f.ipv6 = h0 % 1'000'000 < config.ipv6_per_million;
  uint64_t weights = uint64_t{config.tcp_weight} + config.udp_weight + config.icmp_weight;
  uint64_t pick = h1 % weights;
  f.protocol = pick < config.tcp_weight                                 ? kProtoTcp
               : pick < uint64_t{config.tcp_weight} + config.udp_weight ? kProtoUdp
                                                                        : kProtoIcmp;
  // Sources are unique per flow (flow index in the low 24 bits); destinations are hashed.
  auto idx = static_cast<uint32_t>(flow_index);
  if (f.ipv6) {
    f.source = {0xfd, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    f.destination = {0xfd, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
    for (int i = 0; i < 4; ++i) f.source[12 + i] = static_cast<uint8_t>(idx >> (24 - 8 * i));
    for (int i = 0; i < 8; ++i) f.destination[8 + i] = static_cast<uint8_t>(h2 >> (56 - 8 * i));
  } else {
    f.source = {10, static_cast<uint8_t>(idx >> 16), static_cast<uint8_t>(idx >> 8),
                static_cast<uint8_t>(idx)};
    f.destination = {172, static_cast<uint8_t>(16 + (h2 & 15)), static_cast<uint8_t>(h2 >> 8),
                     static_cast<uint8_t>(1 + (h2 >> 16) % 254)};
  }
  f.source_port = static_cast<uint16_t>(1024 + h3 % 64512);
  f.destination_port = kServicePorts[(h3 >> 32) % std::size(kServicePorts)];
  f.source_mac = {0x02,
                  0x00,
                  static_cast<uint8_t>(idx >> 24),
                  static_cast<uint8_t>(idx >> 16),
                  static_cast<uint8_t>(idx >> 8),
                  static_cast<uint8_t>(idx)};
  f.destination_mac = {0x02,
                       0xff,
                       static_cast<uint8_t>(h2 >> 24),
                       static_cast<uint8_t>(h2 >> 32),
                       static_cast<uint8_t>(h2 >> 40),
                       static_cast<uint8_t>(h2 >> 48)};
  // A few mirror sessions, like an AWS account mirroring four ENIs to one collector.
  uint32_t session = static_cast<uint32_t>(h3 >> 48) % 4;
  f.outer_source = {10, 254, static_cast<uint8_t>(session), 1};
  f.outer_destination = {10, 254, 255, 10};
  f.outer_source_port = static_cast<uint16_t>(49152 + h0 % 16384);
  f.vni = 1000 + session;
  return f;
}

FrameBuilder FrameMaker::builder(const FlowSpec& flow, uint64_t packet_in_flow,
                                 size_t payload) const {
  FrameBuilder b;
  bool inner_ethernet = false;
  if (config_.tunnel == Tunnel::kNone) {
    b.ethernet(flow.source_mac, flow.destination_mac);
  } else {
    b.ethernet(kVtepSourceMac, kVtepDestinationMac);
  }
  if (config_.vlan_id) b.vlan(*config_.vlan_id);
  auto seq32 = static_cast<uint32_t>(packet_in_flow);
  GreParams erspan_gre;  // ERSPAN type II/III ride on GRE with the sequence bit set
  erspan_gre.sequence = seq32;
  switch (config_.tunnel) {
    case Tunnel::kNone:
      break;
    case Tunnel::kVxlan:
      b.ipv4(flow.outer_source, flow.outer_destination).udp(flow.outer_source_port, 4789);
      b.vxlan(flow.vni);
      inner_ethernet = true;
      break;
    case Tunnel::kGeneve:
      b.ipv4(flow.outer_source, flow.outer_destination).udp(flow.outer_source_port, 6081);
      b.geneve(flow.vni);
      inner_ethernet = true;
      break;
    case Tunnel::kGre:
      b.ipv4(flow.outer_source, flow.outer_destination).gre();
      break;
    case Tunnel::kErspan2:
      b.ipv4(flow.outer_source, flow.outer_destination).gre(erspan_gre);
      b.erspan2(static_cast<uint16_t>(flow.vni & 0x3ff));
      inner_ethernet = true;
      break;
    case Tunnel::kErspan3:
      b.ipv4(flow.outer_source, flow.outer_destination).gre(erspan_gre);
      b.erspan3(static_cast<uint16_t>(flow.vni & 0x3ff));
      inner_ethernet = true;
      break;
    case Tunnel::kGtpu:
      b.ipv4(flow.outer_source, flow.outer_destination).udp(flow.outer_source_port, 2152);
      b.gtpu(flow.vni);
      break;
    case Tunnel::kIpip:
      b.ipv4(flow.outer_source, flow.outer_destination);
      break;
  }
  if (inner_ethernet) b.ethernet(flow.source_mac, flow.destination_mac);
  if (flow.ipv6) {
    b.ipv6(flow.source, flow.destination);
  } else {
    Ipv4Params params;
    params.id = static_cast<uint16_t>(packet_in_flow);
    b.ipv4({flow.source[0], flow.source[1], flow.source[2], flow.source[3]},
           {flow.destination[0], flow.destination[1], flow.destination[2], flow.destination[3]},
           params);
  }
  auto seq16 = static_cast<uint16_t>(packet_in_flow);
  if (flow.protocol == kProtoTcp) {
    TcpParams params;
    params.seq = 1 + seq32 * 1000;
    b.tcp(flow.source_port, flow.destination_port,
          packet_in_flow == 0 ? kTcpSyn : static_cast<uint8_t>(kTcpAck | kTcpPsh), params);
  } else if (flow.protocol == kProtoUdp) {
    b.udp(flow.source_port, flow.destination_port);
  } else if (flow.ipv6) {
    b.icmpv6(128, 0, static_cast<uint16_t>(flow.source_port), seq16);
  } else {
    b.icmp(8, 0, static_cast<uint16_t>(flow.source_port), seq16);
  }
  b.payload(payload);
  return b;
}

size_t FrameMaker::header_bytes(const FlowSpec& flow) {
  size_t& cached = header_bytes_[(flow.ipv6 ? 3 : 0) + protocol_slot(flow.protocol)];
  if (cached == 0) cached = builder(flow, 0, 0).build().size();
  return cached;
}

std::vector<std::byte> FrameMaker::make(const FlowSpec& flow, uint32_t target_bytes,
                                        uint64_t packet_in_flow) {
  size_t headers = header_bytes(flow);
  size_t payload = target_bytes > headers ? target_bytes - headers : 0;
  return builder(flow, packet_in_flow, payload).build();
}

}  // namespace snapflow::synth
