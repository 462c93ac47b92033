// The generator's per-flow derivation and frame assembly (private to synth).
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "snapflow/synth/frame_builder.h"
#include "snapflow/synth/generator.h"

namespace snapflow::synth {

inline constexpr uint8_t kProtoIcmp = 1;
inline constexpr uint8_t kProtoTcp = 6;
inline constexpr uint8_t kProtoUdp = 17;

// Everything about a flow, derived from (seed, flow index) alone.
struct FlowSpec {
  bool ipv6 = false;
  uint8_t protocol = kProtoTcp;
  std::array<uint8_t, 16> source{};  ///< first 4 bytes used for IPv4
  std::array<uint8_t, 16> destination{};
  uint16_t source_port = 0;
  uint16_t destination_port = 0;
  MacAddress source_mac{};
  MacAddress destination_mac{};
  Ipv4Address outer_source{};  ///< tunnel endpoints (mirror source ENI -> collector)
  Ipv4Address outer_destination{};
  uint16_t outer_source_port = 0;
  uint32_t vni = 0;  ///< VXLAN/Geneve VNI, ERSPAN session, GTP-U TEID
};

uint64_t splitmix64(uint64_t x);
FlowSpec derive_flow(const GeneratorConfig& config, uint64_t flow_index);

// Builds frames of one config's shape; caches header sizes per (IP version, protocol).
class FrameMaker {
 public:
  explicit FrameMaker(const GeneratorConfig& config) : config_(config) {}
  // packet_in_flow: 0 for the flow's first packet (TCP SYN), counts up after.
  std::vector<std::byte> make(const FlowSpec& flow, uint32_t target_bytes, uint64_t packet_in_flow);

 private:
  FrameBuilder builder(const FlowSpec& flow, uint64_t packet_in_flow, size_t payload) const;
  size_t header_bytes(const FlowSpec& flow);

  const GeneratorConfig& config_;
  std::array<size_t, 6> header_bytes_{};  ///< [ipv6 * 3 + protocol slot], 0 = unknown
};

}  // namespace snapflow::synth
