// Truncation at every byte offset: the decoder never reads past the captured bytes (each cut
// is a heap copy of exactly that size, so ASan flags any over-read), reports where the cut
// fell, and keys the packet on the deepest level it fully decoded.
#include "packet_test_util.h"

namespace snapflow::packet::testing {
namespace {

std::vector<std::byte> cut(const std::vector<std::byte>& frame, size_t n) {
  return {frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(n)};
}

// Every offset the view reports lies inside the captured bytes.
void expect_offsets_inside(const PacketView& v, size_t n) {
  EXPECT_LE(v.l2_offset, n);
  EXPECT_LE(v.l3_offset, n);
  EXPECT_LE(v.l4_offset, n);
  EXPECT_LE(v.payload_offset, n);
}

TEST(DecodeTruncation, VxlanFrameAtEveryOffset) {
  // Ethernet(14) VLAN(4) IPv4(20) UDP(8) VXLAN(8) | Ethernet(14) IPv4(20) TCP(20) payload(6)
  FrameBuilder b;
  b.ethernet(kMacA, kMacB).vlan(5).ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).udp(999, 4789).vxlan(42);
  const auto frame = inner_tcp(b).build();
  ASSERT_EQ(frame.size(), 114u);
  struct Range {
    size_t below;
    DecodeStatus status;
    bool inner;  ///< view describes the inner packet
  };
  const Range ranges[] = {
      {14, DecodeStatus::kTruncatedLink, false},
      {18, DecodeStatus::kTruncatedVlan, false},
      {38, DecodeStatus::kTruncatedIp, false},
      {46, DecodeStatus::kTruncatedTransport, false},
      {54, DecodeStatus::kTruncatedTunnel, false},
      {68, DecodeStatus::kTruncatedLink, false},  // inner Ethernet: fall back to the outer flow
      {88, DecodeStatus::kTruncatedIp, false},
      {108, DecodeStatus::kTruncatedTransport, true},
      {115, DecodeStatus::kOk, true},
  };
  for (size_t n = 0; n <= frame.size(); ++n) {
    const auto part = cut(frame, n);
    PacketView v = decode_frame(part);
    const Range* r = ranges;
    while (n >= r->below) ++r;
    EXPECT_EQ(v.status, r->status) << "cut at " << n;
    expect_offsets_inside(v, n);
    if (r->inner) {
      EXPECT_EQ(v.tunnel_count, 1) << n;
      EXPECT_EQ(v.source_ip, v4("192.168.1.1")) << n;
      EXPECT_EQ(v.has_ports, r->status == DecodeStatus::kOk) << n;
    } else {
      EXPECT_EQ(v.tunnel_count, 0) << n;
      if (n >= 46) {
        EXPECT_EQ(v.source_ip, v4("10.0.0.1")) << n;
        EXPECT_EQ(v.destination_port, 4789) << n;
      }
    }
  }
}

TEST(DecodeTruncation, EveryTunnelKindAtEveryOffset) {
  std::vector<std::vector<std::byte>> frames;
  {
    FrameBuilder b;
    b.ethernet(kMacA, kMacB).ipv6(ip6("fd00::1"), ip6("fd00::2")).ipv6_hop_by_hop().udp(1, 6081);
    b.geneve(9, std::vector<std::byte>(8, std::byte{1}));
    frames.push_back(inner_tcp(b, 0).build());
  }
  {
    FrameBuilder b;
    b.ethernet(kMacA, kMacB)
        .ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"))
        .gre({.key = 1, .sequence = 2, .checksum = true});
    frames.push_back(inner_tcp(b, 0).build());
  }
  {
    FrameBuilder b;
    b.ethernet(kMacA, kMacB).mpls(1).ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).gre({.sequence = 1});
    b.erspan3(3, {.platform_subheader = true});
    frames.push_back(inner_tcp(b, 0).build());
  }
  {
    FrameBuilder b;
    b.ethernet(kMacA, kMacB).ipv4(ip4("1.1.1.1"), ip4("2.2.2.2")).gre({.sequence = 1}).erspan2(3);
    frames.push_back(inner_tcp(b, 0).build());
  }
  {
    synth::GtpuParams p;
    p.extensions = {{.type = 0x85, .content = {std::byte{1}, std::byte{2}}}};
    frames.push_back(FrameBuilder()
                         .linux_sll2(kMacA)
                         .ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"))
                         .udp(2152, 2152)
                         .gtpu(77, p)
                         .ipv6(ip6("2001:db8::1"), ip6("2001:db8::2"))
                         .ipv6_fragment(0, true, 1)
                         .sctp(1, 2)
                         .build());
  }
  {
    frames.push_back(
        FrameBuilder()
            .ethernet(kMacA, kMacB)
            .ipv6(ip6("fd00::1"), ip6("fd00::2"))
            .ipv4(ip4("1.1.1.1"), ip4("2.2.2.2"), {.options = std::vector<std::byte>(8)})
            .tcp(7, 8)
            .build());
  }
  for (size_t i = 0; i < frames.size(); ++i) {
    const auto& frame = frames[i];
    const uint16_t link = i == 4 ? kSll2 : kEthernet;
    PacketView full = decode_frame(frame, link);
    ASSERT_EQ(full.status, DecodeStatus::kOk) << "frame " << i;
    ASSERT_EQ(full.tunnel_count, 1) << "frame " << i;
    for (size_t n = 0; n < frame.size(); ++n) {
      const auto part = cut(frame, n);
      PacketView v = decode_frame(part, link);
      expect_offsets_inside(v, n);
      // Each frame ends with its transport header, so every cut:
      // lands in some header: never a clean success, never a guess.
      EXPECT_NE(v.status, DecodeStatus::kOk) << "frame " << i << " cut at " << n;
      EXPECT_NE(v.status, DecodeStatus::kUnknownTunnel) << "frame " << i << " cut at " << n;
      EXPECT_GE(v.status, DecodeStatus::kFirstError) << "frame " << i << " cut at " << n;
      EXPECT_LE(v.tunnel_count, 1);
    }
  }
}

}  // namespace
}  // namespace snapflow::packet::testing
