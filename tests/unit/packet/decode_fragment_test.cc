// First IP fragments that end inside their transport header: the first 4 bytes still carry
// both ports (as tshark reads them), so the fragment train is keyed on them, never on port 0.
#include "packet_test_util.h"

namespace snapflow::packet::testing {
namespace {

// n bytes of a TCP header for 1234 -> 80 (seq 1, data offset 5, flags SYN|ACK at byte 13).
std::vector<std::byte> tcp_header_prefix(size_t n) {
  const uint8_t full[20] = {0x04, 0xd2, 0x00, 0x50, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x12, 0xff, 0xff};
  std::vector<std::byte> out;
  for (size_t i = 0; i < n; ++i) out.push_back(static_cast<std::byte>(full[i]));
  return out;
}

std::vector<std::byte> tiny_first_fragment_v4(size_t transport_bytes) {
  return FrameBuilder()
      .ethernet(kMacA, kMacB)
      .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.id = 4242, .more_fragments = true})
      .next_protocol(6)
      .raw_bytes(tcp_header_prefix(transport_bytes))
      .build();
}

TEST(DecodeFragment, EightByteFirstFragmentKeepsItsPorts) {
  const PacketView v = decode_frame(tiny_first_fragment_v4(8));
  // The fragment is whole: its IP length ends it there. Nothing was cut by the capture.
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_TRUE(v.is_first_fragment);
  EXPECT_EQ(v.ip_id, 4242u);
  EXPECT_EQ(v.ip_protocol, 6);
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.source_port, 1234);
  EXPECT_EQ(v.destination_port, 80);
  EXPECT_EQ(v.tcp_flags, 0);  // byte 13 is in the next fragment
  EXPECT_EQ(v.l4_offset, 34);
  EXPECT_EQ(v.payload_offset, 42);
}

TEST(DecodeFragment, SixteenByteFirstFragmentAlsoHasTheFlags) {
  const PacketView v = decode_frame(tiny_first_fragment_v4(16));
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_TRUE(v.has_ports);
  EXPECT_EQ(v.tcp_flags, synth::kTcpSyn | synth::kTcpAck);
}

TEST(DecodeFragment, Ipv6FirstFragmentsOfTcpAndSctp) {
  const PacketView tcp = decode_frame(FrameBuilder()
                                          .ipv6(ip6("fd00::1"), ip6("fd00::2"))
                                          .ipv6_fragment(0, true, 0xabcdef)
                                          .next_protocol(6)
                                          .raw_bytes(tcp_header_prefix(8))
                                          .build(),
                                      kRaw);
  EXPECT_EQ(tcp.status, DecodeStatus::kOk);
  EXPECT_TRUE(tcp.is_first_fragment);
  EXPECT_TRUE(tcp.has_ports);
  EXPECT_EQ(tcp.source_port, 1234);
  EXPECT_EQ(tcp.destination_port, 80);

  // SCTP's common header is 12 bytes; 8 of them fit a minimal first fragment.
  const PacketView sctp = decode_frame(FrameBuilder()
                                           .ipv6(ip6("fd00::1"), ip6("fd00::2"))
                                           .ipv6_fragment(0, true, 7)
                                           .next_protocol(132)
                                           .raw_bytes(tcp_header_prefix(8))
                                           .build(),
                                       kRaw);
  EXPECT_EQ(sctp.status, DecodeStatus::kOk);
  EXPECT_EQ(sctp.ip_protocol, 132);
  EXPECT_TRUE(sctp.has_ports);
  EXPECT_EQ(sctp.source_port, 1234);
}

TEST(DecodeFragment, CaptureCutInsideAFirstFragmentIsStillATruncation) {
  // The IP length says the whole TCP header is there; the snaplen cut it after 6 bytes.
  auto frame = FrameBuilder()
                   .ethernet(kMacA, kMacB)
                   .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.id = 9, .more_fragments = true})
                   .tcp(1234, 80)
                   .payload(32)
                   .truncate(14 + 20 + 6)
                   .build();
  PacketView v = decode_frame(frame);
  EXPECT_EQ(v.status, DecodeStatus::kTruncatedTransport);
  EXPECT_TRUE(v.has_ports);  // the ports are there all the same
  EXPECT_EQ(v.source_port, 1234);

  // Fewer than 4 bytes: no ports to take.
  frame.resize(14 + 20 + 3);
  v = decode_frame(frame);
  EXPECT_EQ(v.status, DecodeStatus::kTruncatedTransport);
  EXPECT_FALSE(v.has_ports);
}

TEST(DecodeFragment, UnfragmentedPacketsCutInsideTheHeaderHaveNoPorts) {
  // Unchanged: outside fragments a cut transport header stays unkeyed by ports, so a snaplen
  // cannot split one flow into keys with and without ports.
  auto frame = FrameBuilder()
                   .ethernet(kMacA, kMacB)
                   .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
                   .tcp(1234, 80)
                   .truncate(14 + 20 + 8)
                   .build();
  const PacketView v = decode_frame(frame);
  EXPECT_EQ(v.status, DecodeStatus::kTruncatedTransport);
  EXPECT_FALSE(v.has_ports);
}

TEST(DecodeFragment, LaterFragmentsStillHaveNoPorts) {
  const PacketView v =
      decode_frame(FrameBuilder()
                       .ethernet(kMacA, kMacB)
                       .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"), {.id = 4242, .fragment_offset = 1})
                       .next_protocol(6)
                       .payload(12)
                       .build());
  EXPECT_EQ(v.status, DecodeStatus::kOk);
  EXPECT_FALSE(v.has_ports);
  EXPECT_FALSE(v.is_first_fragment);
}

}  // namespace
}  // namespace snapflow::packet::testing
