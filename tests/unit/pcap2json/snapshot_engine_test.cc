#include "snapflow/pcap2json/snapshot_engine.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

#include "snapflow/base/time.h"
#include "snapflow/pcap2json/top_n.h"

namespace snapflow::pcap2json {
namespace {

using base::kNsPerMs;

constexpr int64_t kBase = 1'700'000'000'000'000'000;  // 2023-11-14T22:13:20Z, interval-aligned

// A minimal Ethernet/IPv4/UDP frame: a flow's record takes its MACs from its first packet's frame.
pcap::PacketBatch one_frame_batch() {
  static const uint8_t kFrame[] = {
      0x02, 0,    0,    0,    0, 2, 0x02, 0, 0,  0,  0, 1, 0x08, 0x00,  // Ethernet
      0x45, 0,    0,    28,   0, 1, 0,    0, 64, 17, 0, 0, 10,   0,    0, 1, 10, 0, 0, 2,  // IPv4
      0x04, 0xd2, 0x00, 0x35, 0, 8, 0,    0};  // UDP 1234->53
  pcap::PacketBatch batch;
  pcap::PacketRecord r;
  r.data = reinterpret_cast<const std::byte*>(kFrame);
  r.captured_length = sizeof kFrame;
  r.wire_length = sizeof kFrame;
  batch.records.push_back(r);
  return batch;
}

DecodedPacket packet_at(int64_t ts_ns, uint16_t flow, uint32_t bytes, uint8_t tcp_flags = 0) {
  DecodedPacket p;
  p.key.ip_version = 4;
  p.key.ip_protocol = 6;
  p.key.source[0] = 10;
  p.key.source[3] = static_cast<uint8_t>(flow);
  p.key.destination[0] = 10;
  p.key.destination[3] = 200;
  p.key.source_port = flow;
  p.key.destination_port = 443;
  p.key.flags = packet::FlowKey::kHasPorts;
  p.hash = packet::flow_hash(p.key);
  p.ts_ns = ts_ns;
  p.wire_length = bytes;
  p.tcp_flags = tcp_flags;
  return p;
}

// Runs packets through the engine in batches of batch_size, returning every closed snapshot.
std::vector<ClosedSnapshot> run(SnapshotEngine& engine, std::vector<DecodedPacket> packets,
                                size_t batch_size = 64) {
  const pcap::PacketBatch batch = one_frame_batch();
  std::vector<ClosedSnapshot> out;
  BatchPlan plan;
  DecodedBatch decoded;
  for (size_t begin = 0; begin < packets.size(); begin += batch_size) {
    const size_t n = std::min(batch_size, packets.size() - begin);
    decoded.packets.assign(packets.begin() + static_cast<ptrdiff_t>(begin),
                           packets.begin() + static_cast<ptrdiff_t>(begin + n));
    engine.prepare(decoded.packets, plan);
    for (uint32_t s = 0; s < engine.shard_count(); ++s)
      engine.aggregate_shard(s, plan, decoded, batch);
    engine.take_closed(plan, out);
  }
  engine.take_all(out);
  return out;
}

struct Sums {
  uint64_t packets = 0, bytes = 0, flows = 0;
};

Sums sum_flows(const ClosedSnapshot& s) {
  Sums sums;
  for (const auto& shard : s.shards) {
    for (const FlowRecord& r : shard) {
      sums.packets += r.counters.packets;
      sums.bytes += r.counters.bytes;
      ++sums.flows;
    }
  }
  return sums;
}

TEST(SnapshotEngine, AlignsSnapshotsToIntervalMultiplesAndSplitsAtBoundaries) {
  SnapshotConfig config;
  config.reorder_window_ns = 0;
  SnapshotEngine engine(config);
  auto closed =
      run(engine, {packet_at(kBase + 5 * kNsPerMs, 1, 100), packet_at(kBase + 99'999'999, 1, 100),
                   packet_at(kBase + 100 * kNsPerMs, 1, 100),  // first ns of the next
                   packet_at(kBase + 250 * kNsPerMs, 1, 100)});
  ASSERT_EQ(closed.size(), 3u);
  EXPECT_EQ(closed[0].totals.start_ns, kBase);
  EXPECT_EQ(closed[0].totals.packets, 2u);
  EXPECT_EQ(closed[1].totals.start_ns, kBase + 100 * kNsPerMs);
  EXPECT_EQ(closed[1].totals.packets, 1u);
  EXPECT_EQ(closed[2].totals.start_ns, kBase + 200 * kNsPerMs);
  const FlowRecord& first = [&]() -> const FlowRecord& {
    for (const auto& shard : closed[0].shards) {
      if (!shard.empty()) return shard.front();
    }
    throw std::runtime_error("no flow");
  }();
  EXPECT_EQ(first.counters.first_ts_ns, kBase + 5 * kNsPerMs);
  EXPECT_EQ(first.counters.last_ts_ns, kBase + 99'999'999);
  EXPECT_EQ(first.counters.bytes, 200u);
  EXPECT_EQ(first.attributes.has_ethernet, true);
}

TEST(SnapshotEngine, SumsEqualInputForRandomTrafficAndAnyBatchSize) {
  std::mt19937_64 rng(7);
  std::vector<DecodedPacket> packets;
  uint64_t bytes = 0;
  int64_t ts = kBase + 3;
  for (int i = 0; i < 20000; ++i) {
    ts += static_cast<int64_t>(rng() % (2 * kNsPerMs));
    const uint32_t size = 60 + static_cast<uint32_t>(rng() % 1455);
    packets.push_back(packet_at(ts, static_cast<uint16_t>(rng() % 300), size));
    bytes += size;
  }
  for (size_t batch_size : {1, 7, 64, 5000}) {
    SnapshotEngine engine(SnapshotConfig{});
    auto closed = run(engine, packets, batch_size);
    Sums total;
    int64_t previous_start = INT64_MIN;
    for (const auto& s : closed) {
      const Sums sums = sum_flows(s);
      EXPECT_EQ(sums.packets, s.totals.packets);
      EXPECT_EQ(sums.bytes, s.totals.bytes);
      EXPECT_EQ(sums.flows, s.totals.flows);
      EXPECT_GT(s.totals.start_ns, previous_start) << "snapshots must close oldest first";
      EXPECT_EQ(s.totals.start_ns % (100 * kNsPerMs), 0);
      previous_start = s.totals.start_ns;
      total.packets += sums.packets;
      total.bytes += sums.bytes;
    }
    EXPECT_EQ(total.packets, packets.size()) << "batch size " << batch_size;
    EXPECT_EQ(total.bytes, bytes);
    EXPECT_EQ(engine.stats().late_packets, 0u);
  }
}

TEST(SnapshotEngine, ReorderWindowKeepsSlightlyLatePacketsInTheirOwnSnapshot) {
  SnapshotConfig config;
  config.reorder_window_ns = 50 * kNsPerMs;
  SnapshotEngine engine(config);
  // 130 ms, then a packet from 90 ms (40 ms late, within the window).
  auto closed = run(
      engine, {packet_at(kBase + 10 * kNsPerMs, 1, 100), packet_at(kBase + 130 * kNsPerMs, 1, 100),
               packet_at(kBase + 90 * kNsPerMs, 2, 100)});
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].totals.packets, 2u);
  EXPECT_EQ(closed[0].totals.flows, 2u);
  EXPECT_EQ(engine.stats().late_packets, 0u);
}

