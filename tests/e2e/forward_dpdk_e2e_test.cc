// The forwarder end to end on its DPDK datapath: the same three namespaces as the AF_PACKET
// test, with the probe's two veths driven by DPDK net_af_packet vdevs (no hugepages, no PCI).
// Ping, TCP and UDP cross both ways over IPv4 and IPv6; the ring holds exactly the crossing
// packets with the mode's addresses (frame for frame for egress, which DPDK forwards
// zero-copy in the mbufs it received), and tshark finds no bad checksum.
#include <gtest/gtest.h>
#include <unistd.h>

#include "forward_e2e_traffic.h"

namespace snapflow::e2e {
namespace {

class ForwardDpdk : public ForwardTopologyTest<::testing::TestWithParam<const char*>> {
 protected:
  void SetUp() override { set_up_topology("cd", "forward-dpdk", "ip netns, veth, DPDK EAL"); }
};

TEST_P(ForwardDpdk, NetAfPacketVdevsForwardAndCaptureExactly) {
  const std::string mode = GetParam();
  const std::string eal = "-l 0 --no-huge -m 512 --no-pci --no-shconf --file-prefix=sfcloud-" +
                          std::to_string(::getpid()) +
                          " --vdev net_af_packet0,iface=" + topo_->if_pa +
                          " --vdev net_af_packet1,iface=" + topo_->if_pb;
  daemon_ = std::make_unique<Daemon>(
      std::vector<std::string>{
          "/usr/bin/env",
          "ip",
          "netns",
          "exec",
          topo_->ns_p,
          SNAPFLOW_CAPTURE_BIN,
          "--source=forward:dpdk",
          "--dpdk-eal-args=" + eal,
          "--dpdk-ports=0,1",
          "--dpdk-mbufs=8192",
          "--dpdk-burst=32",
          std::string("--forward-port0=") + kAddrCapture + "/24," + kAddr6Capture + "/64",
          std::string("--forward-port1=") + kAddrEgress + "/24," + kAddr6Egress + "/64",
          std::string("--forward-rule=a=") + kAddrA + ",capture=" + kAddrCapture +
              ",egress=" + kAddrEgress + ",b=" + kAddrB + ",mode=" + mode,
          std::string("--forward-rule=a=") + kAddr6A + ",capture=" + kAddr6Capture +
              ",egress=" + kAddr6Egress + ",b=" + kAddr6B + ",mode=" + mode,
          "--ring-dir=" + ring_dir_,
          "--ring-bytes=256M",
          "--ring-segment-bytes=16M",
          "--api-listen=off",
          "--flush-interval=20ms"},
      dir_ + "/daemon.log");
  ASSERT_NE(daemon_->wait_ready(30), "") << daemon_->log();
  traffic_ = std::make_unique<ForwardTraffic>(*topo_, dir_);
  traffic_->start_recording();
  traffic_->start_servers();
  traffic_->exchange();
  const Crossing crossed = traffic_->finish();
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  const std::string log = daemon_->log();

  ASSERT_GT(crossed.a_link.size(), 4000u);
  EXPECT_EQ(crossed.a_link.size(), crossed.b_link.size());
  const std::string stored_pcap = dir_ + "/ring.pcap";
  const size_t stored = ring_to_pcap(ring_dir_, stored_pcap);
  EXPECT_EQ(stored, crossed.a_link.size()) << log;

  std::set<AddressPair> want;
  if (mode == "egress") {
    want = {{kAddrEgress, kAddrB},
            {kAddrCapture, kAddrA},
            {kAddr6Egress, kAddr6B},
            {kAddr6Capture, kAddr6A}};
  } else {
    want = {{kAddrA, kAddrB}, {kAddrB, kAddrA}, {kAddr6A, kAddr6B}, {kAddr6B, kAddr6A}};
  }
  std::vector<std::string> ring_frames;
  for (const auto& p : read_ring(ring_dir_)) {
    const AddressPair a = frame_addresses(p.bytes);
    EXPECT_TRUE(want.count(a)) << a.src << " -> " << a.dst;
    ring_frames.push_back(p.bytes);
  }
  if (mode == "egress") {
    std::vector<std::string> sent;
    for (const auto* link : {&crossed.a_link, &crossed.b_link}) {
      for (const auto& f : *link) {
        const AddressPair a = frame_addresses(f);
        if (a.src == kAddrCapture || a.src == kAddrEgress || a.src == kAddr6Capture ||
            a.src == kAddr6Egress) {
          sent.push_back(f);
        }
      }
    }
    std::sort(sent.begin(), sent.end());
    std::sort(ring_frames.begin(), ring_frames.end());
    EXPECT_TRUE(sent == ring_frames) << "stored frames differ from what the probe sent";
  }
  expect_checksums_good_and_nothing_dropped(stored_pcap, log);
}

INSTANTIATE_TEST_SUITE_P(Modes, ForwardDpdk, ::testing::Values("egress", "inline"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           return std::string(p.param);
                         });

}  // namespace
}  // namespace snapflow::e2e
