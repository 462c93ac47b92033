// IPv4 (options, lengths, fragments), IPv6 extension headers, and the transport protocols.
#include "packet_test_util.h"

namespace snapflow::packet::testing {
namespace {

std::vector<std::byte> bytes(std::initializer_list<int> values) {
  std::vector<std::byte> out;
  for (int v : values) out.push_back(static_cast<std::byte>(v));
  return out;
}

TEST(DecodeIpv4, OptionsMoveTheTransportHeader) {
  // Router alert (4 bytes) + record route (7 bytes, padded to 12).
  auto f = FrameBuilder()
               .ethernet(kMacA, kMacB)
               .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"),
                     {.options = bytes({0x94, 4, 0, 0, 7, 7, 4, 0, 0, 0, 0})})
               .udp(1234, 53)
               .build();
  PacketView v = decode_frame(f);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.l4_offset, 14 + 20 + 12);
  EXPECT_EQ(v.source_port, 1234);
  EXPECT_EQ(v.destination_port, 53);
}

TEST(DecodeIpv4, EthernetPaddingIsNotPayload) {
  // A 42-byte ICMP echo padded to the 60-byte Ethernet minimum: the total length bounds the
  // packet, so the padding never reaches a tunnel or transport decoder.
  auto f = FrameBuilder()
               .ethernet(kMacA, kMacB)
               .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
               .udp(1, 4789)
               .pad_to(60)
               .build();
  PacketView v = decode_frame(f);
  // UDP to 4789 with no VXLAN header inside its length: not a tunnel (the padding must not
  // be taken for one), and not a truncation either.
  EXPECT_EQ(v.status, DecodeStatus::kUnknownTunnel);
  EXPECT_EQ(v.destination_port, 4789);
  EXPECT_EQ(v.payload_offset, 42);
}

TEST(DecodeIpv4, TotalLengthBeyondCaptureIsSnaplenNotError) {
  auto f = FrameBuilder()
               .ethernet(kMacA, kMacB)
               .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
               .tcp(1, 2)
               .payload(1000)
               .truncate(80)
               .build();
  PacketView v = decode_frame(f);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.destination_port, 2);
}

TEST(DecodeIpv4, BadHeaders) {
  auto f = FrameBuilder().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).udp(1, 2).build();
  auto bad_ihl = f;
  bad_ihl[0] = std::byte{0x44};
  EXPECT_EQ(decode_frame(bad_ihl, kRaw).status, DecodeStatus::kBadIpHeader);
  auto bad_total = f;
  bad_total[2] = std::byte{0};
  bad_total[3] = std::byte{10};
  EXPECT_EQ(decode_frame(bad_total, kRaw).status, DecodeStatus::kBadIpHeader);
  auto bad_version = FrameBuilder()
                         .ethernet(kMacA, kMacB)
                         .next_protocol(0x0800)
                         .ipv6(ip6("::1"), ip6("::2"))
                         .build();
  EXPECT_EQ(decode_frame(bad_version).status, DecodeStatus::kBadIpHeader);
}

TEST(DecodeIpv4, FirstFragmentHasPortsLaterOnesDoNot) {
  auto first = FrameBuilder()
                   .ethernet(kMacA, kMacB)
                   .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.id = 777, .more_fragments = true})
                   .udp(5000, 6000)
                   .payload(100)
                   .build();
  PacketView v = decode_frame(first);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_TRUE(v.is_fragment);
  EXPECT_TRUE(v.is_first_fragment);
  EXPECT_EQ(v.ip_id, 777u);
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.source_port, 5000);

  auto later = FrameBuilder()
                   .ethernet(kMacA, kMacB)
                   .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.id = 777, .fragment_offset = 14})
                   .next_protocol(17)
                   .payload(50)
                   .build();
  v = decode_frame(later);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_TRUE(v.is_fragment);
  EXPECT_FALSE(v.is_first_fragment);
  EXPECT_EQ(v.fragment_offset, 14);
  EXPECT_EQ(v.ip_protocol, 17);
  EXPECT_FALSE(v.has_ports);
  EXPECT_EQ(v.payload_offset, 34);
}

TEST(DecodeIpv6, EachExtensionHeaderIsWalked) {
  struct Case {
    const char* name;
    FrameBuilder builder;
  };
  auto base = [] {
    FrameBuilder b;
    b.ethernet(kMacA, kMacB).ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"));
    return b;
  };
  std::vector<Case> cases;
  cases.push_back({"hop-by-hop", base().ipv6_hop_by_hop(bytes({5, 2, 0, 0}))});
  cases.push_back({"routing", base().ipv6_routing()});
  cases.push_back({"fragment", base().ipv6_fragment(0, false, 99)});
  cases.push_back({"destination", base().ipv6_destination_options()});
  cases.push_back({"auth", base().auth_header(0x1000)});
  cases.push_back(
      {"all", base()
                  .ipv6_hop_by_hop()
                  .ipv6_destination_options()
                  .ipv6_routing()
                  .ipv6_fragment(0, false, 5)
                  .auth_header(1)
                  .ipv6_destination_options(bytes({1, 10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}))});
  for (Case& c : cases) {
    auto f = c.builder.tcp(1111, 22, synth::kTcpPsh | synth::kTcpAck).payload(3).build();
    PacketView v = decode_frame(f);
    EXPECT_EQ(v.status, DecodeStatus::kOk) << c.name;
    EXPECT_EQ(v.ip_protocol, 6) << c.name;
    EXPECT_EQ(v.source_port, 1111) << c.name;
    EXPECT_EQ(v.tcp_flags, synth::kTcpPsh | synth::kTcpAck) << c.name;
    EXPECT_EQ(v.l4_offset, f.size() - 23) << c.name;
    EXPECT_FALSE(v.is_fragment) << c.name;  // atomic fragments are whole packets
  }
}