TEST(SnapshotEngine, StragglersBeyondTheWindowAreCountedNotDropped) {
  SnapshotConfig config;
  config.reorder_window_ns = 0;
  SnapshotEngine engine(config);
  // The 350 ms packet closes snapshots 0 and 100..200; the 20 ms packet is late and lands
  // in the oldest open snapshot (300 ms) flagged as late.
  auto closed =
      run(engine,
          {packet_at(kBase + 10 * kNsPerMs, 1, 100), packet_at(kBase + 350 * kNsPerMs, 1, 200),
           packet_at(kBase + 20 * kNsPerMs, 3, 300)},
          1);
  ASSERT_EQ(closed.size(), 2u);
  EXPECT_EQ(closed[0].totals.packets, 1u);
  EXPECT_EQ(closed[1].totals.start_ns, kBase + 300 * kNsPerMs);
  EXPECT_EQ(closed[1].totals.packets, 2u);
  EXPECT_EQ(closed[1].totals.bytes, 500u);
  EXPECT_EQ(engine.stats().late_packets, 1u);
  EXPECT_EQ(engine.stats().late_bytes, 300u);
  uint32_t late_in_docs = 0;
  for (const auto& shard : closed[1].shards) {
    for (const auto& r : shard) late_in_docs += r.counters.late_packets;
  }
  EXPECT_EQ(late_in_docs, 1u);
}

