// The forwarder's engine, end to end in memory: ARP/ND for its own addresses and its next hops,
// echo replies, forwarding in both directions of a rule with TTL decrement, MAC rewrite and
// valid checksums (checked by an independent verifier), the three capture modes, time-exceeded
// errors, parked packets released on resolution, fragments, ICMP errors about forwarded
// packets, and counters.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>

#include "forward_test_util.h"
#include "snapflow/forward/arp.h"
#include "snapflow/forward/nd.h"
#include "snapflow/forward/rule_store.h"

namespace snapflow::forward::testing {
namespace {

using synth::FrameBuilder;
using synth::ip4;
using synth::ip6;
using synth::mac;

const synth::MacAddress kPort0Mac = mac("02:00:00:00:00:10");
const synth::MacAddress kPort1Mac = mac("02:00:00:00:00:20");
const synth::MacAddress kMacA = mac("02:00:00:00:00:0a");
const synth::MacAddress kMacB = mac("02:00:00:00:00:0b");

MacAddress to_mac(const synth::MacAddress& m) {
  MacAddress out{};
  std::copy(m.begin(), m.end(), out.begin());
  return out;
}

// The IPv4 packet at ip_offset of f, behind a blank Ethernet header, for the helpers.
Bytes ipv4_at(const Bytes& f, size_t ip_offset) {
  Bytes out(14 + f.size() - ip_offset, std::byte{0});
  out[12] = std::byte{0x08};
  std::copy(f.begin() + static_cast<long>(ip_offset), f.end(), out.begin() + 14);
  return out;
}

void set_ipv4_header_checksum(Bytes& f) {
  f[24] = f[25] = std::byte{0};
  const uint16_t sum = static_cast<uint16_t>(~naive_fold(naive_sum(f, 14, 34)));
  f[24] = std::byte(sum >> 8);
  f[25] = std::byte(sum & 0xff);
}

// Splits an unfragmented IPv4 frame (20-byte header) after `first` payload bytes (a multiple
// of 8) into two fragments, as a router would.
std::pair<Bytes, Bytes> split_ipv4(const Bytes& whole, size_t first) {
  const size_t payload = whole.size() - 34;
  Bytes a(whole.begin(), whole.begin() + static_cast<long>(34 + first));
  Bytes b(whole.begin(), whole.begin() + 34);
  b.insert(b.end(), whole.begin() + static_cast<long>(34 + first), whole.end());
  a[16] = std::byte((20 + first) >> 8);
  a[17] = std::byte((20 + first) & 0xff);
  a[20] = std::byte{0x20};  // MF
  a[21] = std::byte{0};
  b[16] = std::byte((20 + payload - first) >> 8);
  b[17] = std::byte((20 + payload - first) & 0xff);
  b[20] = std::byte((first / 8) >> 8);
  b[21] = std::byte((first / 8) & 0xff);
  set_ipv4_header_checksum(a);
  set_ipv4_header_checksum(b);
  return {a, b};
}

Bytes build(FrameBuilder& b) {
  auto v = b.build();
  return Bytes(v.begin(), v.end());
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "forward-engine-" + std::to_string(::getpid()) + "-" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    PortConfig p0 = *parse_port_config("10.1.0.1/24,2001:db8:1::1/64");
    PortConfig p1 = *parse_port_config("10.2.0.1/24,2001:db8:2::1/64,via=10.2.0.254");
    p0.mac = kPort0Mac;
    p1.mac = kPort1Mac;
    p0.name = "p0";
    p1.name = "p1";
    ports_ = Ports({p0, p1});
    auto store = RuleStore::open(dir_, ports_);
    ASSERT_TRUE(store.ok()) << store.error().to_string();
    store_ = std::move(*store);
  }
  void TearDown() override {
    engine_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  void make_engine(EngineOptions options = {}) {
    engine_ = std::make_unique<ForwardEngine>(ports_, store_->register_reader(), sink_, emitter_,
                                              options);
  }

  Rule add_rule(const std::string& text) {
    auto spec = parse_rule_spec(text);
    EXPECT_TRUE(spec.ok()) << spec.error().to_string();
    auto rule = store_->add(*spec);
    EXPECT_TRUE(rule.ok()) << rule.error().to_string();
    return *rule;
  }

  // Feeds one frame on port; returns the outcome and leaves the (possibly modified) frame.
  Outcome feed(Bytes& frame, uint16_t port, int64_t ts = 1'000) {
    engine_->begin_batch(now_);
    RxFrame rx{frame.data(), static_cast<uint32_t>(frame.size()), port, ts, false};
    Outcome out = engine_->handle(rx);
    engine_->end_batch();
    return out;
  }

  // Answers the engine's ARP requests for A (port 0) and B (port 1).
  void resolve_v4(const std::string& a = "10.1.0.2", const std::string& b = "10.2.0.2") {
    Bytes reply_a = arp_reply(kMacA, a, kPort0Mac, "10.1.0.1");
    Bytes reply_b = arp_reply(kMacB, b, kPort1Mac, "10.2.0.1");
    EXPECT_FALSE(feed(reply_a, 0).transmit);
    EXPECT_FALSE(feed(reply_b, 1).transmit);
  }

  static Bytes arp_reply(const synth::MacAddress& from_mac, const std::string& from_ip,
                         const synth::MacAddress& to_mac_, const std::string& to_ip) {
    Bytes f(60, std::byte{0});
    const MacAddress from = to_mac(from_mac), to = to_mac(to_mac_);
    build_arp(f.data(), kArpReply, to, from, from, *parse_ip(from_ip), to, *parse_ip(to_ip));
    return f;
  }

  std::string dir_;
  Ports ports_;
  std::unique_ptr<RuleStore> store_;
  MemorySink sink_;
  MemoryEmitter emitter_;
  std::unique_ptr<ForwardEngine> engine_;
  int64_t now_ = 5'000'000'000;
};

TEST_F(EngineTest, AnswersArpForItsOwnAddressesOnTheirPortOnly) {
  make_engine();
  auto request = FrameBuilder()
                     .ethernet(kMacA, mac("ff:ff:ff:ff:ff:ff"))
                     .arp_request(kMacA, ip4("10.1.0.2"), ip4("10.1.0.1"));
  Bytes f = build(request);
  Outcome out = feed(f, 0);
  ASSERT_TRUE(out.transmit);
  EXPECT_EQ(out.port, 0);
  ArpMessage reply;
  ASSERT_TRUE(parse_arp(f.data(), f.size(), reply));
  EXPECT_EQ(reply.op, kArpReply);
  EXPECT_EQ(to_string(reply.sender_ip), "10.1.0.1");
  EXPECT_EQ(to_string(reply.sender_mac), "02:00:00:00:00:10");
  EXPECT_EQ(to_string(reply.target_ip), "10.1.0.2");
  EXPECT_EQ(mac_at(f, 0), "02:00:00:00:00:0a");
  // The address of port 1 asked on port 0: not answered (no proxy ARP).
  auto other = FrameBuilder()
                   .ethernet(kMacA, mac("ff:ff:ff:ff:ff:ff"))
                   .arp_request(kMacA, ip4("10.1.0.2"), ip4("10.2.0.1"));
  Bytes g = build(other);
  EXPECT_FALSE(feed(g, 0).transmit);
  EXPECT_EQ(engine_->counters().arp_requests_answered.get(), 1u);
}

TEST_F(EngineTest, AnswersEchoRequestsToItsAddresses) {
  make_engine();
  auto echo = FrameBuilder()
                  .ethernet(kMacA, kPort0Mac)
                  .ipv4(ip4("10.1.0.2"), ip4("10.1.0.1"), {.ttl = 9})
                  .icmp(8, 0, 77, 3)
                  .payload(56);
  Bytes f = build(echo);
  Outcome out = feed(f, 0);
  ASSERT_TRUE(out.transmit);
  EXPECT_EQ(out.port, 0);
  EXPECT_EQ(ip_src(f), "10.1.0.1");
  EXPECT_EQ(ip_dst(f), "10.1.0.2");
  EXPECT_EQ(static_cast<uint8_t>(f[34]), 0);  // echo reply
  EXPECT_EQ(mac_at(f, 0), "02:00:00:00:00:0a");
  EXPECT_EQ(checksum_errors(f), "");
  auto echo6 = FrameBuilder()
                   .ethernet(kMacA, kPort0Mac)
                   .ipv6(ip6("2001:db8:1::2"), ip6("2001:db8:1::1"))
                   .icmpv6(128, 0, 5, 6)
                   .payload(24);
  Bytes g = build(echo6);
  ASSERT_TRUE(feed(g, 0).transmit);
  EXPECT_EQ(static_cast<uint8_t>(g[54]), 129);
  EXPECT_EQ(ip_src(g), "2001:db8:1::1");
  EXPECT_EQ(checksum_errors(g), "");
  EXPECT_EQ(engine_->counters().echo_replies_sent.get(), 2u);
  EXPECT_TRUE(sink_.records.empty()) << "the probe's own traffic is not captured";
}

TEST_F(EngineTest, ResolvesNextHopsWhenARuleAppears) {
  make_engine();
  add_rule("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.9.9.9,mode=ingress");
  Bytes nothing = build(FrameBuilder().ethernet(kMacA, kPort0Mac).raw_bytes(Bytes(46)));
  feed(nothing, 0);  // begin_batch sees the new table and asks for both next hops
  ASSERT_EQ(emitter_.sent.size(), 2u);
  ArpMessage to_a, to_gw;
  ASSERT_TRUE(parse_arp(emitter_.sent[0].bytes.data(), emitter_.sent[0].bytes.size(), to_a));
  ASSERT_TRUE(parse_arp(emitter_.sent[1].bytes.data(), emitter_.sent[1].bytes.size(), to_gw));
  EXPECT_EQ(emitter_.sent[0].port, 0);
  EXPECT_EQ(to_string(to_a.target_ip), "10.1.0.2");
  EXPECT_EQ(to_string(to_a.sender_ip), "10.1.0.1");
  // B is off-link on port 1: its next hop is the gateway.
  EXPECT_EQ(emitter_.sent[1].port, 1);
  EXPECT_EQ(to_string(to_gw.target_ip), "10.2.0.254");
  EXPECT_EQ(engine_->counters().drops[static_cast<size_t>(EngineDrop::kNotIp)].get(), 1u);
}

struct ModeCase {
  CaptureMode mode;
  const char* forward_src;  // stored A->B packet
  const char* forward_dst;
  const char* reverse_src;  // stored B->A packet
  const char* reverse_dst;
};

class EngineModeTest : public EngineTest, public ::testing::WithParamInterface<ModeCase> {};

TEST_P(EngineModeTest, ForwardsBothWaysAndCapturesOnceInTheRulesMode) {
  const ModeCase c = GetParam();
  make_engine();
  Rule rule = add_rule(std::string("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=") +
                       to_string(c.mode));
  resolve_v4();
  emitter_.sent.clear();

  // A -> capture: TCP with payload.
  auto fwd = FrameBuilder()
                 .ethernet(kMacA, kPort0Mac)
                 .ipv4(ip4("10.1.0.2"), ip4("10.1.0.1"), {.ttl = 64, .id = 4321})
                 .tcp(40000, 80, synth::kTcpAck | synth::kTcpPsh, {.seq = 1000, .ack = 2000})
                 .payload(300);
  Bytes f = build(fwd);
  const Bytes received = f;
  Outcome out = feed(f, 0, 111);
  ASSERT_TRUE(out.transmit);
  EXPECT_EQ(out.port, 1);
  EXPECT_EQ(ip_src(f), "10.2.0.1");
  EXPECT_EQ(ip_dst(f), "10.2.0.2");
  EXPECT_EQ(ttl(f), 63);
  EXPECT_EQ(mac_at(f, 0), "02:00:00:00:00:0b");
  EXPECT_EQ(mac_at(f, 6), "02:00:00:00:00:20");
  EXPECT_EQ(checksum_errors(f), "");
  EXPECT_EQ(f.size(), received.size());
  const Bytes sent = f;

  // B -> egress: UDP reply.
  auto rev = FrameBuilder()
                 .ethernet(kMacB, kPort1Mac)
                 .ipv4(ip4("10.2.0.2"), ip4("10.2.0.1"), {.ttl = 64})
                 .udp(53, 40001)
                 .payload(100);
  Bytes r = build(rev);
  const Bytes r_received = r;
  out = feed(r, 1, 222);
  ASSERT_TRUE(out.transmit);
  EXPECT_EQ(out.port, 0);
  EXPECT_EQ(ip_src(r), "10.1.0.1");
  EXPECT_EQ(ip_dst(r), "10.1.0.2");
  EXPECT_EQ(mac_at(r, 0), "02:00:00:00:00:0a");
  EXPECT_EQ(checksum_errors(r), "");

  ASSERT_EQ(sink_.records.size(), 2u);
  const auto& s0 = sink_.records[0];
  const auto& s1 = sink_.records[1];
  EXPECT_EQ(s0.ts_ns, 111);
  EXPECT_EQ(s1.ts_ns, 222);
  EXPECT_EQ(ip_src(s0.bytes), c.forward_src);
  EXPECT_EQ(ip_dst(s0.bytes), c.forward_dst);
  EXPECT_EQ(ip_src(s1.bytes), c.reverse_src);
  EXPECT_EQ(ip_dst(s1.bytes), c.reverse_dst);
  EXPECT_EQ(checksum_errors(s0.bytes), "");
  EXPECT_EQ(checksum_errors(s1.bytes), "");
  if (c.mode == CaptureMode::kIngress) {
    EXPECT_EQ(s0.bytes, received);
    EXPECT_EQ(s1.bytes, r_received);
  }
  if (c.mode == CaptureMode::kEgress) {
    EXPECT_EQ(s0.bytes, sent);
  }
  if (c.mode == CaptureMode::kInline) {
    EXPECT_EQ(ttl(s0.bytes), 64) << "inline keeps the received TTL";
    EXPECT_EQ(mac_at(s0.bytes, 0), "02:00:00:00:00:10") << "and the received MACs";
  }
  const RuleCounters& counters = *rule.counters;
  EXPECT_EQ(counters.packets[0].get(), 1u);
  EXPECT_EQ(counters.packets[1].get(), 1u);
  EXPECT_EQ(counters.bytes[0].get(), received.size());
  EXPECT_EQ(counters.bytes[1].get(), r_received.size());
  EXPECT_EQ(counters.captured.get(), 2u);
}

INSTANTIATE_TEST_SUITE_P(Modes, EngineModeTest,
                         ::testing::Values(ModeCase{CaptureMode::kIngress, "10.1.0.2", "10.1.0.1",
                                                    "10.2.0.2", "10.2.0.1"},
                                           ModeCase{CaptureMode::kEgress, "10.2.0.1", "10.2.0.2",
                                                    "10.1.0.1", "10.1.0.2"},
                                           ModeCase{CaptureMode::kInline, "10.1.0.2", "10.2.0.2",
                                                    "10.2.0.2", "10.1.0.2"}),
                         [](const ::testing::TestParamInfo<ModeCase>& p) {
                           return std::string(to_string(p.param.mode));
                         });

TEST_F(EngineTest, ForwardsIpv6WithNeighbourDiscovery) {
  make_engine();
  add_rule(
      "a=2001:db8:1::2,capture=2001:db8:1::1,egress=2001:db8:2::1,b=2001:db8:2::2,mode=inline");
  auto udp = FrameBuilder()
                 .ethernet(kMacA, kPort0Mac)
                 .ipv6(ip6("2001:db8:1::2"), ip6("2001:db8:1::1"), {.hop_limit = 5})
                 .udp(1000, 2000)
                 .payload(40);
  Bytes f = build(udp);
  // The first packet waits for B's neighbour advertisement.
  EXPECT_FALSE(feed(f, 0, 10).transmit);
  EXPECT_EQ(engine_->counters().held.get(), 1u);
  ASSERT_GE(emitter_.sent.size(), 2u);
  const Bytes& ns = emitter_.sent[1].bytes;
  EXPECT_EQ(emitter_.sent[1].port, 1);
  EXPECT_EQ(mac_at(ns, 0), "33:33:ff:00:00:02");
  EXPECT_EQ(ip_dst(ns), "ff02::1:ff00:2");
  EXPECT_EQ(checksum_errors(ns), "");
  emitter_.sent.clear();
  // B answers; the parked packet leaves through the emitter, rewritten.
  Bytes na(kNdFrameBytes);
  build_neighbour_advertisement(na.data(), to_mac(kMacB), *parse_ip("2001:db8:2::2"),
                                to_mac(kPort1Mac), *parse_ip("2001:db8:2::1"));
  EXPECT_FALSE(feed(na, 1).transmit);
  ASSERT_EQ(emitter_.sent.size(), 1u);
  const Bytes& out = emitter_.sent[0].bytes;
  EXPECT_EQ(emitter_.sent[0].port, 1);
  EXPECT_EQ(ip_src(out), "2001:db8:2::1");
  EXPECT_EQ(ip_dst(out), "2001:db8:2::2");
  EXPECT_EQ(ttl(out), 4);
  EXPECT_EQ(mac_at(out, 0), "02:00:00:00:00:0b");
  EXPECT_EQ(checksum_errors(out), "");
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(sink_.records[0].ts_ns, 10) << "a parked packet keeps its receive time";
  EXPECT_EQ(ip_dst(sink_.records[0].bytes), "2001:db8:2::2");
  EXPECT_EQ(checksum_errors(sink_.records[0].bytes), "");

  // A neighbour solicitation for the capture address is answered.
  Bytes sol(kNdFrameBytes);
  build_neighbour_solicitation(sol.data(), to_mac(kMacA), *parse_ip("2001:db8:1::2"),
                               *parse_ip("2001:db8:1::1"));
  emitter_.sent.clear();
  feed(sol, 0);
  ASSERT_EQ(emitter_.sent.size(), 1u);
  NdMessage answer;
  FrameView view;
  ASSERT_EQ(parse_frame(emitter_.sent[0].bytes.data(), emitter_.sent[0].bytes.size(), view),
            ParseStatus::kOk);
  ASSERT_TRUE(parse_nd(emitter_.sent[0].bytes.data(), view, answer));
  EXPECT_EQ(answer.type, kIcmpv6NeighbourAdvertisement);
  EXPECT_TRUE(answer.solicited);
  EXPECT_EQ(to_string(answer.link_address), "02:00:00:00:00:10");
}

TEST_F(EngineTest, TtlExpiryAnswersTimeExceededAndIsNotCaptured) {
  make_engine();
  Rule rule = add_rule("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress");
  resolve_v4();
  emitter_.sent.clear();
  auto probe = FrameBuilder()
                   .ethernet(kMacA, kPort0Mac)
                   .ipv4(ip4("10.1.0.2"), ip4("10.1.0.1"), {.ttl = 1})
                   .udp(33434, 33435)
                   .payload(32);
  Bytes f = build(probe);
  EXPECT_FALSE(feed(f, 0).transmit);
  ASSERT_EQ(emitter_.sent.size(), 1u);
  const Bytes& err = emitter_.sent[0].bytes;
  EXPECT_EQ(emitter_.sent[0].port, 0);
  EXPECT_EQ(ip_src(err), "10.1.0.1");
  EXPECT_EQ(ip_dst(err), "10.1.0.2");
  EXPECT_EQ(static_cast<uint8_t>(err[34]), 11);
  EXPECT_EQ(checksum_errors(err), "");
  EXPECT_EQ(rule.counters->drops[static_cast<size_t>(RuleDrop::kTtlExceeded)].get(), 1u);
  EXPECT_TRUE(sink_.records.empty());
}

TEST_F(EngineTest, FragmentsAreForwardedAndCapturedOneForOne) {
  make_engine();
  add_rule("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=egress");
  resolve_v4();
  // The first fragment carries the UDP header, whose checksum covers the whole datagram;
  // the second carries only data. After forwarding, the reassembled datagram must verify.
  auto datagram = FrameBuilder()
                      .ethernet(kMacA, kPort0Mac)
                      .ipv4(ip4("10.1.0.2"), ip4("10.1.0.1"), {.id = 9})
                      .udp(5000, 6000)
                      .payload(64);
  const Bytes whole_in = build(datagram);
  auto [f1, f2] = split_ipv4(whole_in, 48);
  ASSERT_TRUE(feed(f1, 0).transmit);
  ASSERT_TRUE(feed(f2, 0).transmit);
  EXPECT_EQ(checksum_errors(f1), "");  // IPv4 headers (fragments)
  EXPECT_EQ(checksum_errors(f2), "");
  Bytes whole(f1.begin(), f1.end());
  whole.insert(whole.end(), f2.begin() + 34, f2.end());
  whole[16] = std::byte{0};
  whole[17] = std::byte(20 + 8 + 64);
  whole[20] = std::byte{0};
  set_ipv4_header_checksum(whole);
  EXPECT_EQ(ip_dst(whole), "10.2.0.2");
  EXPECT_EQ(checksum_errors(whole), "");
  EXPECT_EQ(sink_.records.size(), 2u);
}

TEST_F(EngineTest, IcmpErrorsAboutForwardedPacketsAreTranslatedInside) {
  make_engine();
  add_rule("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=inline");
  resolve_v4();
  // What A sent, as forwarded by the probe to B: egress -> B, UDP.
  auto forwarded = FrameBuilder()
                       .ethernet(kPort1Mac, kMacB)
                       .ipv4(ip4("10.2.0.1"), ip4("10.2.0.2"), {.ttl = 63})
                       .udp(40000, 9)
                       .payload(12);
  Bytes inner = build(forwarded);
  // B answers port unreachable quoting it.
  Bytes quoted(inner.begin() + 14, inner.end());
  auto error = FrameBuilder()
                   .ethernet(kMacB, kPort1Mac)
                   .ipv4(ip4("10.2.0.2"), ip4("10.2.0.1"))
                   .icmp(3, 3)
                   .raw_bytes(quoted);
  Bytes e = build(error);
  ASSERT_TRUE(feed(e, 1).transmit);
  EXPECT_EQ(ip_src(e), "10.1.0.1");
  EXPECT_EQ(ip_dst(e), "10.1.0.2");
  EXPECT_EQ(checksum_errors(e), "");
  // The quoted packet now reads A -> capture, as A sent it, with valid inner checksums.
  Bytes quote = ipv4_at(e, 34 + 8);
  EXPECT_EQ(ip_src(quote), "10.1.0.2");
  EXPECT_EQ(ip_dst(quote), "10.1.0.1");
  EXPECT_EQ(checksum_errors(quote), "");
  // Inline capture: B -> A, quoting A -> B.
  ASSERT_EQ(sink_.records.size(), 1u);
  const Bytes& stored = sink_.records[0].bytes;
  EXPECT_EQ(ip_src(stored), "10.2.0.2");
  EXPECT_EQ(ip_dst(stored), "10.1.0.2");
  EXPECT_EQ(checksum_errors(stored), "");
  Bytes stored_quote = ipv4_at(stored, 34 + 8);
  EXPECT_EQ(ip_src(stored_quote), "10.1.0.2");
  EXPECT_EQ(ip_dst(stored_quote), "10.2.0.2");
  EXPECT_EQ(checksum_errors(stored_quote), "");
}

TEST_F(EngineTest, DropsAreCountedByReason) {
  make_engine();
  Rule rule = add_rule("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress");
  resolve_v4();
  auto not_us =
      FrameBuilder().ethernet(kMacA, kMacB).ipv4(ip4("10.1.0.2"), ip4("10.1.0.1")).udp(1, 2);
  auto stranger =
      FrameBuilder().ethernet(kMacA, kPort0Mac).ipv4(ip4("10.1.0.3"), ip4("10.1.0.1")).udp(1, 2);
  auto elsewhere =
      FrameBuilder().ethernet(kMacA, kPort0Mac).ipv4(ip4("10.1.0.2"), ip4("10.1.0.7")).udp(1, 2);
  auto tagged = FrameBuilder()
                    .ethernet(kMacA, kPort0Mac)
                    .vlan(5)
                    .ipv4(ip4("10.1.0.2"), ip4("10.1.0.1"))
                    .udp(1, 2);
  auto broken =
      FrameBuilder().ethernet(kMacA, kPort0Mac).ipv4(ip4("10.1.0.2"), ip4("10.1.0.1")).udp(1, 2);
  Bytes a = build(not_us), b = build(stranger), c = build(elsewhere), d = build(tagged),
        e = build(broken);
  e[14 + 10] ^= std::byte{0x5a};  // corrupt the IPv4 header checksum
  for (Bytes* f : {&a, &b, &c, &d, &e}) EXPECT_FALSE(feed(*f, 0).transmit);
  const auto& dc = engine_->counters().drops;
  EXPECT_EQ(dc[static_cast<size_t>(EngineDrop::kNotForUs)].get(), 1u);
  EXPECT_EQ(dc[static_cast<size_t>(EngineDrop::kNoRule)].get(), 1u);
  EXPECT_EQ(dc[static_cast<size_t>(EngineDrop::kNotOurAddress)].get(), 1u);
  EXPECT_EQ(dc[static_cast<size_t>(EngineDrop::kMalformed)].get(), 2u);
  EXPECT_EQ(engine_->parse_counters()[static_cast<size_t>(ParseStatus::kVlanTagged)].get(), 1u);
  EXPECT_EQ(engine_->parse_counters()[static_cast<size_t>(ParseStatus::kBadIpChecksum)].get(), 1u);
  EXPECT_TRUE(sink_.records.empty());
  // Capture cannot keep up: forwarding goes on, the copy is counted as lost.
  sink_.full = true;
  auto ok =
      FrameBuilder().ethernet(kMacA, kPort0Mac).ipv4(ip4("10.1.0.2"), ip4("10.1.0.1")).udp(1, 2);
  Bytes f = build(ok);
  EXPECT_TRUE(feed(f, 0).transmit);
  EXPECT_EQ(rule.counters->capture_dropped.get(), 1u);
  EXPECT_EQ(rule.counters->packets[0].get(), 1u);
}

TEST_F(EngineTest, UnansweredNextHopDropsParkedPacketsAfterThreeProbes) {
  make_engine();
  Rule rule = add_rule("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress");
  auto udp =
      FrameBuilder().ethernet(kMacA, kPort0Mac).ipv4(ip4("10.1.0.2"), ip4("10.1.0.1")).udp(1, 2);
  Bytes f = build(udp);
  EXPECT_FALSE(feed(f, 0).transmit);
  EXPECT_EQ(engine_->counters().held.get(), 1u);
  for (int i = 1; i <= 4; ++i) engine_->tick(now_ + i * NeighbourTable::kProbeIntervalNs);
  EXPECT_EQ(rule.counters->drops[static_cast<size_t>(RuleDrop::kNoNeighbour)].get(), 1u);
  EXPECT_TRUE(sink_.records.empty());
}

TEST_F(EngineTest, CompletesPartialChecksumsBeforeCapturingAndForwarding) {
  make_engine();
  add_rule("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress");
  resolve_v4();
  auto tcp = FrameBuilder()
                 .ethernet(kMacA, kPort0Mac)
                 .ipv4(ip4("10.1.0.2"), ip4("10.1.0.1"))
                 .tcp(1, 2)
                 .payload(10);
  Bytes f = build(tcp);
  f[34 + 16] = std::byte{0x12};  // what CHECKSUM_PARTIAL leaves: not the real checksum
  f[34 + 17] = std::byte{0x34};
  engine_->begin_batch(now_);
  RxFrame rx{f.data(), static_cast<uint32_t>(f.size()), 0, 1, true};
  EXPECT_TRUE(engine_->handle(rx).transmit);
  engine_->end_batch();
  EXPECT_EQ(checksum_errors(f), "");
  ASSERT_EQ(sink_.records.size(), 1u);
  EXPECT_EQ(checksum_errors(sink_.records[0].bytes), "");
  EXPECT_EQ(engine_->counters().checksums_completed.get(), 1u);
}

TEST_F(EngineTest, StaticNeighboursAreUsedWithoutResolution) {
  auto p1 = parse_port_config("10.2.0.1/24,neigh=10.2.0.2@02:00:00:00:00:0b");
  ASSERT_TRUE(p1.ok()) << p1.error().to_string();
  EXPECT_EQ(to_string(*p1), "10.2.0.1/24,neigh=10.2.0.2@02:00:00:00:00:0b");
  ports_[1].static_neighbours = p1->static_neighbours;
  make_engine();
  add_rule("a=10.1.0.2,capture=10.1.0.1,egress=10.2.0.1,b=10.2.0.2,mode=ingress");
  // Only A's side is resolved; B's MAC is configured.
  Bytes reply_a = arp_reply(kMacA, "10.1.0.2", kPort0Mac, "10.1.0.1");
  feed(reply_a, 0);
  for (const auto& sent : emitter_.sent) EXPECT_EQ(sent.port, 0) << "no ARP for a static neighbour";
  auto udp =
      FrameBuilder().ethernet(kMacA, kPort0Mac).ipv4(ip4("10.1.0.2"), ip4("10.1.0.1")).udp(1, 2);
  Bytes f = build(udp);
  ASSERT_TRUE(feed(f, 0).transmit);
  EXPECT_EQ(mac_at(f, 0), "02:00:00:00:00:0b");
  // An announcement cannot change it.
  Bytes spoof = arp_reply(mac("02:00:00:00:00:66"), "10.2.0.2", kPort1Mac, "10.2.0.1");
  feed(spoof, 1);
  Bytes g = build(udp);
  ASSERT_TRUE(feed(g, 0).transmit);
  EXPECT_EQ(mac_at(g, 0), "02:00:00:00:00:0b");
  EXPECT_NE(parse_port_config("10.2.0.1/24,neigh=10.2.0.2").error().message().find("IP@MAC"),
            std::string::npos);
}

}  // namespace
}  // namespace snapflow::forward::testing
