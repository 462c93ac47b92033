// DPDK end to end: a net_pcap vdev replays a generated capture into snapflow-capture, which
// writes the ring; the ring read back must equal the input packet for packet (bytes and wire
// lengths; the PMD does not offer RX timestamps, so packets are restamped from the TSC).
#include <gtest/gtest.h>
#include <unistd.h>

#include "e2e_util.h"
#include "snapflow/synth/generator.h"

namespace snapflow::e2e {
namespace {

TEST(CaptureDpdkE2e, NetPcapVdevToRingPacketForPacket) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root (DPDK EAL)";
  const std::string dir = temp_dir("dpdk");
  const std::string input = dir + "/input.pcap";
  synth::GeneratorConfig gen;
  gen.packets = 20'000;
  gen.flows = 200;
  gen.size_mode = synth::SizeMode::kImix;
  gen.seed = 7;
  auto summary = synth::write_pcap(gen, input);
  ASSERT_TRUE(summary.ok()) << summary.error().to_string();
  const auto expected = read_pcap(input);
  ASSERT_EQ(expected.size(), gen.packets);

  const std::string ring_dir = dir + "/ring";
  {
    Daemon daemon({SNAPFLOW_CAPTURE_BIN, "--source=dpdk",
                   "--dpdk-eal-args=-l 0 --no-huge -m 512 --no-pci --no-shconf --vdev "
                   "net_pcap0,rx_pcap=" +
                       input,
                   "--dpdk-mbufs=4096", "--dpdk-burst=64", "--ring-dir=" + ring_dir,
                   "--ring-bytes=64M", "--ring-segment-bytes=4M", "--api-listen=off",
                   "--start-capture=replay", "--flush-interval=20ms"},
                  dir + "/daemon.log");
    ASSERT_NE(daemon.wait_ready(), "") << daemon.log();
    // net_pcap replays the file once; wait until the ring holds every packet or 60 s pass.
    size_t got = 0;
    for (int i = 0; i < 600 && got < expected.size(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      got = read_ring(ring_dir).size();
    }
    EXPECT_EQ(daemon.stop(), 0) << daemon.log();
    EXPECT_NE(daemon.log().find("stopped: 20000 packets captured, 0 dropped, 20000 received"),
              std::string::npos)
        << daemon.log();
  }
  const auto actual = read_ring(ring_dir);
  ASSERT_EQ(actual.size(), expected.size());
  size_t mismatches = 0;
  int64_t previous_ts = 0;
  for (size_t i = 0; i < actual.size(); ++i) {
    if (actual[i].bytes != expected[i].bytes || actual[i].wire_length != expected[i].wire_length) {
      ++mismatches;
    }
    EXPECT_GE(actual[i].ts_ns, previous_ts) << "timestamps go backwards at " << i;
    previous_ts = actual[i].ts_ns;
  }
  EXPECT_EQ(mismatches, 0u);
  run("rm -rf " + dir);
}

}  // namespace
}  // namespace snapflow::e2e
