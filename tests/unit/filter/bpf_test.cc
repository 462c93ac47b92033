// FilterBPF: libpcap compiles and runs the program; we only check the wiring (link types,
// wire length, errors).
#include "filter_test_util.h"

namespace snapflow::filter::testing {
namespace {

bool bpf_keeps(std::string_view expr, const Frame& f) {
  auto b = BpfFilter::compile(expr, f.link, 262144, 4096);
  EXPECT_TRUE(b.ok()) << expr << ": " << (b.ok() ? "" : b.error().to_string());
  return b.ok() && b->matches(f.bytes, f.wire);
}

TEST(Bpf, MatchesLikeTcpdump) {
  const Frame f = tcp4(1234, 80);
  EXPECT_TRUE(bpf_keeps("tcp port 80", f));
  EXPECT_TRUE(bpf_keeps("src host 10.0.0.1 and dst net 192.168.1.0/24", f));
  EXPECT_FALSE(bpf_keeps("udp", f));
  EXPECT_TRUE(bpf_keeps("ether src 02:00:00:00:00:01", f));
  // `len` is the wire length, not the captured one.
  Frame cut = f;
  cut.wire = 1500;
  EXPECT_TRUE(bpf_keeps("greater 1000", cut));
  EXPECT_FALSE(bpf_keeps("greater 1000", f));
  // VXLAN: BPF sees the outer headers (and the inner ones only by offset arithmetic).
  EXPECT_TRUE(bpf_keeps("udp dst port 4789", vxlan_mirror()));
}

TEST(Bpf, CompilesForTheCapturesLinkType) {
  const Frame raw =
      frame(FrameBuilder().ipv4(ip4("10.0.0.1"), ip4("10.0.0.2")).tcp(1, 2), kTs, 101);
  EXPECT_TRUE(bpf_keeps("ip src 10.0.0.1 and tcp dst port 2", raw));
  // The same program on the Ethernet link type would look 14 bytes further.
  auto eth = BpfFilter::compile("ip src 10.0.0.1", kEthernet, 262144, 4096);
  ASSERT_TRUE(eth.ok());
  EXPECT_FALSE(eth->matches(raw.bytes, raw.wire));
  const Frame sll = frame(FrameBuilder()
                              .linux_sll(mac("02:00:00:00:00:01"))
                              .ipv4(ip4("10.0.0.1"), ip4("10.0.0.2"))
                              .udp(1, 53),
                          kTs, 113);
  EXPECT_TRUE(bpf_keeps("udp dst port 53", sll));
}

TEST(Bpf, CompileErrorsAreOneLineAndNameTheExpression) {
  for (std::string_view bad : {"tcp prt 80", "host", "ip and", "vlan 5000", "(tcp"}) {
    auto b = BpfFilter::compile(bad, kEthernet, 262144, 4096);
    ASSERT_FALSE(b.ok()) << bad;
    EXPECT_EQ(b.error().code(), base::ErrorCode::kInvalidArgument);
    EXPECT_EQ(b.error().message().rfind("BPF filter '" + std::string(bad) + "': ", 0), 0u)
        << b.error().message();
    EXPECT_EQ(b.error().message().find('\n'), std::string::npos);
  }
  auto too_long = BpfFilter::compile(std::string(5000, 't'), kEthernet, 262144, 4096);
  ASSERT_FALSE(too_long.ok());
  EXPECT_NE(too_long.error().message().find("longer than 4096 bytes"), std::string::npos);
  auto nul = BpfFilter::compile(std::string_view("tcp\0 or udp", 11), kEthernet, 262144, 4096);
  ASSERT_FALSE(nul.ok());
  EXPECT_NE(nul.error().message().find("NUL"), std::string::npos);
  // The error of a combined filter says which half failed.
  auto both = PacketFilter::compile("tcp.port==80", "tcp prt", kEthernet, 262144);
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.error().message().rfind("BPF filter", 0), 0u);
  auto fmadio = PacketFilter::compile("tcp.prt==80", "tcp", kEthernet, 262144);
  ASSERT_FALSE(fmadio.ok());
  EXPECT_EQ(fmadio.error().message().rfind("filter position 1", 0), 0u);
}

TEST(Bpf, ProgramIsReusedAcrossMovesAndThreadsSafely) {
  auto b = BpfFilter::compile("tcp", kEthernet, 262144, 4096);
  ASSERT_TRUE(b.ok());
  EXPECT_GT(b->instruction_count(), 0u);
  BpfFilter moved = std::move(*b);
  const Frame f = tcp4();
  EXPECT_TRUE(moved.matches(f.bytes, f.wire));
  EXPECT_EQ(moved.text(), "tcp");
}

}  // namespace
}  // namespace snapflow::filter::testing