TEST(DecodeIpv6, FragmentHeader) {
  auto first = FrameBuilder()
                   .ipv6(ip6("fd00::1"), ip6("fd00::2"))
                   .ipv6_fragment(0, true, 0xdeadbeef)
                   .udp(1, 2)
                   .payload(64)
                   .build();
  PacketView v = decode_frame(first, kRaw);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_TRUE(v.is_first_fragment);
  EXPECT_EQ(v.ip_id, 0xdeadbeefu);
  EXPECT_TRUE(v.has_ports);

  auto later = FrameBuilder()
                   .ipv6(ip6("fd00::1"), ip6("fd00::2"))
                   .ipv6_fragment(9, false, 0xdeadbeef)
                   .next_protocol(17)
                   .payload(64)
                   .build();
  v = decode_frame(later, kRaw);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_TRUE(v.is_fragment);
  EXPECT_FALSE(v.is_first_fragment);
  EXPECT_EQ(v.fragment_offset, 9);
  EXPECT_EQ(v.ip_protocol, 17);
  EXPECT_FALSE(v.has_ports);
}

TEST(DecodeIpv6, EspStopsAndLongChainsAreRejected) {
  auto esp = FrameBuilder().ipv6(ip6("fd00::1"), ip6("fd00::2")).esp(7).payload(40).build();
  PacketView v = decode_frame(esp, kRaw);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.ip_protocol, 50);
  EXPECT_FALSE(v.has_ports);

  FrameBuilder chain;
  chain.ipv6(ip6("fd00::1"), ip6("fd00::2"));
  for (int i = 0; i < 9; ++i) chain.ipv6_destination_options();
  chain.udp(1, 2);
  EXPECT_EQ(decode_frame(chain.build(), kRaw).status, DecodeStatus::kBadIpHeader);
}

TEST(DecodeIpv4, AuthHeaderAfterIpv4) {
  auto f = FrameBuilder().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).auth_header(5).udp(500, 500).build();
  PacketView v = decode_frame(f, kRaw);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.ip_protocol, 17);
  EXPECT_EQ(v.destination_port, 500);
}

TEST(DecodeTransport, TcpFlagsEachBit) {
  for (int bit = 0; bit < 8; ++bit) {
    const auto flags = static_cast<uint8_t>(1 << bit);
    auto f = FrameBuilder().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).tcp(1, 2, flags).build();
    EXPECT_EQ(decode_frame(f, kRaw).tcp_flags, flags);
  }
}

TEST(DecodeTransport, TcpOptionsSetPayloadOffset) {
  auto f = FrameBuilder()
               .ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"))
               .tcp(1, 2, synth::kTcpSyn, {.options = bytes({2, 4, 5, 0xb4, 1, 3, 3, 7})})
               .payload(5)
               .build();
  PacketView v = decode_frame(f, kRaw);
  EXPECT_EQ(v.l4_offset, 20);
  EXPECT_EQ(v.payload_offset, 48);
}

TEST(DecodeTransport, IcmpAndIcmpv6) {
  auto f = FrameBuilder().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).icmp(3, 3).payload(28).build();
  PacketView v = decode_frame(f, kRaw);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_TRUE(v.has_icmp);
  EXPECT_FALSE(v.has_ports);
  EXPECT_EQ(v.icmp_type, 3);
  EXPECT_EQ(v.icmp_code, 3);
  EXPECT_EQ(v.ip_protocol, 1);

  auto f6 =
      FrameBuilder().ipv6(ip6("fe80::1"), ip6("ff02::1")).ipv6_hop_by_hop().icmpv6(143, 0).build();
  v = decode_frame(f6, kRaw);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.ip_protocol, 58);
  EXPECT_EQ(v.icmp_type, 143);
}

TEST(DecodeTransport, SctpAndOtherProtocols) {
  auto f =
      FrameBuilder().ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).sctp(36412, 36412).payload(16).build();
  PacketView v = decode_frame(f, kRaw);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.ip_protocol, 132);
  EXPECT_EQ(v.source_port, 36412);
  EXPECT_EQ(v.payload_offset, 32);

  auto ospf =
      FrameBuilder().ipv4(ip4("1.1.1.1"), ip4("224.0.0.5")).next_protocol(89).payload(40).build();
  v = decode_frame(ospf, kRaw);
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_EQ(v.ip_protocol, 89);
  EXPECT_FALSE(v.has_ports);
}

}  // namespace
}  // namespace snapflow::packet::testing