TEST(SnapshotEngine, CountsTcpFlagsSizesAndFlows) {
  SnapshotEngine engine(SnapshotConfig{});
  auto closed = run(engine, {packet_at(kBase + 1, 1, 60, 0x02), packet_at(kBase + 2, 1, 1500, 0x12),
                             packet_at(kBase + 3, 1, 800, 0x11), packet_at(kBase + 4, 2, 64)});
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].totals.flows, 2u);
  for (const auto& shard : closed[0].shards) {
    for (const auto& r : shard) {
      if (r.key.source_port != 1) continue;
      EXPECT_EQ(r.counters.tcp_flag_packets[kSyn], 2u);
      EXPECT_EQ(r.counters.tcp_flag_packets[kAck], 2u);
      EXPECT_EQ(r.counters.tcp_flag_packets[kFin], 1u);
      EXPECT_EQ(r.counters.size_min, 60u);
      EXPECT_EQ(r.counters.size_max, 1500u);
    }
  }
}

TEST(SnapshotEngine, LaterFragmentsJoinTheirFirstFragmentsFlow) {
  SnapshotEngine engine(SnapshotConfig{});
  DecodedPacket first = packet_at(kBase + 1, 9, 1500);
  first.fragment = DecodedPacket::kFirstFragment;
  first.ip_id = 4242;
  DecodedPacket later = packet_at(kBase + 2, 9, 700);
  later.key.source_port = later.key.destination_port = 0;
  later.key.flags = 0;
  later.hash = packet::flow_hash(later.key);
  later.fragment = DecodedPacket::kLaterFragment;
  later.ip_id = 4242;
  DecodedPacket orphan = later;
  orphan.ip_id = 999;
  auto closed = run(engine, {first, later, orphan});
  ASSERT_EQ(closed.size(), 1u);
  EXPECT_EQ(closed[0].totals.flows, 2u);  // the matched flow, and the orphan without ports
  EXPECT_EQ(engine.stats().fragments_matched, 1u);
  EXPECT_EQ(engine.stats().fragments_unmatched, 1u);
  for (const auto& shard : closed[0].shards) {
    for (const auto& r : shard) {
      if (r.key.source_port == 9) {
        EXPECT_EQ(r.counters.bytes, 2200u);
      }
    }
  }
}

// Parts (docs/decisions/0005-document-identity.md): what a part produces depends on its packets
// alone, and every document knows its input and its first record.
TEST(SnapshotEngine, EachPartStartsCleanAndNamesItsInputAndFirstRecords) {
  SnapshotConfig config;
  config.shard_count = 4;
  SnapshotEngine engine(config);
  pcap::PacketBatch batch = one_frame_batch();
  const pcap::PacketRecord frame = batch.records.front();
  batch.records.assign(8, frame);
  BatchPlan plan;
  DecodedBatch decoded;
  std::vector<ClosedSnapshot> out;
  const auto feed = [&](std::vector<DecodedPacket> packets, uint64_t first_record) {
    for (uint32_t i = 0; i < packets.size(); ++i) packets[i].record_index = i;
    batch.first_record_number = first_record;
    decoded.packets = std::move(packets);
    engine.prepare(decoded.packets, plan);
    for (uint32_t s = 0; s < engine.shard_count(); ++s)
      engine.aggregate_shard(s, plan, decoded, batch);
    engine.take_closed(plan, out);
  };
  pcap::InputId a{};
  pcap::InputId b{};
  a.fill(0xaa);
  b.fill(0xbb);
  engine.begin_part(a);
  // Part a runs to 450 ms: snapshots up to 300 ms close.
  feed({packet_at(kBase + 10 * kNsPerMs, 1, 100), packet_at(kBase + 20 * kNsPerMs, 2, 100),
        packet_at(kBase + 450 * kNsPerMs, 1, 100)},
       1);
  engine.take_all(out);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].totals.input, a);
  EXPECT_EQ(out[0].totals.first_record, 1u);
  EXPECT_EQ(out[1].totals.first_record, 3u);
  out.clear();
  // Part b begins with a packet at 50 ms: late after part a's watermark, but part b has its
  // own, so it counts in its own snapshot.
  engine.begin_part(b);
  feed({packet_at(kBase + 50 * kNsPerMs, 3, 70), packet_at(kBase + 60 * kNsPerMs, 3, 70),
        packet_at(kBase + 70 * kNsPerMs, 4, 70)},
       101);
  engine.take_all(out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].totals.start_ns, kBase);
  EXPECT_EQ(out[0].totals.input, b);
  EXPECT_EQ(out[0].totals.first_record, 101u);
  EXPECT_EQ(engine.stats().late_packets, 0u);
  std::map<uint64_t, uint64_t> first_by_packets;
  for (const auto& shard : out[0].shards) {
    for (const FlowRecord& r : shard)
      first_by_packets[r.counters.packets] = r.attributes.first_record;
  }
  EXPECT_EQ(first_by_packets, (std::map<uint64_t, uint64_t>{{2, 101}, {1, 103}}));
}

