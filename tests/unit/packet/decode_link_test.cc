// Link layers, VLAN/QinQ, MPLS and non-IP frames.
#include "packet_test_util.h"

namespace snapflow::packet::testing {
namespace {

TEST(DecodeLink, EthernetIpv4Tcp) {
  auto f = FrameBuilder()
               .ethernet(kMacA, kMacB)
               .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.ttl = 33, .id = 4242})
               .tcp(40000, 443, synth::kTcpSyn | synth::kTcpAck)
               .payload(12)
               .build();
  PacketView v = decode_frame(f);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_TRUE(v.has_ethernet);
  EXPECT_EQ(v.source_mac, kMacA);
  EXPECT_EQ(v.destination_mac, kMacB);
  EXPECT_EQ(v.ethertype, 0x0800);
  EXPECT_EQ(v.source_ip, v4("10.0.0.1"));
  EXPECT_EQ(v.destination_ip, v4("10.0.0.2"));
  EXPECT_EQ(v.ttl, 33);
  EXPECT_EQ(v.ip_id, 4242u);
  EXPECT_FALSE(v.is_fragment);
  EXPECT_EQ(v.source_port, 40000);
  EXPECT_EQ(v.destination_port, 443);
  EXPECT_EQ(v.tcp_flags, synth::kTcpSyn | synth::kTcpAck);
  EXPECT_EQ(v.l2_offset, 0);
  EXPECT_EQ(v.l3_offset, 14);
  EXPECT_EQ(v.l4_offset, 34);
  EXPECT_EQ(v.payload_offset, 54);
  EXPECT_FALSE(v.has_tunnel());
}

TEST(DecodeLink, VlanAndQinQ) {
  for (uint16_t outer_tpid : {0x8100, 0x88a8, 0x9100}) {
    auto f = FrameBuilder()
                 .ethernet(kMacA, kMacB)
                 .vlan(100, outer_tpid)
                 .vlan(200)
                 .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
                 .udp(53, 5353)
                 .build();
    PacketView v = decode_frame(f);
    EXPECT_EQ(v.status, DecodeStatus::kOk) << outer_tpid;
    ASSERT_EQ(v.vlan_count, 2);
    EXPECT_EQ(v.vlan_ids[0], 100);
    EXPECT_EQ(v.vlan_ids[1], 200);
    EXPECT_EQ(v.destination_port, 5353);
    EXPECT_EQ(v.l3_offset, 22);
  }
}

TEST(DecodeLink, MoreVlansThanRecordedStillDecode) {
  auto f = FrameBuilder()
               .ethernet(kMacA, kMacB)
               .vlan(1, 0x88a8)
               .vlan(2)
               .vlan(3)
               .ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"))
               .udp(1, 2)
               .build();
  PacketView v = decode_frame(f);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.vlan_count, kMaxVlans);
  EXPECT_EQ(v.source_ip, v6("2001:db8::1"));
}

TEST(DecodeLink, MplsStackToIpv4AndIpv6) {
  auto f = FrameBuilder()
               .ethernet(kMacA, kMacB)
               .mpls(1000)
               .mpls(2000)
               .mpls(3000)
               .ipv4(ip4("10.1.1.1"), ip4("10.2.2.2"))
               .tcp(5, 6)
               .build();
  PacketView v = decode_frame(f);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  ASSERT_EQ(v.mpls_count, 3);
  EXPECT_EQ(v.mpls_labels[0], 1000u);
  EXPECT_EQ(v.mpls_labels[2], 3000u);
  EXPECT_EQ(v.ethertype, 0x0800);
  EXPECT_EQ(v.source_port, 5);

  auto f6 = FrameBuilder()
                .ethernet(kMacA, kMacB)
                .vlan(7)
                .mpls(16)
                .ipv6(ip6("fd00::1"), ip6("fd00::2"))
                .udp(7, 8)
                .build();
  PacketView v6v = decode_frame(f6);
  EXPECT_EQ(v6v.status, DecodeStatus::kOk);
  EXPECT_EQ(v6v.vlan_ids[0], 7);
  EXPECT_EQ(v6v.mpls_labels[0], 16u);
  EXPECT_EQ(v6v.destination_ip, v6("fd00::2"));
}

TEST(DecodeLink, MplsEthernetPseudowireWithControlWord) {
  auto f = FrameBuilder()
               .ethernet(kMacA, kMacB)
               .mpls(500)
               .pw_control_word()
               .ethernet(kMacC, kMacD)
               .ipv4(ip4("172.16.0.1"), ip4("172.16.0.2"))
               .udp(1111, 2222)
               .build();
  PacketView v = decode_frame(f);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.source_mac, kMacC);  // innermost Ethernet
  EXPECT_EQ(v.mpls_labels[0], 500u);
  EXPECT_EQ(v.source_ip, v4("172.16.0.1"));
  EXPECT_EQ(v.l2_offset, 22);
}

