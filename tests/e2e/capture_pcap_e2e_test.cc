// libpcap end to end and the HTTP API with curl: a veth pair whose peer lives in a network
// namespace created per test, tcpreplay sending a generated capture from inside the namespace,
// snapflow-capture on the host end. IPv6 is disabled on both ends and no addresses are
// configured, so nothing but the replayed packets crosses the link and every packet must be
// accounted for as captured or dropped. The MTU is raised to 9000 so IMIX's 1518-byte frames
// (1504 bytes above Ethernet) pass the veth instead of being discarded by it uncounted.
#include <gtest/gtest.h>
#include <unistd.h>

#include "e2e_util.h"
#include "snapflow/pcap/writer.h"
#include "snapflow/ring/catalog.h"
#include "snapflow/ring/window.h"
#include "snapflow/synth/generator.h"

namespace snapflow::e2e {
namespace {

constexpr uint64_t kPackets = 5000;

class VethCapture : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root (ip netns, veth, raw sockets)";
    if (run("command -v tcpreplay").empty()) GTEST_SKIP() << "tcpreplay is not installed";
    const std::string id = std::to_string(::getpid() % 100000);
    ns_ = "sfcap" + id;
    host_if_ = "sfh" + id;
    peer_if_ = "sfp" + id;
    dir_ = temp_dir("pcap");
    int rc = 0;
    std::string out =
        run("set -e; ip netns add " + ns_ + "; ip link add " + host_if_ + " type veth peer name " +
                peer_if_ + " mtu 9000; ip link set " + host_if_ + " mtu 9000; ip link set " +
                peer_if_ + " netns " + ns_ + "; sysctl -qw net.ipv6.conf." + host_if_ +
                ".disable_ipv6=1; ip netns exec " + ns_ + " sysctl -qw net.ipv6.conf." + peer_if_ +
                ".disable_ipv6=1; ip link set " + host_if_ + " up; ip netns exec " + ns_ +
                " ip link set " + peer_if_ + " up",
            &rc);
    ASSERT_EQ(rc, 0) << out;
    created_ = true;
    synth::GeneratorConfig gen;
    gen.packets = kPackets;
    gen.flows = 100;
    gen.size_mode = synth::SizeMode::kImix;
    gen.seed = 11;
    input_ = dir_ + "/input.pcap";
    auto summary = synth::write_pcap(gen, input_);
    ASSERT_TRUE(summary.ok()) << summary.error().to_string();
    {
      std::ofstream creds(dir_ + "/creds");
      creds << "admin:e2e-secret\n";
    }
    ring_dir_ = dir_ + "/ring";
  }

  void TearDown() override {
    daemon_.reset();
    if (created_) run("ip netns del " + ns_ + "; ip link del " + host_if_);
    if (!dir_.empty()) run("rm -rf " + dir_);
  }

  void start_daemon(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {SNAPFLOW_CAPTURE_BIN,
                                     "--source=pcap:" + host_if_,
                                     "--ring-dir=" + ring_dir_,
                                     "--ring-bytes=64M",
                                     "--ring-segment-bytes=4M",
                                     "--api-listen=127.0.0.1:0",
                                     "--api-credentials-file=" + dir_ + "/creds",
                                     "--flush-interval=20ms"};
    args.insert(args.end(), extra.begin(), extra.end());
    daemon_ = std::make_unique<Daemon>(args, dir_ + "/daemon.log");
    api_ = daemon_->wait_ready();
    ASSERT_NE(api_, "") << daemon_->log();
  }

  void replay() {
    int rc = 0;
    std::string out = run(
        "ip netns exec " + ns_ + " tcpreplay -q --pps=20000 -i " + peer_if_ + " " + input_, &rc);
    ASSERT_EQ(rc, 0) << out;
  }

  // curl with the given user:password; returns "CODE\nBODY".
  std::string curl(const std::string& path, const std::string& userpwd = "admin:e2e-secret",
                   const std::string& out_file = "") {
    std::string cmd =
        "curl -s --path-as-is -o " + (out_file.empty() ? "-" : out_file) + " -w '\\n%{http_code}' ";
    if (!userpwd.empty()) cmd += "-u '" + userpwd + "' ";
    return run(cmd + "'http://" + api_ + path + "'");
  }
  static int code(const std::string& reply) {
    return std::stoi(reply.substr(reply.rfind('\n') + 1));
  }

  std::string status_json() { return curl("/sysmaster/status?format=json"); }

