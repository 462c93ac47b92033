// The flow fast path held to decode() on everything the project has to hand: every frame of the
// committed decoder corpora (fixtures for every layer and tunnel kind), every packet the
// synthetic generator makes in each of its shapes (tunnels, VLAN, IPv6, TCP/UDP/ICMP, IMIX),
// and a set of shapes the fast path must leave to decode() (MPLS, fragments, IPv6 extension
// headers, nested and other tunnels), each also cut at every length. Wherever the fast path
// takes a frame, its key and fields must be decode()'s (flow_decode_check.h); where it declines,
// the frame goes to decode() in pcap2json, so the shapes it must decline are checked too.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "flow_decode_check.h"
#include "packet_test_util.h"
#include "snapflow/synth/generator.h"

namespace snapflow::packet::testing {
namespace {

constexpr uint16_t kLinkTypes[] = {0, 1, 12, 14, 101, 108, 113, 228, 229, 276, 147};

const DecodeOptions kOptionSets[] = {{}, {.decode_tunnels = false}, {.extra_vxlan_port = 4790}};

// Checks one frame under every option set; returns how many option sets the fast path took.
int check_all_options(std::span<const std::byte> frame, uint16_t link, const std::string& what) {
  int taken = 0;
  for (const DecodeOptions& options : kOptionSets) {
    const FastCheck check = check_fast_against_decode(frame, link, options);
    EXPECT_EQ(check.mismatch, nullptr) << what << " (link " << link << "): " << check.mismatch;
    taken += check.taken ? 1 : 0;
  }
  return taken;
}

std::filesystem::path source_dir() {
  const char* dir = std::getenv("SNAPFLOW_SOURCE_DIR");
  return dir != nullptr ? std::filesystem::path(dir) : std::filesystem::path(".");
}

TEST(FlowDecodeCrosscheck, EveryCorpusFixtureOnEveryLinkType) {
  size_t files = 0;
  int taken = 0;
  for (const char* corpus : {"tests/fuzz/corpus/decode", "tests/fuzz/corpus/flow_decode",
                             "tests/fuzz/regressions/decode"}) {
    const std::filesystem::path dir = source_dir() / corpus;
    if (!std::filesystem::is_directory(dir)) continue;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) {
      std::ifstream in(entry.path(), std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in), {}};
      const std::span<const std::byte> frame(reinterpret_cast<const std::byte*>(bytes.data()),
                                             bytes.size());
      for (uint16_t link : kLinkTypes) {
        taken += check_all_options(frame, link, entry.path().string());
        // Every prefix, as a snaplen would cut it.
        for (size_t n = 0; n < frame.size(); ++n) {
          taken += check_all_options(frame.first(n), link, entry.path().string() + " cut");
        }
      }
      ++files;
    }
  }
  EXPECT_GE(files, 25u) << "corpus not found under " << source_dir();
  EXPECT_GT(taken, 0);
}

struct GeneratorCase {
  synth::Tunnel tunnel;
  bool fast;  ///< whether the fast path takes every packet of this shape (default options)
};

