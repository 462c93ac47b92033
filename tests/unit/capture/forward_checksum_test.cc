// Checksums: RFC 1624 incremental updates agree with full recomputation (checked by an
// independent byte-wise verifier) over many random packets, protocols, both IP versions,
// odd payload lengths, truncated copies and the UDP zero-checksum rules; frame parsing
// refuses what the forwarder must not touch.
#include <gtest/gtest.h>

#include <random>

#include "forward_test_util.h"
#include "snapflow/forward/checksum.h"
#include "snapflow/forward/frame.h"
#include "snapflow/forward/rewrite.h"

namespace snapflow::forward::testing {
namespace {

using synth::FrameBuilder;

Bytes build(FrameBuilder& b) {
  auto v = b.build();
  return Bytes(v.begin(), v.end());
}

TEST(ForwardChecksum, IncrementalUpdatesMatchFullRecomputation) {
  std::mt19937_64 rng(42);
  auto rnd = [&](uint64_t n) { return static_cast<uint32_t>(rng() % n); };
  for (int i = 0; i < 3000; ++i) {
    const bool v6 = rnd(2);
    const int proto = static_cast<int>(rnd(3));  // tcp, udp, icmp(v6)
    std::array<uint8_t, 16> s{}, d{}, ns{}, nd{};
    for (auto* a : {&s, &d, &ns, &nd}) {
      for (auto& b : *a) b = static_cast<uint8_t>(rng());
    }
    FrameBuilder fb;
    fb.ethernet(synth::mac("02:00:00:00:00:01"), synth::mac("02:00:00:00:00:02"));
    if (v6) {
      fb.ipv6(s, d, {.hop_limit = static_cast<uint8_t>(2 + rnd(250))});
    } else {
      synth::Ipv4Address s4{s[0], s[1], s[2], s[3]}, d4{d[0], d[1], d[2], d[3]};
      fb.ipv4(s4, d4,
              {.ttl = static_cast<uint8_t>(2 + rnd(250)), .id = static_cast<uint16_t>(rng())});
    }
    if (proto == 0) fb.tcp(static_cast<uint16_t>(rng()), static_cast<uint16_t>(rng()));
    if (proto == 1)
      fb.udp(static_cast<uint16_t>(1 + rnd(60000)), static_cast<uint16_t>(1 + rnd(60000)));
    if (proto == 2) {
      if (v6) {
        fb.icmpv6(128, 0, static_cast<uint16_t>(rng()), 1);
      } else {
        fb.icmp(8, 0, static_cast<uint16_t>(rng()), 1);
      }
    }
    fb.payload(rnd(1400));
    Bytes f = build(fb);
    ASSERT_EQ(checksum_errors(f), "") << "builder";
    FrameView view;
    ASSERT_EQ(parse_frame(f.data(), f.size(), view), ParseStatus::kOk);
    IpAddr new_src = v6 ? IpAddr::v6(reinterpret_cast<const std::byte*>(ns.data()))
                        : IpAddr::v4(reinterpret_cast<const std::byte*>(ns.data()));
    IpAddr new_dst = v6 ? IpAddr::v6(reinterpret_cast<const std::byte*>(nd.data()))
                        : IpAddr::v4(reinterpret_cast<const std::byte*>(nd.data()));
    const uint8_t ttl_before = ttl(f);
    rewrite_addresses(f.data(), f.size(), view, new_src, new_dst, true);
    ASSERT_EQ(checksum_errors(f), "") << "case " << i << (v6 ? " v6" : " v4") << " proto " << proto;
    EXPECT_EQ(ttl(f), ttl_before - 1);
    EXPECT_EQ(ip_src(f), to_string(new_src));
    EXPECT_EQ(ip_dst(f), to_string(new_dst));
  }
}

TEST(ForwardChecksum, UdpZeroChecksumRules) {
  // IPv4 UDP without a checksum keeps 0.
  auto b = FrameBuilder()
               .ethernet(synth::mac("02:00:00:00:00:01"), synth::mac("02:00:00:00:00:02"))
               .ipv4(synth::ip4("10.0.0.1"), synth::ip4("10.0.0.2"))
               .udp(1, 2)
               .payload(10);
  Bytes f = build(b);
  f[40] = f[41] = std::byte{0};
  FrameView view;
  ASSERT_EQ(parse_frame(f.data(), f.size(), view), ParseStatus::kOk);
  EXPECT_TRUE(view.udp_zero_checksum);
  rewrite_addresses(f.data(), f.size(), view, *parse_ip("10.9.9.9"), *parse_ip("10.8.8.8"), true);
  EXPECT_EQ(be16(f, 40), 0);
  EXPECT_EQ(checksum_errors(f), "");
  // A rewrite that makes the checksum compute to 0 stores 0xffff instead (search for one).
  for (uint32_t x = 0; x < 65536; ++x) {
    Bytes g = build(b);
    FrameView v;
    ASSERT_EQ(parse_frame(g.data(), g.size(), v), ParseStatus::kOk);
    const IpAddr src = *parse_ip("10.0.0.1");
    std::array<std::byte, 4> dst{std::byte(10), std::byte(0), std::byte(x >> 8),
                                 std::byte(x & 0xff)};
    rewrite_addresses(g.data(), g.size(), v, src, IpAddr::v4(dst.data()), false);
    ASSERT_NE(be16(g, 40), 0) << "UDP checksum 0 would mean 'none'";
    ASSERT_EQ(checksum_errors(g), "");
  }
}

TEST(ForwardChecksum, TruncatedCopiesAreRewrittenWithinTheirBytes) {
  auto b = FrameBuilder()
               .ethernet(synth::mac("02:00:00:00:00:01"), synth::mac("02:00:00:00:00:02"))
               .ipv4(synth::ip4("10.0.0.1"), synth::ip4("10.0.0.2"))
               .tcp(1, 2)
               .payload(500);
  Bytes full = build(b);
  FrameView view;
  ASSERT_EQ(parse_frame(full.data(), full.size(), view), ParseStatus::kOk);
  Bytes cut(full.begin(), full.begin() + 64);
  rewrite_addresses(cut.data(), cut.size(), view, *parse_ip("10.0.0.1"), *parse_ip("10.7.7.7"),
                    false);
  rewrite_addresses(full.data(), full.size(), view, *parse_ip("10.0.0.1"), *parse_ip("10.7.7.7"),
                    false);
  EXPECT_TRUE(std::equal(cut.begin(), cut.end(), full.begin()));
  Bytes tiny(full.begin(), full.begin() + 40);  // ends inside the TCP header: no checksum field
  rewrite_addresses(tiny.data(), tiny.size(), view, *parse_ip("10.0.0.1"), *parse_ip("10.6.6.6"),
                    false);
  EXPECT_EQ(to_string(IpAddr::v4(tiny.data() + 30)), "10.6.6.6");
}

TEST(ForwardFrame, ParsesWhatTheForwarderNeedsAndRefusesTheRest) {
  auto mac1 = synth::mac("02:00:00:00:00:01"), mac2 = synth::mac("02:00:00:00:00:02");
  FrameView v;
  auto ext = FrameBuilder()
                 .ethernet(mac1, mac2)
                 .ipv6(synth::ip6("2001:db8::1"), synth::ip6("2001:db8::2"))
                 .ipv6_hop_by_hop()
                 .ipv6_destination_options()
                 .tcp(1, 2)
                 .payload(3);
  Bytes f = build(ext);
  ASSERT_EQ(parse_frame(f.data(), f.size(), v), ParseStatus::kOk);
  EXPECT_EQ(v.protocol, kProtoTcp);
  EXPECT_EQ(v.l4_offset, 14 + 40 + 8 + 8);
  EXPECT_EQ(v.l4_checksum_offset, v.l4_offset + 16);
  auto later = FrameBuilder()
                   .ethernet(mac1, mac2)
                   .ipv6(synth::ip6("2001:db8::1"), synth::ip6("2001:db8::2"))
                   .ipv6_fragment(8, false, 5)
                   .next_protocol(17)
                   .payload(16);
  f = build(later);
  ASSERT_EQ(parse_frame(f.data(), f.size(), v), ParseStatus::kOk);
  EXPECT_TRUE(v.is_fragment);
  EXPECT_EQ(v.l4_offset, 0);
  EXPECT_EQ(v.l4_checksum_offset, 0);
  auto routed = FrameBuilder()
                    .ethernet(mac1, mac2)
                    .ipv6(synth::ip6("2001:db8::1"), synth::ip6("2001:db8::2"))
                    .ipv6_routing(4, 2)
                    .udp(1, 2);
  f = build(routed);
  EXPECT_EQ(parse_frame(f.data(), f.size(), v), ParseStatus::kUnsupported);
  auto padded = FrameBuilder()
                    .ethernet(mac1, mac2)
                    .ipv4(synth::ip4("10.0.0.1"), synth::ip4("10.0.0.2"))
                    .udp(1, 2)
                    .pad_to(60);
  f = build(padded);
  ASSERT_EQ(parse_frame(f.data(), f.size(), v), ParseStatus::kOk);
  EXPECT_EQ(v.ip_end, 14u + 28u);
  Bytes cut(f.begin(), f.begin() + 30);
  EXPECT_EQ(parse_frame(cut.data(), cut.size(), v), ParseStatus::kTruncated);
  f[14] = std::byte{0x44};  // IHL 4
  EXPECT_EQ(parse_frame(f.data(), f.size(), v), ParseStatus::kBadIpHeader);
}

}  // namespace
}  // namespace snapflow::forward::testing
