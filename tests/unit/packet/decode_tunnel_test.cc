// Tunnels: VXLAN, Geneve, GRE, ERSPAN II/III, GTP-U, IP-in-IP; depth limit and fallbacks.
#include "packet_test_util.h"

namespace snapflow::packet::testing {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

// Outer Ethernet/IPv4 10.0.0.1 -> 10.0.0.2, as a mirror session delivers it.
FrameBuilder outer_ipv4() {
  FrameBuilder b;
  b.ethernet(kMacA, kMacB).ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"));
  return b;
}

void expect_outer_tunnel(const PacketView& v, TunnelType type, uint32_t id, bool has_id = true) {
  ASSERT_EQ(v.tunnel_count, 1);
  EXPECT_EQ(v.tunnels[0].type, type);
  EXPECT_EQ(v.tunnels[0].has_id, has_id);
  if (has_id) {
    EXPECT_EQ(v.tunnels[0].id, id);
  }
  EXPECT_EQ(v.tunnels[0].source, v4("10.0.0.1"));
  EXPECT_EQ(v.tunnels[0].destination, v4("10.0.0.2"));
}

TEST(DecodeTunnel, VxlanAwsMirrorShape) {
  FrameBuilder b = outer_ipv4();
  b.udp(65123, 4789).vxlan(0x3039);
  auto f = inner_tcp(b).build();
  PacketView v = decode_frame(f);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kVxlan, 0x3039);
  expect_inner_tcp(v);
  EXPECT_EQ(v.source_mac, kMacC);  // the mirrored frame's MACs
  EXPECT_EQ(v.destination_mac, kMacD);
  EXPECT_EQ(v.l2_offset, 50);
  EXPECT_EQ(v.l3_offset, 64);
}

TEST(DecodeTunnel, VxlanLinuxPortAndExtraPort) {
  FrameBuilder b = outer_ipv4();
  b.udp(40000, 8472).vxlan(7);
  PacketView v = decode_frame(inner_tcp(b).build());
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kVxlan, 7);

  FrameBuilder c = outer_ipv4();
  c.udp(40000, 4790).vxlan(8);
  auto custom = inner_tcp(c).build();
  EXPECT_FALSE(decode_frame(custom).has_tunnel());
  v = decode_frame(custom, kEthernet, {.extra_vxlan_port = 4790});
  expect_outer_tunnel(v, TunnelType::kVxlan, 8);
  expect_inner_tcp(v);
}

TEST(DecodeTunnel, MalformedVxlanFlagsFallBackToOuterUdp) {
  for (int flags : {0x00, 0x01, 0x0c, 0x48}) {
    FrameBuilder b = outer_ipv4();
    b.udp(50000, 4789).vxlan(99, static_cast<uint8_t>(flags));
    PacketView v = decode_frame(inner_tcp(b).build());
    EXPECT_EQ(v.status, DecodeStatus::kUnknownTunnel) << flags;
    EXPECT_FALSE(v.has_tunnel());
    EXPECT_EQ(v.source_ip, v4("10.0.0.1"));
    EXPECT_EQ(v.ip_protocol, 17);
    EXPECT_EQ(v.source_port, 50000);
    EXPECT_EQ(v.destination_port, 4789);
    EXPECT_EQ(v.source_mac, kMacA);
  }
  // Group Based Policy bits are allowed.
  FrameBuilder gbp = outer_ipv4();
  gbp.udp(50000, 4789).vxlan(99, 0x88);
  EXPECT_EQ(decode_frame(inner_tcp(gbp).build()).status, DecodeStatus::kOk);
}

TEST(DecodeTunnel, DecodeTunnelsOffKeepsOuter) {
  FrameBuilder b = outer_ipv4();
  b.udp(1, 4789).vxlan(1);
  PacketView v = decode_frame(inner_tcp(b).build(), kEthernet, {.decode_tunnels = false});
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_FALSE(v.has_tunnel());
  EXPECT_EQ(v.destination_port, 4789);
}

TEST(DecodeTunnel, GeneveWithOptionsEthernetAndIp) {
  FrameBuilder b = outer_ipv4();
  b.udp(3333, 6081).geneve(0xabcdef, bytes({0x01, 0x02, 0x80, 0x01, 0, 0, 0, 1}));
  PacketView v = decode_frame(inner_tcp(b).build());
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kGeneve, 0xabcdef);
  expect_inner_tcp(v);
  EXPECT_EQ(v.l2_offset, 14 + 20 + 8 + 16);

  auto ip_only = outer_ipv4()
                     .udp(3333, 6081)
                     .geneve(5)
                     .ipv6(ip6("2001:db8::a"), ip6("2001:db8::b"))
                     .udp(10, 20)
                     .build();
  v = decode_frame(ip_only);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kGeneve, 5);
  EXPECT_EQ(v.source_ip, v6("2001:db8::a"));
  EXPECT_EQ(v.source_port, 10);
  EXPECT_EQ(v.source_mac, kMacA);  // no inner Ethernet: the outer MACs remain

  auto bad_version =
      outer_ipv4().udp(3333, 6081).geneve(5).ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).build();
  bad_version[42] = std::byte{0x40};
  EXPECT_EQ(decode_frame(bad_version).status, DecodeStatus::kUnknownTunnel);
}

