// The forwarder end to end on its AF_PACKET datapath: netns A <-> probe (snapflow-capture in
// its own netns, forwarding between two veths) <-> netns B. For each capture mode: ping, TCP
// (HTTP + curl, SHA-256 checked) and UDP cross the probe in both directions over IPv4 and IPv6;
// the ring then holds exactly the packets that crossed (compared frame for frame with tcpdump
// on A's and B's links for ingress and egress; by count for inline), every stored packet has
// the mode's addresses, and tshark's own checksum verification finds no bad checksum. A second
// test changes the rules (SIGHUP with an edited --config) three times during a rate-limited
// transfer, which must complete intact.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "forward_e2e_traffic.h"

namespace snapflow::e2e {
namespace {

std::string rule(const std::string& mode) {
  return std::string("a=") + kAddrA + ",capture=" + kAddrCapture + ",egress=" + kAddrEgress +
         ",b=" + kAddrB + ",mode=" + mode;
}
std::string rule6(const std::string& mode) {
  return std::string("a=") + kAddr6A + ",capture=" + kAddr6Capture + ",egress=" + kAddr6Egress +
         ",b=" + kAddr6B + ",mode=" + mode;
}

class ForwardAfPacket : public ForwardTopologyTest<::testing::Test> {
 protected:
  void SetUp() override { set_up_topology("cl", "forward-afpacket", "ip netns, veth, AF_PACKET"); }

