// Flow keys, their hash, and Community ID v1 against the spec's published baseline
// (corelight/community-id-spec baseline/baseline_deflt.json, seed 0).
#include "snapflow/packet/flow_key.h"

#include "packet_test_util.h"

namespace snapflow::packet::testing {
namespace {

enum class Kind { kPorts, kIcmp, kNone };

FlowKey key_of(uint8_t protocol, const IpAddress& source, const IpAddress& destination,
               uint16_t sport, uint16_t dport, Kind kind) {
  FlowKey k{};
  k.ip_version = source.version;
  k.source = source.bytes;
  k.destination = destination.bytes;
  k.ip_protocol = protocol;
  k.source_port = sport;
  k.destination_port = dport;
  if (kind == Kind::kPorts) k.flags = FlowKey::kHasPorts;
  if (kind == Kind::kIcmp) k.flags = FlowKey::kHasIcmp;
  return k;
}

struct Vector {
  uint8_t protocol;
  const char* source;
  const char* destination;
  uint16_t sport;  ///< or ICMP type
  uint16_t dport;  ///< or ICMP code
  Kind kind;
  const char* expected;
};

IpAddress parse(const char* text) {
  return std::string_view(text).find(':') != std::string_view::npos ? v6(text) : v4(text);
}

TEST(CommunityId, SpecBaselineSeed0) {
  // The baseline lists ICMP flows by their mapped "ports"; for request/reply types the code is
  // 0 in these captures, for one-way types (3, 1, 11) the second value is the code.
  const Vector vectors[] = {
      {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, Kind::kIcmp,
       "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
      {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, Kind::kIcmp,
       "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
      {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 0, Kind::kIcmp,
       "1:zavyT/cezQr1fmImYCwYnMXbgck="},
      {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 136, 0, Kind::kIcmp,
       "1:zavyT/cezQr1fmImYCwYnMXbgck="},
      {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, Kind::kIcmp,
       "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
      {58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, Kind::kIcmp,
       "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
      {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0, Kind::kIcmp,
       "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
      {58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 0, Kind::kIcmp,
       "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
      {58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0, Kind::kIcmp,
       "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
      {58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0, Kind::kIcmp,
       "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
      {1, "192.168.0.89", "192.168.0.1", 8, 0, Kind::kIcmp, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
      {1, "192.168.0.1", "192.168.0.89", 0, 0, Kind::kIcmp, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
      {1, "10.0.0.1", "10.0.0.2", 11, 0, Kind::kIcmp, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
      {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25,
       Kind::kPorts, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
      {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943,
       Kind::kPorts, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
      {132, "192.168.170.8", "192.168.170.56", 7, 7, Kind::kPorts,
       "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
      {132, "192.168.170.56", "192.168.170.8", 7, 7, Kind::kPorts,
       "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
      {6, "128.232.110.120", "66.35.250.204", 34855, 80, Kind::kPorts,
       "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
      {6, "66.35.250.204", "128.232.110.120", 80, 34855, Kind::kPorts,
       "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
      {17, "192.168.1.52", "8.8.8.8", 54585, 53, Kind::kPorts, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
      {17, "8.8.8.8", "192.168.1.52", 53, 54585, Kind::kPorts, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
      {46, "10.1.12.1", "10.1.12.2", 0, 0, Kind::kNone, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
      {46, "10.1.12.2", "10.1.12.1", 0, 0, Kind::kNone, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
  };
  for (const Vector& t : vectors) {
    FlowKey k = key_of(t.protocol, parse(t.source), parse(t.destination), t.sport, t.dport, t.kind);
    EXPECT_EQ(community_id(k), t.expected) << t.source << " -> " << t.destination << " " << t.sport;
  }
}

TEST(CommunityId, FromDecodedFramesBothDirectionsAgree) {
  auto request =
      FrameBuilder().ipv4(ip4("192.168.0.89"), ip4("192.168.0.1")).icmp(8, 0, 1, 1).build();
  auto reply =
      FrameBuilder().ipv4(ip4("192.168.0.1"), ip4("192.168.0.89")).icmp(0, 0, 1, 1).build();
  const std::string id = community_id(make_flow_key(decode_frame(request, kRaw)));
  EXPECT_EQ(id, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  EXPECT_EQ(community_id(make_flow_key(decode_frame(reply, kRaw))), id);

  auto a = FrameBuilder().ipv4(ip4("192.168.1.52"), ip4("8.8.8.8")).udp(54585, 53).build();
  auto b = FrameBuilder().ipv4(ip4("8.8.8.8"), ip4("192.168.1.52")).udp(53, 54585).build();
  EXPECT_EQ(community_id(make_flow_key(decode_frame(a, kRaw))), "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  EXPECT_EQ(community_id(make_flow_key(decode_frame(b, kRaw))), "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
}

TEST(CommunityId, EmptyForNonIp) {
  auto arp = FrameBuilder()
                 .ethernet(kMacA, kMacB)
                 .arp_request(kMacA, ip4("1.1.1.1"), ip4("1.1.1.2"))
                 .build();
  EXPECT_EQ(community_id(make_flow_key(decode_frame(arp))), "");
}

TEST(FlowKey, SamePacketSameKeyAndFieldsFilled) {
  auto f = FrameBuilder()
               .ethernet(kMacA, kMacB)
               .vlan(300)
               .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
               .tcp(1234, 80)
               .build();
  const FlowKey k1 = make_flow_key(decode_frame(f));
  const FlowKey k2 = make_flow_key(decode_frame(f));
  EXPECT_TRUE(k1 == k2);
  EXPECT_EQ(flow_hash(k1), flow_hash(k2));
  EXPECT_EQ(k1.ip_version, 4);
  EXPECT_EQ(k1.ip_protocol, 6);
  EXPECT_EQ(k1.source_port, 1234);
  EXPECT_EQ(k1.destination_port, 80);
  EXPECT_EQ(k1.vlan_id, 300);
  EXPECT_EQ(k1.ethertype, 0x0800);
  EXPECT_EQ(k1.flags, FlowKey::kHasPorts | FlowKey::kHasVlan);
  EXPECT_EQ(k1.source[0], 10);
  EXPECT_EQ(k1.source[4], 0);  // IPv4 occupies bytes 0..3 only
}

TEST(FlowKey, DifferentFieldsDifferentKeys) {
  auto make = [](uint16_t vlan, uint16_t sport, uint32_t vni) {
    FrameBuilder b;
    b.ethernet(kMacA, kMacB);
    if (vlan != 0) b.vlan(vlan);
    if (vni != 0)
      b.ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).udp(1, 4789).vxlan(vni).ethernet(kMacC, kMacD);
    b.ipv4(ip4("192.168.0.1"), ip4("192.168.0.2")).udp(sport, 53);
    return make_flow_key(decode_frame(b.build()));
  };
  const FlowKey base = make(0, 1000, 0);
  EXPECT_FALSE(base == make(10, 1000, 0));
  EXPECT_FALSE(base == make(0, 1001, 0));
  EXPECT_FALSE(base == make(0, 1000, 5));
  EXPECT_FALSE(make(0, 1000, 5) == make(0, 1000, 6));
  EXPECT_TRUE(make(0, 1000, 5) == make(0, 1000, 5));
  EXPECT_NE(flow_hash(base), flow_hash(make(0, 1001, 0)));

  const FlowKey tunnelled = make(0, 1000, 5);
  EXPECT_EQ(tunnelled.tunnel_type, TunnelType::kVxlan);
  EXPECT_EQ(tunnelled.tunnel_id, 5u);
  EXPECT_TRUE(tunnelled.flags & FlowKey::kHasTunnelId);
  EXPECT_EQ(tunnelled.source[0], 192);  // innermost addresses
  // The reverse direction is a different (unidirectional) flow.
  auto reverse = FrameBuilder()
                     .ethernet(kMacB, kMacA)
                     .ipv4(ip4("192.168.0.2"), ip4("192.168.0.1"))
                     .udp(53, 1000)
                     .build();
  EXPECT_FALSE(base == make_flow_key(decode_frame(reverse)));
  EXPECT_EQ(community_id(base), community_id(make_flow_key(decode_frame(reverse))));
}

TEST(FlowKey, IcmpNonIpAndFragments) {
  auto icmp = FrameBuilder().ipv6(ip6("::1"), ip6("::2")).icmpv6(128, 0).build();
  FlowKey k = make_flow_key(decode_frame(icmp, kRaw));
  EXPECT_EQ(k.flags, FlowKey::kHasIcmp);
  EXPECT_EQ(k.source_port, 128);
  EXPECT_EQ(k.destination_port, 0);
  EXPECT_EQ(k.ip_version, 6);

  auto arp = FrameBuilder()
                 .ethernet(kMacA, kMacB)
                 .arp_request(kMacA, ip4("1.1.1.1"), ip4("1.1.1.2"))
                 .build();
  k = make_flow_key(decode_frame(arp));
  EXPECT_EQ(k.ip_version, 0);
  EXPECT_EQ(k.ethertype, 0x0806);
  EXPECT_EQ(k.source[5], 0x0a);
  EXPECT_EQ(k.destination[5], 0x0b);

  auto later = FrameBuilder()
                   .ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"), {.fragment_offset = 100})
                   .next_protocol(6)
                   .payload(8)
                   .build();
  k = make_flow_key(decode_frame(later, kRaw));
  EXPECT_EQ(k.flags, 0);
  EXPECT_EQ(k.ip_protocol, 6);
  EXPECT_EQ(k.source_port, 0);
}

TEST(FlowKey, HashIsStable) {
  // A regression pin: flow_hash feeds snapflow.flow_id and document ids, which must not change
  // between versions. Changing this value is a compatibility break.
  FlowKey k = key_of(6, v4("10.0.0.1"), v4("10.0.0.2"), 1234, 80, Kind::kPorts);
  k.ethertype = 0x0800;
  EXPECT_EQ(flow_hash(k), 0xb830b757d81777afull);
}

}  // namespace
}  // namespace snapflow::packet::testing
