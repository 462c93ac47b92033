// The flow fast path: it takes the common shapes, gives exactly what decode() + make_flow_key()
// give, and leaves everything else to decode().
#include "snapflow/packet/flow_decode.h"

#include "packet_test_util.h"
#include "snapflow/packet/flow_key.h"

namespace snapflow::packet::testing {
namespace {

using synth::kTcpAck;
using synth::kTcpPsh;
using synth::kTcpSyn;

FrameBuilder ethernet() {
  FrameBuilder b;
  b.ethernet(kMacA, kMacB);
  return b;
}

// Decodes frame both ways; expects the fast path to take it and to agree with decode().
void expect_fast_equals_decode(const std::vector<std::byte>& frame,
                               const DecodeOptions& options = {}) {
  FastFlow fast;
  ASSERT_TRUE(decode_flow_fast(frame, kEthernet, options, fast));
  const PacketView view = decode_frame(frame, kEthernet, options);
  EXPECT_EQ(view.status, DecodeStatus::kOk);
  EXPECT_TRUE(make_flow_key(view) == fast.key);
  EXPECT_EQ(view.ip_id, fast.ip_id);
  EXPECT_EQ(view.ip_protocol == 6 ? view.tcp_flags : 0, fast.tcp_flags);
  EXPECT_EQ(0, std::memcmp(view.destination_mac.data(), frame.data() + fast.mac_offset, 6));
  EXPECT_EQ(0, std::memcmp(view.source_mac.data(), frame.data() + fast.mac_offset + 6, 6));
  EXPECT_EQ(view.tunnel_count != 0, fast.tunnel_ip_offset != 0);
  if (view.tunnel_count != 0) {
    EXPECT_EQ(view.tunnels[0].source, fast_flow_tunnel_address(frame, fast, true));
    EXPECT_EQ(view.tunnels[0].destination, fast_flow_tunnel_address(frame, fast, false));
  }
}

bool fast_takes(const std::vector<std::byte>& frame, const DecodeOptions& options = {},
                uint16_t link = kEthernet) {
  FastFlow fast;
  return decode_flow_fast(frame, link, options, fast);
}

TEST(FlowDecodeFast, TakesPlainIpv4AndIpv6Transports) {
  expect_fast_equals_decode(ethernet()
                                .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.id = 4321})
                                .tcp(1234, 80, kTcpSyn)
                                .build());
  expect_fast_equals_decode(
      ethernet().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).udp(5353, 53).payload(20).build());
  expect_fast_equals_decode(
      ethernet().ipv6(ip6("2001:db8::1"), ip6("2001:db8::2")).tcp(1, 2, kTcpAck | kTcpPsh).build());
  expect_fast_equals_decode(ethernet().ipv6(ip6("fd00::1"), ip6("fd00::2")).udp(3, 4).build());
  expect_fast_equals_decode(ethernet().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).icmp(8, 0).build());
  expect_fast_equals_decode(ethernet().ipv6(ip6("::1"), ip6("::2")).icmpv6(135, 0).build());
  expect_fast_equals_decode(ethernet().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).sctp(5, 6).build());
  expect_fast_equals_decode(
      ethernet().ipv4(ip4("1.1.1.1"), ip4("224.0.0.5")).next_protocol(89).payload(40).build());
}

TEST(FlowDecodeFast, TakesVlanTagsOptionsAndPadding) {
  FrameBuilder qinq = ethernet();
  qinq.vlan(100, 0x88a8).vlan(200);
  expect_fast_equals_decode(qinq.ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"),
                                      {.options = std::vector<std::byte>(8, std::byte{1})})
                                .tcp(1, 2)
                                .build());
  // Ethernet padding after a short IP packet is not part of it.
  std::vector<std::byte> padded =
      ethernet().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).udp(1, 2).build();
  padded.resize(60);
  expect_fast_equals_decode(padded);
}