TEST(FlowDecodeCrosscheck, EveryGeneratorShape) {
  const GeneratorCase cases[] = {
      {synth::Tunnel::kNone, true},     {synth::Tunnel::kVxlan, true},
      {synth::Tunnel::kGeneve, false},  {synth::Tunnel::kGre, false},
      {synth::Tunnel::kErspan2, false}, {synth::Tunnel::kErspan3, false},
      {synth::Tunnel::kGtpu, false},    {synth::Tunnel::kIpip, false},
  };
  for (const GeneratorCase& c : cases) {
    for (const bool vlan : {false, true}) {
      for (const uint32_t ipv6 : {0u, 500'000u, 1'000'000u}) {
        for (const synth::SizeMode size : {synth::SizeMode::kFixed, synth::SizeMode::kImix}) {
          synth::GeneratorConfig config;
          config.flows = 64;
          config.packets = 400;
          config.size_mode = size;
          config.ipv6_per_million = ipv6;
          config.icmp_weight = 1;
          config.tunnel = c.tunnel;
          if (vlan) config.vlan_id = 42;
          const std::string what = "generator tunnel " + std::to_string(int(c.tunnel)) + " vlan " +
                                   std::to_string(vlan) + " ipv6 " + std::to_string(ipv6) +
                                   " size " + std::to_string(int(size));
          uint64_t taken_default = 0;
          const auto summary =
              synth::generate(config, [&](int64_t, std::span<const std::byte> frame) {
                taken_default += check_fast_against_decode(frame, kEthernet, {}).taken ? 1 : 0;
                check_all_options(frame, kEthernet, what);
                return base::Status{};
              });
          ASSERT_TRUE(summary.ok()) << what;
          EXPECT_EQ(taken_default, c.fast ? config.packets : 0) << what;
        }
      }
    }
  }
}

FrameBuilder ethernet() {
  FrameBuilder b;
  b.ethernet(kMacA, kMacB);
  return b;
}

FrameBuilder& ip4_pair(FrameBuilder& b) {
  return b.ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"));
}
FrameBuilder& ip6_pair(FrameBuilder& b) {
  return b.ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"));
}

struct Shape {
  std::string name;
  std::vector<std::byte> frame;
  bool fast;  ///< whether the fast path takes the whole frame (default options)
};

std::vector<Shape> shapes() {
  std::vector<Shape> out;
  auto add = [&](std::string name, const FrameBuilder& b, bool fast) {
    out.push_back({std::move(name), b.build(), fast});
  };
  FrameBuilder b;
  b = ethernet(), ip4_pair(b).tcp(1, 80, synth::kTcpSyn).payload(10), add("ipv4 tcp", b, true);
  b = ethernet(), ip4_pair(b).udp(53, 53).payload(3), add("ipv4 udp", b, true);
  b = ethernet(), ip4_pair(b).icmp(8, 0, 1, 1), add("ipv4 icmp", b, true);
  b = ethernet(), ip4_pair(b).sctp(1, 2), add("ipv4 sctp", b, true);
  b = ethernet(), ip6_pair(b).tcp(1, 443), add("ipv6 tcp", b, true);
  b = ethernet(), ip6_pair(b).icmpv6(128, 0, 1, 1), add("ipv6 icmpv6", b, true);
  b = ethernet(), b.vlan(5), ip4_pair(b).udp(1, 2), add("vlan", b, true);
  b = ethernet(), b.vlan(5, 0x88a8).vlan(6), ip6_pair(b).udp(1, 2), add("qinq ipv6", b, true);
  b = ethernet(), b.vlan(1).vlan(2).vlan(3), ip4_pair(b).udp(1, 2), add("three tags", b, false);
  b = ethernet(), b.mpls(100), ip4_pair(b).tcp(1, 2), add("mpls", b, false);
  b = ethernet(), b.mpls(100).mpls(200), ip6_pair(b).udp(1, 2), add("mpls stack", b, false);
  b = ethernet(), b.mpls(7).pw_control_word().ethernet(kMacC, kMacD), ip4_pair(b).udp(1, 2),
  add("mpls pseudowire", b, false);
  b = ethernet(), b.ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"), {.more_fragments = true}).udp(1, 2);
  b.payload(16), add("ipv4 first fragment", b, false);
  b = ethernet(), b.ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"), {.fragment_offset = 3}).payload(24),
  add("ipv4 later fragment", b, false);
  b = ethernet(), ip6_pair(b).ipv6_hop_by_hop().udp(1, 2), add("ipv6 hop-by-hop", b, false);
  b = ethernet(), ip6_pair(b).ipv6_routing().tcp(1, 2), add("ipv6 routing", b, false);
  b = ethernet(), ip6_pair(b).ipv6_fragment(0, true, 9).udp(1, 2).payload(8),
  add("ipv6 first fragment", b, false);
  b = ethernet(), ip6_pair(b).ipv6_fragment(4, false, 9).payload(8),
  add("ipv6 later fragment", b, false);
  b = ethernet(), ip6_pair(b).ipv6_destination_options().udp(1, 2),
  add("ipv6 destination options", b, false);
  b = ethernet(), ip6_pair(b).auth_header(5).tcp(1, 2), add("ipv6 ah", b, false);
  b = ethernet(), ip4_pair(b).esp(5).payload(20), add("ipv4 esp", b, true);
  b = ethernet(), ip4_pair(b).udp(1, 4789).vxlan(3).ethernet(kMacC, kMacD), ip4_pair(b).tcp(1, 2),
  add("vxlan", b, true);
  b = ethernet(), b.vlan(9), ip6_pair(b).udp(1, 8472).vxlan(3).ethernet(kMacC, kMacD).vlan(4),
  ip6_pair(b).udp(1, 2), add("vlan vxlan vlan ipv6", b, true);
  b = ethernet(), ip4_pair(b).udp(1, 4789).vxlan(3).ethernet(kMacC, kMacD), b.mpls(5),
  ip4_pair(b).udp(1, 2), add("vxlan mpls", b, false);
  b = ethernet(), ip4_pair(b).udp(1, 4789).vxlan(3).ethernet(kMacC, kMacD),
  b.ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"), {.more_fragments = true}).udp(1, 2),
  add("vxlan fragment", b, false);
  b = ethernet(), ip4_pair(b).udp(1, 4789).vxlan(3).ethernet(kMacC, kMacD),
  ip4_pair(b).udp(1, 4789).vxlan(4).ethernet(kMacA, kMacB), ip4_pair(b).udp(1, 2),
  add("vxlan in vxlan", b, false);
  b = ethernet(), ip4_pair(b).udp(1, 6081).geneve(3).ethernet(kMacC, kMacD), ip4_pair(b).udp(1, 2),
  add("geneve", b, false);
  b = ethernet(), ip4_pair(b).gre({.key = 5}), ip6_pair(b).udp(1, 2), add("gre", b, false);
  b = ethernet(), ip4_pair(b).udp(1, 2152).gtpu(8), ip4_pair(b).tcp(1, 2), add("gtpu", b, false);
  b = ethernet(), ip4_pair(b).next_protocol(41), ip6_pair(b).udp(1, 2), add("6in4", b, false);
  return out;
}

TEST(FlowDecodeCrosscheck, FastShapesAndFallbacksCutAtEveryLength) {
  for (const Shape& shape : shapes()) {
    FastFlow fast;
    EXPECT_EQ(decode_flow_fast(shape.frame, kEthernet, {}, fast), shape.fast) << shape.name;
    const std::span<const std::byte> frame(shape.frame);
    check_all_options(frame, kEthernet, shape.name);
    for (size_t n = 0; n < frame.size(); ++n) {
      check_all_options(frame.first(n), kEthernet, shape.name + " cut to " + std::to_string(n));
    }
    // Ethernet padding behind the packet changes nothing.
    std::vector<std::byte> padded = shape.frame;
    padded.resize(padded.size() + 18);
    check_all_options(padded, kEthernet, shape.name + " padded");
  }
}

}  // namespace
}  // namespace snapflow::packet::testing