TEST(SnapshotEngine, ACoarsePartIsCutAtItsOwnInterval) {
  SnapshotEngine engine(SnapshotConfig{});
  engine.begin_part({}, PartMode{Resolution::kCoarse, base::kNsPerSec, 0});
  const std::vector<ClosedSnapshot> out = run(
      engine, {packet_at(kBase + 50 * kNsPerMs, 1, 100), packet_at(kBase + 950 * kNsPerMs, 1, 100),
               packet_at(kBase + 1050 * kNsPerMs, 1, 100)});
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].totals.start_ns, kBase);
  EXPECT_EQ(out[0].totals.interval_ns, base::kNsPerSec);
  EXPECT_EQ(out[0].totals.resolution, Resolution::kCoarse);
  EXPECT_EQ(out[0].totals.packets, 2u);
  EXPECT_EQ(out[1].totals.start_ns, kBase + base::kNsPerSec);
  // Back to full resolution in the next part.
  engine.begin_part({});
  const std::vector<ClosedSnapshot> fine = run(engine, {packet_at(kBase + 2050 * kNsPerMs, 1, 9)});
  ASSERT_EQ(fine.size(), 1u);
  EXPECT_EQ(fine[0].totals.interval_ns, kDefaultIntervalNs);
  EXPECT_EQ(fine[0].totals.resolution, Resolution::kFull);
}

// A model of what the engine must produce: per (shard, snapshot), one record per flow in the
// order its first packet was aggregated, counted packet by packet. The engine keeps flows in
// a table across snapshots, writes records out when flows move on, counts stragglers into
// older snapshots' records and reclaims idle entries; none of that may change a byte.
struct ModelRecord {
  packet::FlowKey key;
  FlowCounters counters;
  uint64_t first_record = 0;
};

void model_count(FlowCounters& c, const DecodedPacket& p) {
  if (c.packets == 0 || p.ts_ns < c.first_ts_ns) c.first_ts_ns = p.ts_ns;
  if (c.packets == 0 || p.ts_ns > c.last_ts_ns) c.last_ts_ns = p.ts_ns;
  ++c.packets;
  c.bytes += p.wire_length;
  c.size_min = std::min(c.size_min, p.wire_length);
  c.size_max = std::max(c.size_max, p.wire_length);
  for (int bit = 0; bit < kTcpFlagCount; ++bit)
    c.tcp_flag_packets[bit] += (p.tcp_flags >> bit) & 1u;
  if (p.late) {
    ++c.late_packets;
    c.late_bytes += p.wire_length;
  }
}