TEST(FlowDecodeFast, TakesOneVxlanLevelWithTheOuterVlanAndEndpoints) {
  FrameBuilder b = ethernet();
  b.vlan(7).ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).udp(40000, 4789).vxlan(77);
  b.ethernet(kMacC, kMacD).vlan(8);
  expect_fast_equals_decode(b.ipv4(ip4("192.168.0.1"), ip4("192.168.0.2")).tcp(1, 80).build());
  FrameBuilder v6 = ethernet();
  v6.ipv6(ip6("2001:db8::1"), ip6("2001:db8::2")).udp(1, 8472).vxlan(5).ethernet(kMacC, kMacD);
  expect_fast_equals_decode(v6.ipv6(ip6("fd00::1"), ip6("fd00::2")).udp(7, 8).build());
  FrameBuilder extra = ethernet();
  extra.ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).udp(1, 4790).vxlan(1).ethernet(kMacC, kMacD);
  const auto frame = extra.ipv4(ip4("1.0.0.1"), ip4("1.0.0.2")).udp(7, 8).build();
  expect_fast_equals_decode(frame, {.extra_vxlan_port = 4790});
  expect_fast_equals_decode(frame);  // without the option: plain UDP to 4790
  expect_fast_equals_decode(frame, {.decode_tunnels = false});
}

TEST(FlowDecodeFast, LeavesEverythingElseToDecode) {
  // Fragments, extension headers, truncated transport headers, other tunnels, MPLS, non-IP,
  // other link types, nested VXLAN, and an invalid VXLAN header.
  EXPECT_FALSE(fast_takes(
      ethernet().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"), {.more_fragments = true}).udp(1, 2).build()));
  EXPECT_FALSE(fast_takes(
      ethernet().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"), {.fragment_offset = 8}).payload(8).build()));
  EXPECT_FALSE(
      fast_takes(ethernet().ipv6(ip6("::1"), ip6("::2")).ipv6_hop_by_hop().udp(1, 2).build()));
  EXPECT_FALSE(fast_takes(ethernet()
                              .ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"))
                              .next_protocol(6)
                              .raw_bytes(std::vector<std::byte>(19, std::byte{0}))
                              .build()));
  FrameBuilder geneve = ethernet();
  geneve.ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).udp(1, 6081).geneve(3).ethernet(kMacC, kMacD);
  EXPECT_FALSE(fast_takes(geneve.ipv4(ip4("3.3.3.3"), ip4("4.4.4.4")).udp(1, 2).build()));
  FrameBuilder gre = ethernet();
  gre.ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).gre({}).ipv4(ip4("3.3.3.3"), ip4("4.4.4.4"));
  EXPECT_FALSE(fast_takes(gre.udp(1, 2).build()));
  FrameBuilder mpls = ethernet();
  EXPECT_FALSE(fast_takes(mpls.mpls(100).ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).udp(1, 2).build()));
  FrameBuilder three_tags = ethernet();
  three_tags.vlan(1).vlan(2).vlan(3);
  EXPECT_FALSE(fast_takes(three_tags.ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).udp(1, 2).build()));
  EXPECT_FALSE(
      fast_takes(FrameBuilder().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).udp(1, 2).build(), {}, kRaw));
  FrameBuilder nested = ethernet();
  nested.ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).udp(1, 4789).vxlan(1).ethernet(kMacC, kMacD);
  nested.ipv4(ip4("3.3.3.3"), ip4("4.4.4.4")).udp(1, 4789).vxlan(2).ethernet(kMacA, kMacB);
  EXPECT_FALSE(fast_takes(nested.ipv4(ip4("5.5.5.5"), ip4("6.6.6.6")).udp(1, 2).build()));
  std::vector<std::byte> bad_vxlan = ethernet()
                                         .ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"))
                                         .udp(1, 4789)
                                         .raw_bytes(std::vector<std::byte>(30, std::byte{0}))
                                         .build();
  EXPECT_FALSE(fast_takes(bad_vxlan));  // no I flag: decode() says kUnknownTunnel
}

}  // namespace
}  // namespace snapflow::packet::testing
