// Synthetic capture generator: a deterministic stream of Ethernet frames for tests, demos and
// benchmarks, written as a nanosecond PCAP or handed to a callback.
//
// Given the same GeneratorConfig the output is byte-for-byte the same on every platform: the
// only randomness is std::mt19937_64 (whose output the standard fixes) read through integer
// math of our own (no std::*_distribution, whose results differ between libraries), plus a
// splitmix64 hash that derives each flow's addresses, ports, protocol and IP version from
// (seed, flow index) without storing them.
//
// Packet k is sent at start_ns + k * 1e9 / rate_pps (+ jitter in [0, jitter_ns)), belongs to
// a flow drawn uniformly from [0, flows), and has the frame size of the size mode (fixed, or
// IMIX 7:4:1 of 64/594/1518 bytes drawn per packet). A frame whose headers alone exceed the
// size (tunnels, IPv6) is as long as its headers. Sizes exclude the Ethernet FCS. TCP flows
// open with SYN and then carry ACK|PSH; ICMP flows are echo requests.
//
// Not thread-safe; generate() allocates per packet (it builds frames with FrameBuilder) and is
// meant for producing files, not for a measured hot path.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/pcap/writer.h"

namespace snapflow::synth {

enum class Tunnel : uint8_t {
  kNone,
  kVxlan,    ///< AWS traffic-mirror style: outer IPv4/UDP 4789 + VNI, inner Ethernet
  kGeneve,   ///< outer IPv4/UDP 6081 + VNI, inner Ethernet
  kGre,      ///< outer IPv4/GRE, inner IP
  kErspan2,  ///< outer IPv4/GRE(seq)/ERSPAN II, inner Ethernet
  kErspan3,  ///< outer IPv4/GRE(seq)/ERSPAN III, inner Ethernet
  kGtpu,     ///< outer IPv4/UDP 2152/GTP-U, inner IP
  kIpip,     ///< outer IPv4, inner IPv4 (proto 4) or IPv6 (proto 41)
};

enum class SizeMode : uint8_t { kFixed, kImix };

inline constexpr int64_t kDefaultStartNs = 1'795'392'000'000'000'000;  // 2026-11-23T00:00:00Z

struct GeneratorConfig {
  uint64_t flows = 1000;
  uint64_t packets = 100'000;
  int64_t start_ns = kDefaultStartNs;
  uint64_t rate_pps = 1'000'000;  ///< packets per second; timestamps evenly spaced
  int64_t jitter_ns = 0;          ///< added per packet, uniform in [0, jitter_ns)
  SizeMode size_mode = SizeMode::kFixed;
  uint32_t frame_bytes = 64;      ///< for kFixed; 60..9018
  uint32_t ipv6_per_million = 0;  ///< share of flows that are IPv6, in millionths
  uint32_t tcp_weight = 8;        ///< protocol mix: relative weights per flow
  uint32_t udp_weight = 2;
  uint32_t icmp_weight = 0;
  std::optional<uint16_t> vlan_id;  ///< 802.1Q tag on the outermost Ethernet header
  Tunnel tunnel = Tunnel::kNone;
  uint64_t seed = 1;
};

// Checks every field and cross-field constraint; the message names the field.
base::Status validate(const GeneratorConfig& config);

struct FlowTotals {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};

struct GeneratorSummary {
  uint64_t packets = 0;
  uint64_t bytes = 0;  ///< frame bytes (captured = wire)
  int64_t first_ts_ns = 0;
  int64_t last_ts_ns = 0;
  std::vector<FlowTotals> flows;  ///< indexed by flow number, all config.flows entries
};

// Receives each frame in order; the span is valid only during the call. An error stops
// generation and is returned by generate().
using FrameSink = std::function<base::Status(int64_t ts_ns, std::span<const std::byte> frame)>;

base::Result<GeneratorSummary> generate(const GeneratorConfig& config, const FrameSink& sink);
// Writes to writer (Ethernet link type expected); does not flush or close it.
base::Result<GeneratorSummary> generate(const GeneratorConfig& config, pcap::PcapWriter& writer);
// Creates path ("-" = stdout) as a nanosecond PCAP and writes everything into it.
base::Result<GeneratorSummary> write_pcap(const GeneratorConfig& config, const std::string& path);

// Text forms used by the CLI.
base::Result<Tunnel> parse_tunnel(std::string_view name);  ///< none, vxlan, geneve, gre, ...
std::string_view to_string(Tunnel tunnel);
// A bare number of nanoseconds since the epoch, or "YYYY-MM-DDTHH:MM:SS[.fraction]Z".
base::Result<int64_t> parse_time_ns(std::string_view text);

}  // namespace snapflow::synth
