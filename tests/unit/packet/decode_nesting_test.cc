// Nested tunnels: every tunnel type inside every other, three levels deep, must decode to the
// innermost flow with every level recorded, outermost first.
#include <string>

#include "packet_test_util.h"

namespace snapflow::packet::testing {
namespace {

struct Kind {
  const char* name;
  TunnelType type;
  bool carries_ethernet;  ///< false: the tunnel carries an IP packet directly
  bool ipv6_outer;        ///< this level's outer IP header is IPv6
};

constexpr Kind kKinds[] = {
    {"vxlan", TunnelType::kVxlan, true, false},     {"vxlan6", TunnelType::kVxlan, true, true},
    {"geneve", TunnelType::kGeneve, true, false},   {"gre_teb", TunnelType::kGre, true, false},
    {"erspan2", TunnelType::kErspan2, true, false}, {"erspan3", TunnelType::kErspan3, true, false},
    {"gtpu", TunnelType::kGtpU, false, false},      {"ipip", TunnelType::kIpInIp, false, true},
};

// Pushes level `n`'s outer IP header and the tunnel header of kind k.
void push_level(FrameBuilder& b, const Kind& k, uint8_t n) {
  if (k.ipv6_outer) {
    synth::Ipv6Address s = ip6("2001:db8::1"), d = ip6("2001:db8::2");
    s[7] = d[7] = n;
    b.ipv6(s, d);
  } else {
    b.ipv4({10, n, 0, 1}, {10, n, 0, 2});
  }
  const auto port = static_cast<uint16_t>(50000 + n);
  switch (k.type) {
    case TunnelType::kVxlan:
      b.udp(port, 4789).vxlan(n);
      break;
    case TunnelType::kGeneve:
      b.udp(port, 6081).geneve(n);
      break;
    case TunnelType::kGre:
      b.gre({.key = n});
      break;
    case TunnelType::kErspan2:
      b.gre({.sequence = n}).erspan2(n);
      break;
    case TunnelType::kErspan3:
      b.gre({.sequence = n}).erspan3(n);
      break;
    case TunnelType::kGtpU:
      b.udp(port, 2152).gtpu(n);
      break;
    default:
      break;  // IP-in-IP: the next IP header follows directly
  }
  if (k.carries_ethernet) b.ethernet(kMacC, kMacD);
}

TEST(DecodeNesting, EveryTunnelInsideEveryOtherThreeLevelsDeep) {
  for (const Kind& a : kKinds) {
    for (const Kind& b : kKinds) {
      for (const Kind& c : kKinds) {
        SCOPED_TRACE(std::string(a.name) + "/" + b.name + "/" + c.name);
        FrameBuilder f;
        f.ethernet(kMacA, kMacB);
        push_level(f, a, 1);
        push_level(f, b, 2);
        push_level(f, c, 3);
        // IP-in-IP over IPv6 needs IPv6 inside; the others carry the common IPv4 packet.
        if (c.type == TunnelType::kIpInIp) {
          f.ipv6(ip6("fd00::1"), ip6("fd00::2")).tcp(1000, 80, synth::kTcpSyn).payload(6);
        } else {
          f.ipv4(ip4("192.168.1.1"), ip4("192.168.1.2")).tcp(1000, 80, synth::kTcpSyn).payload(6);
        }
        const PacketView v = decode_frame(f.build());
        EXPECT_EQ(v.status, DecodeStatus::kOk);
        ASSERT_EQ(v.tunnel_count, 3);
        EXPECT_EQ(v.tunnels[0].type, a.type);
        EXPECT_EQ(v.tunnels[1].type, b.type);
        EXPECT_EQ(v.tunnels[2].type, c.type);
        EXPECT_EQ(v.tunnels[2].source.bytes[c.ipv6_outer ? 7 : 1], 3);
        EXPECT_TRUE(v.has_ports);
        EXPECT_EQ(v.source_port, 1000);
        EXPECT_EQ(v.destination_port, 80);
      }
    }
  }
}

}  // namespace
}  // namespace snapflow::packet::testing