TEST(DecodeTunnel, GreKeySequenceChecksumAndTeb) {
  FrameBuilder b = outer_ipv4();
  b.gre({.key = 0x01020304, .sequence = 77, .checksum = true});
  PacketView v = decode_frame(inner_tcp(b).build());
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kGre, 0x01020304);
  expect_inner_tcp(v);

  auto plain = outer_ipv4().gre().ipv4(ip4("172.16.1.1"), ip4("172.16.1.2")).udp(1, 2).build();
  v = decode_frame(plain);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kGre, 0, false);
  EXPECT_EQ(v.source_ip, v4("172.16.1.1"));

  auto mpls = outer_ipv4().gre().mpls(300).ipv6(ip6("::5"), ip6("::6")).tcp(1, 2).build();
  v = decode_frame(mpls);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.mpls_count, 0);  // labels inside a tunnel are not the capture point's
  EXPECT_EQ(v.source_ip, v6("::5"));
}

TEST(DecodeTunnel, GreVersion1AndUnknownProtocolAreUnknownTunnels) {
  auto pptp = outer_ipv4().gre({.key = 5, .version = 1}).next_protocol(0x880b).payload(20).build();
  PacketView v = decode_frame(pptp);
  EXPECT_EQ(v.status, DecodeStatus::kUnknownTunnel);
  EXPECT_FALSE(v.has_tunnel());
  EXPECT_EQ(v.ip_protocol, 47);
  EXPECT_EQ(v.destination_ip, v4("10.0.0.2"));

  auto unknown = outer_ipv4().gre().next_protocol(0x1234).payload(20).build();
  EXPECT_EQ(decode_frame(unknown).status, DecodeStatus::kUnknownTunnel);
}

TEST(DecodeTunnel, Erspan2And3) {
  FrameBuilder b2 = outer_ipv4();
  b2.gre({.sequence = 1}).erspan2(0x2ab, 10, 5);
  PacketView v = decode_frame(inner_tcp(b2).build());
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kErspan2, 0x2ab);
  expect_inner_tcp(v);
  EXPECT_EQ(v.source_mac, kMacC);

  for (bool subheader : {false, true}) {
    FrameBuilder b3 = outer_ipv4();
    b3.gre({.sequence = 9}).erspan3(0x155, {.platform_subheader = subheader});
    v = decode_frame(inner_tcp(b3).build());
    EXPECT_EQ(v.status, DecodeStatus::kOk) << subheader;
    expect_outer_tunnel(v, TunnelType::kErspan3, 0x155);
    expect_inner_tcp(v);
    EXPECT_EQ(v.l2_offset, 14 + 20 + 8 + 12 + (subheader ? 8 : 0));
  }

  // ERSPAN type I: GRE 0x88be without a sequence number and without an ERSPAN header.
  FrameBuilder b1 = outer_ipv4();
  b1.gre().next_protocol(0x88be);
  v = decode_frame(inner_tcp(b1).build());
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kErspan2, 0, false);
  expect_inner_tcp(v);

  FrameBuilder bad = outer_ipv4();
  bad.gre({.sequence = 1}).erspan3(1);
  auto f = inner_tcp(bad).build();
  f[14 + 20 + 8] = std::byte{0x30};  // version 3
  EXPECT_EQ(decode_frame(f).status, DecodeStatus::kUnknownTunnel);
}

TEST(DecodeTunnel, GtpuWithAndWithoutExtensions) {
  auto plain = outer_ipv4()
                   .udp(2152, 2152)
                   .gtpu(0x11223344)
                   .ipv4(ip4("100.64.0.1"), ip4("8.8.8.8"))
                   .udp(40000, 53)
                   .build();
  PacketView v = decode_frame(plain);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kGtpU, 0x11223344);
  EXPECT_EQ(v.source_ip, v4("100.64.0.1"));
  EXPECT_EQ(v.destination_port, 53);

  synth::GtpuParams params;
  params.sequence = 3;
  params.extensions = {{.type = 0x85, .content = bytes({0x10, 0x09})},
                       {.type = 0x40, .content = bytes({1, 2, 3, 4, 5, 6})}};
  auto ext = outer_ipv4()
                 .udp(2152, 2152)
                 .gtpu(5, params)
                 .ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"))
                 .tcp(1, 2)
                 .build();
  v = decode_frame(ext);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kGtpU, 5);
  EXPECT_EQ(v.source_ip, v6("2001:db8::1"));
  EXPECT_EQ(v.l3_offset, 14 + 20 + 8 + 12 + 4 + 8);
}