  void start_daemon(const std::vector<std::string>& extra) {
    std::vector<std::string> args = afpacket_forwarder_args();
    args.push_back("--api-listen=off");
    args.insert(args.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<Daemon>(args, dir_ + "/daemon.log");
    ASSERT_NE(daemon_->wait_ready(), "") << daemon_->log();
  }
};

struct ModeCase {
  const char* mode;
  // The (source, destination) pairs every stored packet must have.
  std::set<AddressPair> stored;
};

class ForwardAfPacketModes : public ForwardAfPacket,
                             public ::testing::WithParamInterface<ModeCase> {};

TEST_P(ForwardAfPacketModes, EveryCrossingPacketIsStoredOnceWithTheModesAddresses) {
  const ModeCase& c = GetParam();
  start_daemon({"--forward-rule=" + rule(c.mode), "--forward-rule=" + rule6(c.mode)});
  traffic_ = std::make_unique<ForwardTraffic>(*topo_, dir_);
  traffic_->start_recording();
  traffic_->start_servers();
  traffic_->exchange();
  const Crossing crossed = traffic_->finish();
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  const std::string log = daemon_->log();

  // Every packet that crossed was seen on both links, and stored once.
  ASSERT_GT(crossed.a_link.size(), 4000u);
  EXPECT_EQ(crossed.a_link.size(), crossed.b_link.size());
  const std::string stored_pcap = dir_ + "/ring.pcap";
  const size_t stored = ring_to_pcap(ring_dir_, stored_pcap);
  EXPECT_EQ(stored, crossed.a_link.size()) << log;
  EXPECT_NE(log.find("stopped: " + std::to_string(stored) + " packets captured, 0 dropped"),
            std::string::npos)
      << log;

  // Exactly the mode's addresses.
  std::map<AddressPair, size_t> pairs;
  std::vector<std::string> ring_frames;
  for (const auto& p : read_ring(ring_dir_)) {
    ++pairs[frame_addresses(p.bytes)];
    ring_frames.push_back(p.bytes);
  }
  for (const auto& [pair, n] : pairs) {
    EXPECT_TRUE(c.stored.count(pair)) << n << " stored packets " << pair.src << " -> " << pair.dst;
  }
  EXPECT_EQ(pairs.size(), c.stored.size());

  // Byte-exact for the modes that promise it: ingress = what A and B sent to the probe,
  // egress = what the probe sent to them.
  if (std::string(c.mode) != "inline") {
    std::vector<std::string> expected;
    const bool ingress = std::string(c.mode) == "ingress";
    for (const auto* link : {&crossed.a_link, &crossed.b_link}) {
      for (const auto& f : *link) {
        const AddressPair a = frame_addresses(f);
        const bool to_probe = a.dst == kAddrCapture || a.dst == kAddrEgress ||
                              a.dst == kAddr6Capture || a.dst == kAddr6Egress;
        if (to_probe == ingress) expected.push_back(f);
      }
    }
    std::sort(expected.begin(), expected.end());
    std::sort(ring_frames.begin(), ring_frames.end());
    EXPECT_TRUE(expected == ring_frames) << "stored frames differ from the frames on the links";
  }

  // tshark's own verdicts, and the counters per rule: nothing dropped.
  expect_checksums_good_and_nothing_dropped(stored_pcap, log);
  EXPECT_GT(good_checksums(stored_pcap, "ip"), 1000);
  EXPECT_GT(good_checksums(stored_pcap, "icmp"), 0);
  EXPECT_GT(good_checksums(stored_pcap, "icmpv6"), 0);
}

INSTANTIATE_TEST_SUITE_P(
    Modes, ForwardAfPacketModes,
    ::testing::Values(
        ModeCase{"ingress",
                 {{kAddrA, kAddrCapture},
                  {kAddrB, kAddrEgress},
                  {kAddr6A, kAddr6Capture},
                  {kAddr6B, kAddr6Egress}}},
        ModeCase{"egress",
                 {{kAddrEgress, kAddrB},
                  {kAddrCapture, kAddrA},
                  {kAddr6Egress, kAddr6B},
                  {kAddr6Capture, kAddr6A}}},
        ModeCase{"inline",
                 {{kAddrA, kAddrB}, {kAddrB, kAddrA}, {kAddr6A, kAddr6B}, {kAddr6B, kAddr6A}}}),
    [](const ::testing::TestParamInfo<ModeCase>& p) { return std::string(p.param.mode); });

TEST_F(ForwardAfPacket, RuleChangesDuringATransferDoNotBreakIt) {
  const std::string config = dir_ + "/capture.conf";
  auto write_config = [&](const std::vector<std::string>& rules) {
    std::ofstream out(config + ".new");
    for (const auto& r : rules) out << "forward-rule = " << r << "\n";
    out.close();
    run("mv " + config + ".new " + config);
  };
  const std::string other =
      "a=10.10.1.3,capture=10.10.1.1,egress=10.20.1.1,b=10.20.1.3,mode=egress";
  write_config({rule("ingress")});
  start_daemon({"--config=" + config});
  traffic_ = std::make_unique<ForwardTraffic>(*topo_, dir_);
  traffic_->start_servers();
  // About five seconds at 600 KB/s: the rule table changes three times underneath, each
  // change acknowledged in the daemon's log before the next one. A small receive buffer in A
  // keeps the transfer on the wire for its whole length (curl's --limit-rate only paces its
  // reads; a large window would let B push everything in the first second).
  topo_->exec(topo_->ns_a, "sysctl -qw net.ipv4.tcp_rmem='4096 32768 65536'");
  BackgroundProcess transfer(
      {"ip", "netns", "exec", topo_->ns_a, "curl", "-sS", "--limit-rate", "600K", "-o",
       dir_ + "/slow", std::string("http://") + kAddrCapture + ":8000/blob"},
      dir_ + "/slow.log");
  // The daemon is the only process in the probe's namespace.
  const std::string hup = "kill -HUP $(ip netns pids " + topo_->ns_p + ")";
  auto reload = [&](const std::vector<std::string>& rules, int reloads_before) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    write_config(rules);
    run(hup);
    for (int i = 0; i < 100; ++i) {
      const std::string log = daemon_->log();
      size_t n = 0;
      for (size_t at = log.find("rules reloaded"); at != std::string::npos;
           at = log.find("rules reloaded", at + 1)) {
        ++n;
      }
      if (static_cast<int>(n) > reloads_before) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ADD_FAILURE() << "no reload logged: " << daemon_->log();
  };
  reload({rule("inline"), other}, 0);
  reload({rule("egress")}, 1);
  reload({rule("ingress"), other}, 2);
  ASSERT_EQ(transfer.wait(60), 0) << transfer.output();
  EXPECT_EQ(sha256_of(dir_ + "/slow"), sha256_of(dir_ + "/www/blob"));
  traffic_.reset();
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  const std::string log = daemon_->log();
  EXPECT_NE(log.find("forwarder rules reloaded: 1 added, 1 changed, 0 removed"), std::string::npos)
      << log;
  EXPECT_NE(log.find("forwarder rules reloaded: 0 added, 1 changed, 1 removed"), std::string::npos)
      << log;
  // The transfer was stored in all three modes (either direction of each), nothing dropped.
  std::set<AddressPair> seen;
  for (const auto& p : read_ring(ring_dir_)) seen.insert(frame_addresses(p.bytes));
  const std::vector<std::pair<std::string, std::vector<AddressPair>>> modes = {
      {"ingress", {{kAddrA, kAddrCapture}, {kAddrB, kAddrEgress}}},
      {"inline", {{kAddrA, kAddrB}, {kAddrB, kAddrA}}},
      {"egress", {{kAddrEgress, kAddrB}, {kAddrCapture, kAddrA}}}};
  for (const auto& [mode, pairs] : modes) {
    EXPECT_TRUE(seen.count(pairs[0]) || seen.count(pairs[1])) << "nothing stored in " << mode;
  }
  EXPECT_NE(log.find("ttl_exceeded=0 no_route=0 no_neighbour=0 too_big=0 tx_full=0"),
            std::string::npos)
      << log;
  // The rules file holds every version, the stored packets' attribution.
  std::ifstream rules(ring_dir_ + "/state/forward-rules");
  std::string text((std::istreambuf_iterator<char>(rules)), {});
  EXPECT_NE(text.find("rule 1 ingress 10.10.1.2"), std::string::npos) << text;
  EXPECT_NE(text.find("rule 1 inline 10.10.1.2"), std::string::npos) << text;
  EXPECT_NE(text.find("rule 1 egress 10.10.1.2"), std::string::npos) << text;
  EXPECT_NE(text.find("rule 2 egress 10.10.1.3"), std::string::npos) << text;
}

TEST_F(ForwardAfPacket, AnswersEchoAndTimeExceededItselfAndRulesSurviveARestart) {
  start_daemon({"--forward-rule=" + rule("inline")});
  // TTL 1 through the probe: time exceeded from the capture address, not forwarded.
  int rc = 0;
  std::string out =
      topo_->exec(topo_->ns_a, std::string("ping -n -c 1 -t 1 -W 2 ") + kAddrCapture, &rc);
  EXPECT_NE(out.find("From 10.10.1.1 icmp_seq=1 Time to live exceeded"), std::string::npos) << out;
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  EXPECT_NE(daemon_->log().find("time exceeded 1"), std::string::npos) << daemon_->log();
  EXPECT_NE(daemon_->log().find("ttl_exceeded=1"), std::string::npos) << daemon_->log();
  // Restart without any rule in the configuration: the saved rule is back, same id.
  start_daemon({});
  EXPECT_NE(daemon_->log().find("forwarder: 1 rule(s) in force"), std::string::npos)
      << daemon_->log();
  out = topo_->exec(topo_->ns_a, std::string("ping -n -c 2 -i 0.2 -W 2 ") + kAddrCapture, &rc);
  EXPECT_EQ(rc, 0) << out;
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  EXPECT_NE(daemon_->log().find("rule 1 a=10.10.1.2"), std::string::npos) << daemon_->log();
}

}  // namespace
}  // namespace snapflow::e2e
