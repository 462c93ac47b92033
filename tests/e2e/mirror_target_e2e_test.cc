// The Traffic Mirroring target end to end: a sender namespace reproduces AWS VPC Traffic
// Mirroring with the kernel's own VXLAN device (VNI 64, UDP 4789) towards the probe's address,
// and a Gateway Load Balancer with Geneve datagrams (UDP 6081, VNI 64). snapflow-capture
// captures through the kernel (pcap: source) with --mirror. Checked: every mirrored frame is
// stored once, per-session counters are exact, pcap2json on the ring yields exactly the flows of
// the mirrored capture (packets equal, bytes = inner + the 50 encapsulation bytes) with
// snapflow.tunnel.vni 64 and labels.mirror_session (the daemon's mirror-sessions file, read by
// default), --mirror-store=inner stores the mirrored frames byte for byte, the API's
// /mirror/sessions and /sysmaster/status count per session, and
// the probe never answers: a capture on the sender side sees no ICMP (and does see it when the
// sink sockets are switched off, which shows the check can fail).
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>

#include "forward_e2e_util.h"
#include "snapflow/synth/generator.h"

namespace snapflow::e2e {
namespace {

constexpr uint64_t kPackets = 2000;
constexpr uint64_t kEncapsulationBytes =
    14 + 20 + 8 + 8;  // outer Ethernet, IPv4, UDP, VXLAN/Geneve

struct FlowTotals {
  uint64_t packets = 0, bytes = 0;
  bool operator==(const FlowTotals&) const = default;
};
struct Summary {
  std::map<std::string, FlowTotals> flows;  ///< by "src dst sport dport transport"
  std::set<int64_t> vnis;                   ///< snapflow.tunnel.vni of the flows
  uint64_t documents_without_vni = 0;       ///< flows with a document lacking a VNI
  std::set<std::string> sessions;           ///< labels.mirror_session ("-": none, "mixed")
};

// pcap2json over a file or the ring; flow documents summed per flow across snapshots
// (tests/e2e/flow_sums.py).
Summary pcap2json(const std::string& args) {
  Summary s;
  std::istringstream lines(run(std::string(SNAPFLOW_PCAP2JSON_BIN) +
                               " --observer e2e --capture c " + args + " 2>/dev/null | python3 " +
                               SNAPFLOW_E2E_DIR + "/flow_sums.py"));
  std::string src, dst, sport, dport, transport, vni, session;
  uint64_t packets = 0, bytes = 0;
  while (lines >> src >> dst >> sport >> dport >> transport >> packets >> bytes >> vni >> session) {
    s.sessions.insert(session);
    FlowTotals& t = s.flows[src + " " + dst + " " + sport + " " + dport + " " + transport];
    t.packets += packets;
    t.bytes += bytes;
    if (vni == "-" || vni == "mixed") {
      ++s.documents_without_vni;
    } else {
      s.vnis.insert(std::stoll(vni));
    }
  }
  return s;
}

class MirrorTarget : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (ip netns, veth, vxlan)";
    for (const char* tool : {"ip", "tcpreplay", "tcpdump", "python3"}) {
      if (run(std::string("command -v ") + tool).empty())
        GTEST_SKIP() << tool << " is not installed";
    }
    const std::string id = std::to_string(::getpid() % 100000);
    ns_s_ = "sfcls" + id;
    ns_m_ = "sfclm" + id;
    if_s_ = "clS" + id;
    if_m_ = "clM" + id;
    dir_ = temp_dir("mirror");
    int rc = 0;
    std::string out =
        run("set -e; ip netns add " + ns_s_ + "; ip netns add " + ns_m_ + "; ip link add " + if_s_ +
                " mtu 9001 type veth peer name " + if_m_ + " mtu 9001; ip link set " + if_s_ +
                " netns " + ns_s_ + "; ip link set " + if_m_ + " netns " + ns_m_ + "; " +
                Topology::in(ns_s_, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1") + "; " +
                Topology::in(ns_m_, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1") + "; " +
                Topology::in(ns_s_, "ip addr add 10.30.1.2/24 dev " + if_s_) + "; " +
                Topology::in(ns_m_, "ip addr add 10.30.1.1/24 dev " + if_m_) + "; " +
                Topology::in(ns_s_, "ip link set " + if_s_ + " up") + "; " +
                Topology::in(ns_m_, "ip link set lo up") + "; " +
                Topology::in(ns_m_, "ip link set " + if_m_ + " up") + "; " +
                // The mirror source: a kernel VXLAN device, VNI 64, towards the target ENI.
                Topology::in(ns_s_,
                             "ip link add vx64 type vxlan id 64 dstport 4789 remote 10.30.1.1 "
                             "local 10.30.1.2 dev " +
                                 if_s_) +
                "; " + Topology::in(ns_s_, "ip link set vx64 mtu 1600 up"),
            &rc);
    created_ = true;
    ASSERT_EQ(rc, 0) << out;
    synth::GeneratorConfig gen;
    gen.packets = kPackets;
    gen.flows = 60;
    gen.size_mode = synth::SizeMode::kImix;
    gen.tcp_weight = 6;
    gen.udp_weight = 3;
    gen.icmp_weight = 1;
    gen.seed = 17;
    input_ = dir_ + "/mirrored.pcap";
    auto summary = synth::write_pcap(gen, input_);
    ASSERT_TRUE(summary.ok()) << summary.error().to_string();
    for (const auto& p : read_pcap(input_)) input_bytes_ += p.wire_length;
    std::ofstream(dir_ + "/creds") << "admin:e2e-secret\n";
  }
  void TearDown() override {
    daemon_.reset();
    if (created_) run("ip netns del " + ns_s_ + "; ip netns del " + ns_m_);
    if (!dir_.empty()) run("rm -rf " + dir_);
  }

  // With api, the capture API listens on the mirror namespace's loopback (api_ = HOST:PORT).
  void start_daemon(const std::vector<std::string>& extra, bool api = false) {
    std::vector<std::string> args = {"/usr/bin/env",
                                     "ip",
                                     "netns",
                                     "exec",
                                     ns_m_,
                                     SNAPFLOW_CAPTURE_BIN,
                                     "--source=pcap:" + if_m_,
                                     "--ring-dir=" + dir_ + "/ring",
                                     "--ring-bytes=64M",
                                     "--ring-segment-bytes=4M",
                                     api ? "--api-listen=127.0.0.1:0" : "--api-listen=off",
                                     "--flush-interval=20ms"};
    if (api) args.push_back("--api-credentials-file=" + dir_ + "/creds");
    args.insert(args.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<Daemon>(args, dir_ + "/daemon.log");
    api_ = daemon_->wait_ready();
    ASSERT_NE(api_, "") << daemon_->log();
  }
  std::string api_get(const std::string& path) {
    return run(Topology::in(ns_m_, "curl -s -u admin:e2e-secret 'http://" + api_ + path + "'"));
  }

  // tcpdump on the sender's link, ICMP only: whatever the probe sends back.
  std::unique_ptr<BackgroundProcess> watch_for_icmp(const std::string& name) {
    auto p = std::make_unique<BackgroundProcess>(
        std::vector<std::string>{"ip", "netns", "exec", ns_s_, "tcpdump", "-n", "-U",
                                 "--immediate-mode", "-i", if_s_, "-w", dir_ + "/" + name + ".pcap",
                                 "icmp"},
        dir_ + "/" + name + ".log");
    EXPECT_TRUE(p->wait_for_output("listening on")) << p->output();
    return p;
  }
  size_t icmp_seen(BackgroundProcess& p, const std::string& name) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    p.stop(SIGINT);
    return read_pcap(dir_ + "/" + name + ".pcap").size();
  }

  void replay_vxlan(const std::string& file) {
    int rc = 0;
    std::string out = run(Topology::in(ns_s_, "tcpreplay -q --pps=5000 -i vx64 " + file), &rc);
    ASSERT_EQ(rc, 0) << out;
  }

  void expect_same_flows_with_vni(const Summary& ring, const Summary& input) {
    ASSERT_EQ(ring.flows.size(), input.flows.size());
    uint64_t packets = 0, bytes = 0;
    for (const auto& [key, in] : input.flows) {
      auto it = ring.flows.find(key);
      ASSERT_NE(it, ring.flows.end()) << key;
      EXPECT_EQ(it->second.packets, in.packets) << key;
      EXPECT_EQ(it->second.bytes, in.bytes + in.packets * kEncapsulationBytes) << key;
      packets += it->second.packets;
      bytes += it->second.bytes;
    }
    EXPECT_EQ(packets, kPackets);
    EXPECT_EQ(bytes, input_bytes_ + kPackets * kEncapsulationBytes);
    EXPECT_EQ(ring.vnis, std::set<int64_t>{64});
    EXPECT_EQ(ring.documents_without_vni, 0u);
  }
  // Every flow document of the ring names the session VNI 64 had (and the input's none).
  void expect_session(const Summary& ring, const Summary& input, const std::string& name) {
    EXPECT_EQ(ring.sessions, std::set<std::string>{name});
    EXPECT_EQ(input.sessions, std::set<std::string>{"-"});
  }

  std::string ns_s_, ns_m_, if_s_, if_m_, dir_, input_, api_;
  uint64_t input_bytes_ = 0;
  bool created_ = false;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(MirrorTarget, KernelVxlanMirrorIsStoredPerSessionAndNeverAnswered) {
  start_daemon({"--mirror=vxlan,geneve", "--mirror-session=64=web-tier", "--mirror-session=65=db"},
               true);
  auto icmp = watch_for_icmp("icmp-with-sink");
  replay_vxlan(input_);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(icmp_seen(*icmp, "icmp-with-sink"), 0u) << "the probe answered mirrored packets";
  // The API counts per session (configured ones, then "other") and sums in the status.
  const std::string outer = std::to_string(input_bytes_ + kPackets * kEncapsulationBytes);
  EXPECT_EQ(api_get("/mirror/sessions"), "64,web-tier,2000," + outer + "," +
                                             std::to_string(input_bytes_) +
                                             "\n65,db,0,0,0\n0,other,0,0,0\n");
  const std::string status = api_get("/sysmaster/status");
  EXPECT_NE(status.find("\nmirror_packets, 2000\n"), std::string::npos) << status;
  EXPECT_NE(status.find("\nmirror_malformed, 0\n"), std::string::npos) << status;
  EXPECT_EQ(status.find("forward_"), std::string::npos) << status;
  EXPECT_NE(api_get("/forward/rules").find("not a forwarder"), std::string::npos);
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  const std::string log = daemon_->log();
  EXPECT_NE(log.find("stopped: 2000 packets captured, 0 dropped"), std::string::npos) << log;
  EXPECT_NE(log.find("mirror session web-tier vni 64: 2000 packets, " +
                     std::to_string(input_bytes_ + kPackets * kEncapsulationBytes) + " bytes, " +
                     std::to_string(input_bytes_) + " inner bytes"),
            std::string::npos)
      << log;
  EXPECT_NE(log.find("mirror session db vni 65: 0 packets"), std::string::npos) << log;
  EXPECT_NE(log.find("malformed=0"), std::string::npos) << log;
  // pcap2json, the existing binary, on the ring: the mirrored flows, exactly, with the session
  // (VNI 64, and its name from the daemon's mirror-sessions file, read by default).
  const Summary ring = pcap2json("--ring " + dir_ + "/ring");
  const Summary mirrored = pcap2json(input_);
  expect_same_flows_with_vni(ring, mirrored);
  expect_session(ring, mirrored, "web-tier");
  // --mirror-sessions none: the same flows without the label.
  EXPECT_EQ(pcap2json("--mirror-sessions none --ring " + dir_ + "/ring").sessions,
            std::set<std::string>{"-"});

  // The negative control: without the sink sockets the kernel does answer (rate-limited).
  run("rm -rf " + dir_ + "/ring");
  start_daemon({"--mirror=vxlan", "--mirror-sink=false"});
  auto control = watch_for_icmp("icmp-without-sink");
  replay_vxlan(input_);
  EXPECT_GT(icmp_seen(*control, "icmp-without-sink"), 0u)
      << "no ICMP even without the sink: the check above proves nothing";
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();

  // The alternative docs/aws.md gives: no sink, an nftables rule dropping the mirror ports
  // before the socket lookup. Capture (AF_PACKET, before netfilter) still sees everything.
  if (run("command -v nft").empty()) GTEST_SKIP() << "nft is not installed";
  {
    std::ofstream rules(dir_ + "/mirror.nft");
    rules << "table inet snapflow_mirror {\n"
             "  chain input {\n"
             "    type filter hook input priority 0; policy accept;\n"
             "    udp dport { 4789, 6081 } counter drop\n"
             "  }\n"
             "}\n";
  }
  int rc = 0;
  std::string out = run(Topology::in(ns_m_, "nft -f " + dir_ + "/mirror.nft"), &rc);
  ASSERT_EQ(rc, 0) << out;
  run("rm -rf " + dir_ + "/ring");
  start_daemon({"--mirror=vxlan", "--mirror-sink=false"});
  auto with_nft = watch_for_icmp("icmp-with-nft");
  replay_vxlan(input_);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(icmp_seen(*with_nft, "icmp-with-nft"), 0u);
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  EXPECT_NE(daemon_->log().find("stopped: 2000 packets captured, 0 dropped"), std::string::npos)
      << daemon_->log();
  EXPECT_NE(run(Topology::in(ns_m_, "nft list table inet snapflow_mirror")).find("packets 2000"),
            std::string::npos);
}

TEST_F(MirrorTarget, GeneveFromALoadBalancerIsStoredWithItsVni) {
  start_daemon({"--mirror=geneve", "--mirror-session=64=gwlb"});
  auto icmp = watch_for_icmp("icmp");
  int rc = 0;
  std::string out = run(Topology::in(ns_s_, "python3 " + std::string(SNAPFLOW_E2E_DIR) +
                                                "/udp_probe.py geneve 10.30.1.1 " + input_ + " 64"),
                        &rc);
  ASSERT_EQ(rc, 0) << out;
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  EXPECT_EQ(icmp_seen(*icmp, "icmp"), 0u);
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  EXPECT_NE(daemon_->log().find("mirror session gwlb vni 64: 2000 packets"), std::string::npos)
      << daemon_->log();
  const Summary ring = pcap2json("--ring " + dir_ + "/ring");
  const Summary mirrored = pcap2json(input_);
  expect_same_flows_with_vni(ring, mirrored);
  expect_session(ring, mirrored, "gwlb");
}

TEST_F(MirrorTarget, InnerStoreKeepsTheMirroredFramesByteForByte) {
  start_daemon({"--mirror=vxlan", "--mirror-store=inner", "--mirror-session=64=web-tier"});
  replay_vxlan(input_);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  const auto expected = read_pcap(input_);
  const auto stored = read_ring(dir_ + "/ring");
  ASSERT_EQ(stored.size(), expected.size()) << daemon_->log();
  size_t mismatches = 0;
  for (size_t i = 0; i < stored.size(); ++i) {
    mismatches +=
        stored[i].bytes != expected[i].bytes || stored[i].wire_length != expected[i].wire_length;
  }
  EXPECT_EQ(mismatches, 0u);
  // pcap2json of the stored inner frames equals pcap2json of the mirrored capture.
  Summary ring = pcap2json("--ring " + dir_ + "/ring");
  Summary input = pcap2json(input_);
  EXPECT_TRUE(ring.flows == input.flows);
}

}  // namespace
}  // namespace snapflow::e2e