TEST(DecodeTunnel, GtpuEchoIsTheOuterFlow) {
  auto echo = outer_ipv4().udp(2152, 2152).gtpu(0, {.message_type = 1, .sequence = 1}).build();
  PacketView v = decode_frame(echo);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_FALSE(v.has_tunnel());
  EXPECT_EQ(v.destination_port, 2152);

  auto bad = outer_ipv4().udp(2152, 2152).gtpu(1).ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).build();
  bad[42] = std::byte{0x50};  // version 2 (GTPv2-C on the user-plane port)
  EXPECT_EQ(decode_frame(bad).status, DecodeStatus::kUnknownTunnel);
}

TEST(DecodeTunnel, IpInIp) {
  auto v4in4 = outer_ipv4().ipv4(ip4("192.168.9.1"), ip4("192.168.9.2")).icmp(8, 0).build();
  PacketView v = decode_frame(v4in4);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kIpInIp, 0, false);
  EXPECT_EQ(v.source_ip, v4("192.168.9.1"));
  EXPECT_TRUE(v.has_icmp);

  auto v6in4 = outer_ipv4().ipv6(ip6("2001:db8::1"), ip6("2001:db8::2")).udp(1, 2).build();
  v = decode_frame(v6in4);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kIpInIp, 0, false);
  EXPECT_EQ(v.destination_ip, v6("2001:db8::2"));
  EXPECT_EQ(v.ttl, 64);

  auto v4in6 = FrameBuilder()
                   .ipv6(ip6("fd00::1"), ip6("fd00::2"))
                   .ipv4(ip4("10.9.9.9"), ip4("10.8.8.8"))
                   .tcp(1, 2)
                   .build();
  v = decode_frame(v4in6, kRaw);
  ASSERT_EQ(v.tunnel_count, 1);
  EXPECT_EQ(v.tunnels[0].source, v6("fd00::1"));
  EXPECT_EQ(v.source_ip, v4("10.9.9.9"));

  auto mismatch = outer_ipv4().next_protocol(4).ipv6(ip6("::1"), ip6("::2")).build();
  EXPECT_EQ(decode_frame(mismatch).status, DecodeStatus::kUnknownTunnel);
}

TEST(DecodeTunnel, InnerNonIpFrame) {
  auto f = outer_ipv4()
               .udp(1, 4789)
               .vxlan(3)
               .ethernet(kMacC, mac("ff:ff:ff:ff:ff:ff"))
               .arp_request(kMacC, ip4("192.168.0.1"), ip4("192.168.0.2"))
               .build();
  PacketView v = decode_frame(f);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  expect_outer_tunnel(v, TunnelType::kVxlan, 3);
  EXPECT_EQ(v.ethertype, 0x0806);
  EXPECT_FALSE(v.is_ip());  // the outer IP does not leak into the inner frame's view
  EXPECT_FALSE(v.has_ports);
  EXPECT_EQ(v.source_mac, kMacC);
}

// VXLAN inside VXLAN, n levels deep; every level's outer IPs differ.
std::vector<std::byte> nested_vxlan(int levels) {
  FrameBuilder b;
  b.ethernet(kMacA, kMacB);
  for (int i = 0; i < levels; ++i) {
    const auto n = static_cast<uint8_t>(i + 1);
    b.ipv4({10, n, 0, 1}, {10, n, 0, 2})
        .udp(static_cast<uint16_t>(1000 + i), 4789)
        .vxlan(n)
        .ethernet(kMacC, kMacD);
  }
  return b.ipv4(ip4("192.168.1.1"), ip4("192.168.1.2")).tcp(1000, 80, synth::kTcpSyn).build();
}

TEST(DecodeTunnel, NestingUpToTheLimit) {
  PacketView v = decode_frame(nested_vxlan(kMaxTunnels));
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  ASSERT_EQ(v.tunnel_count, kMaxTunnels);
  for (int i = 0; i < kMaxTunnels; ++i) {
    EXPECT_EQ(v.tunnels[static_cast<size_t>(i)].id, static_cast<uint32_t>(i + 1));
    EXPECT_EQ(v.tunnels[static_cast<size_t>(i)].source.bytes[1], i + 1);
  }
  expect_inner_tcp(v);
}

TEST(DecodeTunnel, NestingBeyondTheLimitKeepsDeepestDecodedLevel) {
  PacketView v = decode_frame(nested_vxlan(kMaxTunnels + 1));
  EXPECT_EQ(v.status, DecodeStatus::kTunnelTooDeep);
  EXPECT_EQ(v.tunnel_count, kMaxTunnels);
  // The view is the UDP flow that carries the fifth VXLAN header.
  EXPECT_EQ(v.source_ip.bytes[1], kMaxTunnels + 1);
  EXPECT_EQ(v.destination_port, 4789);
  EXPECT_EQ(v.source_port, 1000 + kMaxTunnels);
}

}  // namespace
}  // namespace snapflow::packet::testing
