// The traffic generator: determinism, totals, read-back through the pcap reader, timestamp
// spacing, size modes, tunnels and VLAN on the wire, and config/CLI text parsing.
#include "snapflow/synth/generator.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "snapflow/base/bytes.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::synth {
namespace {

struct Captured {
  std::vector<int64_t> ts;
  std::vector<std::vector<std::byte>> frames;
  uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a over timestamps and bytes
};

Captured run(const GeneratorConfig& config, GeneratorSummary* summary_out = nullptr) {
  Captured c;
  auto summary = generate(config, [&c](int64_t ts, std::span<const std::byte> frame) {
    c.ts.push_back(ts);
    c.frames.emplace_back(frame.begin(), frame.end());
    for (int i = 0; i < 8; ++i) c.hash = (c.hash ^ uint8_t(ts >> (8 * i))) * 0x100000001b3ULL;
    for (std::byte b : frame) c.hash = (c.hash ^ uint8_t(b)) * 0x100000001b3ULL;
    return base::ok_status();
  });
  EXPECT_TRUE(summary.ok()) << summary.error().message();
  if (summary.ok() && summary_out) *summary_out = *summary;
  return c;
}

GeneratorConfig small_config() {
  GeneratorConfig c;
  c.flows = 50;
  c.packets = 2000;
  c.size_mode = SizeMode::kImix;
  c.ipv6_per_million = 300'000;
  c.icmp_weight = 1;
  c.seed = 7;
  return c;
}

TEST(Generator, SameConfigSameBytesOtherSeedOtherBytes) {
  GeneratorConfig c = small_config();
  EXPECT_EQ(run(c).hash, run(c).hash);
  GeneratorConfig other = c;
  other.seed = 8;
  EXPECT_NE(run(c).hash, run(other).hash);
  for (Tunnel t : {Tunnel::kVxlan, Tunnel::kErspan3}) {
    c.tunnel = t;
    EXPECT_EQ(run(c).hash, run(c).hash) << to_string(t);
  }
}

TEST(Generator, SummaryMatchesWhatWasSent) {
  GeneratorSummary s;
  GeneratorConfig c = small_config();
  Captured got = run(c, &s);
  ASSERT_EQ(s.packets, c.packets);
  ASSERT_EQ(got.frames.size(), c.packets);
  uint64_t bytes = 0;
  for (const auto& f : got.frames) bytes += f.size();
  EXPECT_EQ(s.bytes, bytes);
  ASSERT_EQ(s.flows.size(), c.flows);
  uint64_t flow_packets = 0, flow_bytes = 0;
  for (const FlowTotals& f : s.flows) {
    flow_packets += f.packets;
    flow_bytes += f.bytes;
  }
  EXPECT_EQ(flow_packets, s.packets);
  EXPECT_EQ(flow_bytes, s.bytes);
  EXPECT_EQ(s.first_ts_ns, got.ts.front());
  EXPECT_EQ(s.last_ts_ns, got.ts.back());
}

TEST(Generator, ReadsBackThroughThePcapReader) {
  auto dir = std::filesystem::temp_directory_path() / "snapflow-gen-test";
  std::filesystem::create_directories(dir);
  std::string path = (dir / "gen.pcap").string();
  GeneratorConfig c = small_config();
  c.tunnel = Tunnel::kVxlan;
  c.vlan_id = 100;
  auto summary = write_pcap(c, path);
  ASSERT_TRUE(summary.ok()) << summary.error().message();
  auto reader = pcap::PacketReader::open(path);
  ASSERT_TRUE(reader.ok()) << reader.error().message();
  pcap::PacketBatch batch;
  Captured direct = run(c);
  size_t i = 0;
  for (;;) {
    auto n = (*reader)->next_batch(batch, 256);
    ASSERT_TRUE(n.ok()) << n.error().message();
    if (*n == 0) break;
    for (const auto& r : batch.records) {
      ASSERT_LT(i, direct.frames.size());
      EXPECT_EQ(r.ts_ns, direct.ts[i]);
      EXPECT_EQ(r.wire_length, r.captured_length);
      EXPECT_TRUE(std::equal(r.bytes().begin(), r.bytes().end(), direct.frames[i].begin(),
                             direct.frames[i].end()));
      ++i;
    }
  }
  EXPECT_EQ((*reader)->stats().records, summary->packets);
  EXPECT_EQ((*reader)->stats().wire_bytes, summary->bytes);
  std::filesystem::remove_all(dir);
}

TEST(Generator, TimestampsAreEvenlySpacedAndJitterStaysInBounds) {
  GeneratorConfig c;
  c.flows = 3;
  c.packets = 3000;
  c.rate_pps = 1000;
  c.start_ns = 5'000'000'000;
  Captured even = run(c);
  for (size_t k = 0; k < even.ts.size(); ++k) {
    ASSERT_EQ(even.ts[k], 5'000'000'000 + int64_t(k) * 1'000'000) << k;
  }
  c.rate_pps = 3;  // 333333333.33 ns apart: integer math must not drift
  Captured thirds = run(c);
  EXPECT_EQ(thirds.ts[2999], 5'000'000'000 + 999'000'000'000 + 666'666'666);
  c.rate_pps = 1000;
  c.jitter_ns = 500'000;
  Captured jittered = run(c);
  bool moved = false;
  for (size_t k = 0; k < jittered.ts.size(); ++k) {
    int64_t base = 5'000'000'000 + int64_t(k) * 1'000'000;
    ASSERT_GE(jittered.ts[k], base);
    ASSERT_LT(jittered.ts[k], base + 500'000);
    moved |= jittered.ts[k] != base;
  }
  EXPECT_TRUE(moved);
}

TEST(Generator, FixedAndImixSizes) {
  GeneratorConfig c;
  c.flows = 10;
  c.packets = 12000;
  c.frame_bytes = 128;
  for (const auto& f : run(c).frames) ASSERT_EQ(f.size(), 128u);
  c.size_mode = SizeMode::kImix;
  std::map<size_t, size_t> counts;
  for (const auto& f : run(c).frames) counts[f.size()]++;
  ASSERT_EQ(counts.size(), 3u);
  EXPECT_NEAR(double(counts[64]) / 12000, 7.0 / 12, 0.02);
  EXPECT_NEAR(double(counts[594]) / 12000, 4.0 / 12, 0.02);
  EXPECT_NEAR(double(counts[1518]) / 12000, 1.0 / 12, 0.02);
  // Headers larger than the size: the frame is just the headers.
  c.size_mode = SizeMode::kFixed;
  c.frame_bytes = 64;
  c.tunnel = Tunnel::kVxlan;
  c.ipv6_per_million = 1'000'000;
  for (const auto& f : run(c).frames) ASSERT_EQ(f.size(), 14u + 20 + 8 + 8 + 14 + 40 + 20);
}

TEST(Generator, TunnelsVlanAndIpVersionOnTheWire) {
  GeneratorConfig c;
  c.flows = 20;
  c.packets = 200;
  c.vlan_id = 100;
  c.tunnel = Tunnel::kVxlan;
  for (const auto& f : run(c).frames) {
    ASSERT_EQ(base::load_be16(f.data() + 12), 0x8100);
    ASSERT_EQ(base::load_be16(f.data() + 14) & 0x0fff, 100);
    ASSERT_EQ(base::load_be16(f.data() + 16), 0x0800);
    ASSERT_EQ(uint8_t(f[18 + 9]), 17);                         // outer UDP
    ASSERT_EQ(base::load_be16(f.data() + 18 + 20 + 2), 4789);  // VXLAN port
  }
  c.vlan_id.reset();
  const std::pair<Tunnel, uint8_t> outer_protocol[] = {
      {Tunnel::kGeneve, 17},  {Tunnel::kGre, 47},  {Tunnel::kErspan2, 47},
      {Tunnel::kErspan3, 47}, {Tunnel::kGtpu, 17}, {Tunnel::kIpip, 4}};
  for (auto [tunnel, protocol] : outer_protocol) {
    c.tunnel = tunnel;
    for (const auto& f : run(c).frames) {
      ASSERT_EQ(base::load_be16(f.data() + 12), 0x0800) << to_string(tunnel);
      ASSERT_EQ(uint8_t(f[14 + 9]), protocol) << to_string(tunnel);
    }
  }
  c.tunnel = Tunnel::kNone;
  c.ipv6_per_million = 1'000'000;
  for (const auto& f : run(c).frames) ASSERT_EQ(base::load_be16(f.data() + 12), 0x86DD);
}

TEST(Generator, ValidationNamesTheField) {
  GeneratorConfig c;
  c.flows = 0;
  EXPECT_NE(validate(c).error().message().find("flows"), std::string::npos);
  c = {};
  c.rate_pps = 0;
  EXPECT_NE(validate(c).error().message().find("rate"), std::string::npos);
  c = {};
  c.frame_bytes = 20;
  EXPECT_NE(validate(c).error().message().find("size"), std::string::npos);
  c = {};
  c.tcp_weight = c.udp_weight = c.icmp_weight = 0;
  EXPECT_FALSE(validate(c).ok());
  c = {};
  c.vlan_id = 5000;
  EXPECT_FALSE(validate(c).ok());
  EXPECT_TRUE(validate(GeneratorConfig{}).ok());
  GeneratorConfig no_flows;
  no_flows.flows = 0;
  auto failed =
      generate(no_flows, [](int64_t, std::span<const std::byte>) { return base::ok_status(); });
  EXPECT_FALSE(failed.ok());
}

TEST(Generator, ParsesTimesAndTunnels) {
  EXPECT_EQ(*parse_time_ns("2026-11-23T00:00:00Z"), kDefaultStartNs);
  EXPECT_EQ(*parse_time_ns("1970-01-01T00:00:01.5Z"), 1'500'000'000);
  EXPECT_EQ(*parse_time_ns("2000-02-29T12:00:00.000000001Z"), 951'825'600'000'000'001);
  EXPECT_EQ(*parse_time_ns("12345"), 12345);
  EXPECT_FALSE(parse_time_ns("2026-11-23").ok());
  EXPECT_FALSE(parse_time_ns("2026-11-23T00:00:00+01:00").ok());
  EXPECT_FALSE(parse_time_ns("-5").ok());
  for (std::string_view name :
       {"none", "vxlan", "geneve", "gre", "erspan2", "erspan3", "gtpu", "ipip"}) {
    auto t = parse_tunnel(name);
    ASSERT_TRUE(t.ok()) << name;
    EXPECT_EQ(to_string(*t), name);
  }
  EXPECT_FALSE(parse_tunnel("mpls").ok());
}

}  // namespace
}  // namespace snapflow::synth