TEST(DecodeLink, MplsUnknownPayloadStopsOk) {
  auto f = FrameBuilder()
               .ethernet(kMacA, kMacB)
               .mpls(9)
               .raw_bytes({std::byte{0x95}, std::byte{1}, std::byte{2}})
               .build();
  PacketView v = decode_frame(f);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.ethertype, 0x8847);
  EXPECT_FALSE(v.is_ip());
}

TEST(DecodeLink, ArpAndLldpAreNonIp) {
  auto arp = FrameBuilder()
                 .ethernet(kMacA, mac("ff:ff:ff:ff:ff:ff"))
                 .arp_request(kMacA, ip4("10.0.0.1"), ip4("10.0.0.2"))
                 .pad_to(60)
                 .build();
  PacketView v = decode_frame(arp);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.ethertype, 0x0806);
  EXPECT_FALSE(v.is_ip());
  EXPECT_EQ(v.source_mac, kMacA);

  auto lldp = FrameBuilder()
                  .ethernet(kMacA, mac("01:80:c2:00:00:0e"))
                  .next_protocol(0x88cc)
                  .payload(30)
                  .build();
  v = decode_frame(lldp);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.ethertype, 0x88cc);
  EXPECT_FALSE(v.is_ip());

  auto llc = FrameBuilder().ethernet(kMacA, kMacB).next_protocol(38).payload(38).build();
  v = decode_frame(llc);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.ethertype, 0);
}

TEST(DecodeLink, LinuxSllAndSll2) {
  auto sll =
      FrameBuilder().linux_sll(kMacA).ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).udp(1, 2).build();
  PacketView v = decode_frame(sll, kSll);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_FALSE(v.has_ethernet);
  EXPECT_EQ(v.source_mac, kMacA);
  EXPECT_EQ(v.l3_offset, 16);
  EXPECT_EQ(v.destination_port, 2);

  auto sll2 =
      FrameBuilder().linux_sll2(kMacA, 4).vlan(42).ipv6(ip6("::1"), ip6("::2")).tcp(3, 4).build();
  v = decode_frame(sll2, kSll2);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.vlan_ids[0], 42);
  EXPECT_EQ(v.l3_offset, 24);
  EXPECT_EQ(v.source_port, 3);
}

TEST(DecodeLink, NullLoopAndRaw) {
  auto null4 = FrameBuilder().null_link().ipv4(ip4("1.2.3.4"), ip4("5.6.7.8")).icmp(8, 0).build();
  PacketView v = decode_frame(null4, kNull);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.source_ip, v4("1.2.3.4"));
  EXPECT_TRUE(v.has_icmp);

  // NULL written by a big-endian host: the decoder accepts either byte order.
  auto null_be = FrameBuilder()
                     .null_link()
                     .next_protocol(0x02000000)
                     .ipv4(ip4("1.2.3.4"), ip4("5.6.7.8"))
                     .build();
  EXPECT_EQ(decode_frame(null_be, kNull).source_ip, v4("1.2.3.4"));

  auto loop6 = FrameBuilder().loop_link().ipv6(ip6("fe80::1"), ip6("fe80::2")).udp(5, 6).build();
  v = decode_frame(loop6, kLoop);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.source_ip, v6("fe80::1"));

  auto raw = FrameBuilder().ipv6(ip6("2001:db8::5"), ip6("2001:db8::6")).sctp(9, 10).build();
  v = decode_frame(raw, kRaw);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.l3_offset, 0);
  EXPECT_EQ(v.destination_port, 10);
  EXPECT_EQ(decode_frame(raw, 229).destination_port, 10);  // LINKTYPE_IPV6

  auto raw4 = FrameBuilder().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).udp(1, 2).build();
  EXPECT_EQ(decode_frame(raw4, 228).status, DecodeStatus::kOk);  // LINKTYPE_IPV4
  EXPECT_EQ(decode_frame(raw4, 12).status, DecodeStatus::kOk);   // DLT_RAW on OpenBSD
}

TEST(DecodeLink, BadInputs) {
  auto raw = FrameBuilder().raw_bytes({std::byte{0x55}, std::byte{0}}).build();
  EXPECT_EQ(decode_frame(raw, kRaw).status, DecodeStatus::kBadIpHeader);
  EXPECT_EQ(decode_frame({}, kRaw).status, DecodeStatus::kTruncatedIp);
  EXPECT_EQ(decode_frame({}, kEthernet).status, DecodeStatus::kTruncatedLink);
  EXPECT_EQ(decode_frame(raw, 147).status, DecodeStatus::kUnsupportedLinkType);
}

TEST(DecodeLink, StatusAndTunnelNames) {
  EXPECT_STREQ(to_string(DecodeStatus::kOk), "ok");
  EXPECT_STREQ(to_string(DecodeStatus::kTunnelTooDeep), "tunnel_too_deep");
  for (int s = 0; s < static_cast<int>(DecodeStatus::kCount); ++s) {
    EXPECT_STRNE(to_string(static_cast<DecodeStatus>(s)), "invalid") << s;
  }
  EXPECT_STREQ(to_string(TunnelType::kVxlan), "vxlan");
  EXPECT_STREQ(to_string(TunnelType::kGtpU), "gtpu");
}

}  // namespace
}  // namespace snapflow::packet::testing