  // Waits until captured + dropped reaches want (or 30 s pass); returns the last status.
  std::string wait_accounted(uint64_t want) {
    std::string s;
    for (int i = 0; i < 300; ++i) {
      s = status_json();
      if (json_number(s, "packets_captured") + json_number(s, "packets_dropped") >=
          static_cast<int64_t>(want)) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return s;
  }

  std::string ns_, host_if_, peer_if_, dir_, input_, ring_dir_, api_;
  bool created_ = false;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(VethCapture, EveryReplayedPacketIsCapturedOrCountedAsDropped) {
  start_daemon({"--start-capture=veth"});
  replay();
  std::string s = wait_accounted(kPackets);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // nothing extra may arrive
  s = status_json();
  const int64_t captured = json_number(s, "packets_captured");
  const int64_t dropped = json_number(s, "packets_dropped");
  EXPECT_EQ(captured + dropped, static_cast<int64_t>(kPackets)) << s;
  EXPECT_EQ(json_number(s, "packets_received"), captured) << s;
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  // What was captured is the input, byte for byte, in order (drops aside).
  const auto expected = read_pcap(input_);
  const auto actual = read_ring(ring_dir_);
  ASSERT_EQ(static_cast<int64_t>(actual.size()), captured);
  if (dropped == 0) {
    ASSERT_EQ(actual.size(), expected.size());
    size_t mismatches = 0;
    for (size_t i = 0; i < actual.size(); ++i) {
      mismatches += actual[i].bytes != expected[i].bytes ? 1 : 0;
    }
    EXPECT_EQ(mismatches, 0u);
  }
}

TEST_F(VethCapture, ApiStartStopListDownloadAndRefusals) {
  start_daemon();
  std::string s = status_json();
  EXPECT_NE(s.find("\"capture_active\":false"), std::string::npos) << s;
  EXPECT_EQ(json_number(s, "packets_captured"), 0) << s;

  std::string started = curl("/sysmaster/capture_start?StreamName=api-run.1");
  EXPECT_EQ(code(started), 200) << started;
  EXPECT_NE(started.find("{\"Status\":true"), std::string::npos) << started;
  s = status_json();
  EXPECT_NE(s.find("\"capture_active\":true"), std::string::npos) << s;
  EXPECT_NE(s.find("\"capture_name\":\"api-run.1\""), std::string::npos) << s;
  EXPECT_EQ(code(curl("/sysmaster/capture_start?StreamName=other")), 409);

  replay();
  wait_accounted(kPackets);
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));  // source counters: once a second
  s = status_json();
  // On a loaded machine the kernel may drop a few at 20 kpps: every packet is captured or
  // counted as dropped, and everything below checks the captured ones exactly.
  const int64_t captured = json_number(s, "packets_captured");
  EXPECT_EQ(captured + json_number(s, "packets_dropped"), static_cast<int64_t>(kPackets)) << s;
  EXPECT_EQ(json_number(s, "packets_received"), captured) << s;
  EXPECT_GT(captured, static_cast<int64_t>(kPackets) / 2) << s;
  EXPECT_GT(json_number(s, "bytes_captured"), 0) << s;
  EXPECT_GT(json_number(s, "bytes_disk"), 0) << s;

  std::string stopped = curl("/sysmaster/capture_stop");
  EXPECT_EQ(code(stopped), 200) << stopped;
  EXPECT_NE(stopped.find(std::to_string(captured) + " packets"), std::string::npos) << stopped;
  s = status_json();
  EXPECT_NE(s.find("\"capture_active\":false"), std::string::npos) << s;

  std::string list = curl("/plain/list");
  EXPECT_EQ(list.rfind("api-run.1,", 0), 0u) << list;
  EXPECT_NE(list.find("," + std::to_string(captured) + ","), std::string::npos) << list;

  // The download equals the ring's records of the capture, re-encoded as one PCAP.
  const std::string download = dir_ + "/download.pcap";
  EXPECT_EQ(code(curl("/pcap/single?StreamName=api-run.1", "admin:e2e-secret", download)), 200);
  auto catalog = ring::CaptureCatalog::open(ring_dir_);
  ASSERT_TRUE(catalog.ok());
  const ring::CaptureEntry* entry = catalog->find("api-run.1");
  ASSERT_NE(entry, nullptr);
  auto layout = ring::open_ring(ring_dir_);
  ASSERT_TRUE(layout.ok());
  const std::string from_ring = dir_ + "/from-ring.pcap";
  {
    auto writer = pcap::PcapWriter::create(from_ring, layout->link_type, layout->snaplen);
    ASSERT_TRUE(writer.ok());
    auto walked = ring::for_each_record_between(
        *layout, entry->start, entry->stop,
        [&](const pcap::PacketRecord& r) { return (*writer)->write(r); });
    ASSERT_TRUE(walked.ok());
    ASSERT_TRUE((*writer)->close().ok());
  }
  int rc = 0;
  std::string cmp = run("cmp " + download + " " + from_ring, &rc);
  EXPECT_EQ(rc, 0) << cmp;
  std::string count = run("tcpdump -nr " + download + " 2>/dev/null | wc -l");
  EXPECT_EQ(std::stoi(count), static_cast<int>(captured));
  EXPECT_EQ(static_cast<int64_t>(read_pcap(download).size()), captured);

  // Refusals: credentials, malformed parameters, path tricks.
  EXPECT_EQ(code(curl("/sysmaster/status", "admin:wrong")), 401);
  EXPECT_EQ(code(curl("/sysmaster/status", "")), 401);
  std::string bad = curl("/pcap/single?StreamName=../../etc/passwd");
  EXPECT_EQ(code(bad), 400);
  EXPECT_NE(bad.find("invalid StreamName"), std::string::npos) << bad;
  EXPECT_EQ(code(curl("/pcap/single?StreamName=%2e%2e%2f%2e%2e%2fetc%2fpasswd")), 400);
  EXPECT_EQ(code(curl("/pcap/single?StreamName=%2e%2e")), 400);
  EXPECT_EQ(code(curl("/pcap/single?StreamName=x&bogus=1")), 400);
  EXPECT_EQ(code(curl("/pcap/single")), 400);
  EXPECT_EQ(code(curl("/pcap/single?StreamName=nosuch")), 404);
  EXPECT_EQ(code(curl("/pcap/../../etc/passwd")), 404);
  EXPECT_EQ(code(curl("/sysmaster/status?format=yaml")), 400);
  EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();
}

}  // namespace
}  // namespace snapflow::e2e