TEST(SnapshotEngine, MatchesASimpleModelUnderReorderingLatenessAndFlowChurn) {
  for (const int64_t interval_ms : {1, 3, 100}) {
    SnapshotConfig config;
    config.interval_ns = interval_ms * kNsPerMs;
    config.reorder_window_ns = 5 * kNsPerMs;  // up to 6 snapshots open at 1 ms
    config.shard_count = 4;
    SnapshotEngine engine(config);
    const uint32_t shards = engine.shard_count();
    std::mt19937_64 rng(static_cast<uint64_t>(interval_ms));
    // model[(start, shard)] = records in first-appearance order; index by key for counting
    std::map<std::pair<int64_t, uint32_t>, std::vector<ModelRecord>> model;
    std::map<std::pair<int64_t, uint32_t>, std::map<uint64_t, size_t>> where;
    std::vector<ClosedSnapshot> closed;
    const pcap::PacketBatch frames = [] {
      pcap::PacketBatch b = one_frame_batch();
      b.records.assign(512, b.records.front());
      return b;
    }();
    pcap::PacketBatch batch = frames;
    BatchPlan plan;
    DecodedBatch decoded;
    int64_t ts = kBase;
    uint64_t record_number = 1;
    for (int round = 0; round < 400; ++round) {
      const size_t n = 1 + rng() % 300;
      decoded.packets.clear();
      for (size_t i = 0; i < n; ++i) {
        ts += static_cast<int64_t>(rng() % (200 * 1000));
        // One flow carries a third of the packets (hundreds per snapshot: its 8-bit counters
        // fold), most others are few and recur, some come once (churn); a few packets are
        // reordered by up to 12 ms (stragglers of open snapshots, and late ones).
        const uint64_t r = rng() % 100;
        const auto flow = static_cast<uint16_t>(r < 33   ? 0
                                                : r < 75 ? rng() % 40
                                                         : 1000 + rng() % 60000);
        int64_t when = ts;
        if (rng() % 10 == 0) when -= static_cast<int64_t>(rng() % (12 * kNsPerMs));
        // Sizes across the 64 KiB boundary and near 2^32 (32-bit sums must carry).
        const uint32_t size = rng() % 50 == 0    ? 65530 + static_cast<uint32_t>(rng() % 12)
                              : rng() % 200 == 0 ? 4'000'000'000u
                                                 : 60 + static_cast<uint32_t>(rng() % 1400);
        DecodedPacket p = packet_at(when, flow, size, static_cast<uint8_t>(rng()));
        p.record_index = static_cast<uint32_t>(i);
        decoded.packets.push_back(p);
      }
      batch.first_record_number = record_number;
      record_number += n;
      engine.prepare(decoded.packets, plan);
      for (uint32_t s = 0; s < shards; ++s) engine.aggregate_shard(s, plan, decoded, batch);
      // The model counts what prepare() decided (snapshot, late), shard by shard.
      for (uint32_t s = 0; s < shards; ++s) {
        for (const DecodedPacket& p : decoded.packets) {
          if ((p.hash & (shards - 1)) != s) continue;
          const auto at = std::make_pair(p.snapshot_start_ns, s);
          auto [it, inserted] = where[at].try_emplace(p.hash, model[at].size());
          if (inserted) {
            ModelRecord& m = model[at].emplace_back();
            m.key = p.key;
            m.first_record = batch.first_record_number + p.record_index;
          }
          model_count(model[at][it->second].counters, p);
        }
      }
      engine.take_closed(plan, closed);
    }
    engine.take_all(closed);
    size_t compared = 0;
    for (const ClosedSnapshot& snapshot : closed) {
      for (uint32_t s = 0; s < shards; ++s) {
        const auto at = std::make_pair(snapshot.totals.start_ns, s);
        const std::vector<ModelRecord>& expected = model[at];
        const std::vector<FlowRecord>& got = snapshot.shards[s];
        ASSERT_EQ(got.size(), expected.size()) << "interval " << interval_ms << " ms";
        for (size_t i = 0; i < got.size(); ++i, ++compared) {
          const FlowCounters& a = got[i].counters;
          const FlowCounters& b = expected[i].counters;
          ASSERT_TRUE(got[i].key == expected[i].key) << i;
          EXPECT_EQ(got[i].attributes.first_record, expected[i].first_record);
          EXPECT_EQ(a.packets, b.packets);
          EXPECT_EQ(a.bytes, b.bytes);
          EXPECT_EQ(a.first_ts_ns, b.first_ts_ns);
          EXPECT_EQ(a.last_ts_ns, b.last_ts_ns);
          EXPECT_EQ(a.size_min, b.size_min);
          EXPECT_EQ(a.size_max, b.size_max);
          EXPECT_EQ(a.tcp_flag_packets, b.tcp_flag_packets);
          EXPECT_EQ(a.late_packets, b.late_packets);
          EXPECT_EQ(a.late_bytes, b.late_bytes);
        }
        model.erase(at);
      }
    }
    EXPECT_TRUE(model.empty()) << "every snapshot the model saw was closed";
    EXPECT_GT(compared, 10000u);
    EXPECT_GT(engine.stats().late_packets, 0u) << "the traffic must reach the late path";
  }
}

TEST(TopN, KeepsTheLargestAndFoldsTheRestExactly) {
  SnapshotEngine engine(SnapshotConfig{});
  std::vector<DecodedPacket> packets;
  for (uint16_t flow = 1; flow <= 10; ++flow) {
    for (int i = 0; i < flow; ++i) packets.push_back(packet_at(kBase + flow * 10 + i, flow, 100));
  }
  auto closed = run(engine, packets);
  ASSERT_EQ(closed.size(), 1u);
  const TopN top = select_top_n(closed[0], 3);
  ASSERT_EQ(top.kept.size(), 3u);
  EXPECT_EQ(top.kept[0]->key.source_port, 10);
  EXPECT_EQ(top.kept[2]->key.source_port, 8);
  EXPECT_EQ(top.other_flow_count, 7u);
  EXPECT_EQ(top.other.counters.packets, 28u);  // 1 + 2 + ... + 7
  EXPECT_EQ(top.other.counters.bytes, 2800u);
}

}  // namespace
}  // namespace snapflow::pcap2json
