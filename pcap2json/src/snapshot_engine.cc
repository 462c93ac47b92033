#include "snapflow/pcap2json/snapshot_engine.h"

#include <algorithm>
#include <bit>

#include "snapflow/base/time.h"

namespace snapflow::pcap2json {
namespace {

// Fragment state older than this is forgotten: IPv4 reassembly timeouts are 15-120 s.
constexpr int64_t kFragmentTimeoutNs = 60 * base::kNsPerSec;
constexpr size_t kMaxTrackedFragments = 1 << 16;

void count_packet(FlowCounters& c, const DecodedPacket& p) {
  if (c.packets == 0 || p.ts_ns < c.first_ts_ns) c.first_ts_ns = p.ts_ns;
  if (c.packets == 0 || p.ts_ns > c.last_ts_ns) c.last_ts_ns = p.ts_ns;
  ++c.packets;
  c.bytes += p.wire_length;
  c.size_min = std::min(c.size_min, p.wire_length);
  c.size_max = std::max(c.size_max, p.wire_length);
  if (p.tcp_flags != 0) {
    for (int bit = 0; bit < kTcpFlagCount; ++bit)
      c.tcp_flag_packets[bit] += (p.tcp_flags >> bit) & 1u;
  }
  if (p.late) {
    ++c.late_packets;
    c.late_bytes += p.wire_length;
  }
}

}  // namespace

size_t SnapshotEngine::FragmentIdHash::operator()(const FragmentId& id) const {
  return static_cast<size_t>(packet::flow_hash(id.key) ^
                             (uint64_t{id.ip_id} * 0x9e3779b97f4a7c15ULL));
}

SnapshotEngine::SnapshotEngine(const SnapshotConfig& config)
    : config_(config),
      shards_(std::bit_ceil(std::max<uint32_t>(config.shard_count, 1))),
      interval_ns_(config.interval_ns) {}

SnapshotEngine::OpenSnapshot& SnapshotEngine::Shard::snapshot_for(int64_t start_ns) {
  for (OpenSnapshot& s : open) {
    if (s.start_ns == start_ns) return s;
  }
  OpenSnapshot& s = open.emplace_back();
  s.start_ns = start_ns;
  if (!spare.empty()) {
    s.table = std::move(spare.back());
    spare.pop_back();
  }
  return s;
}

void SnapshotEngine::fix_fragment(DecodedPacket& p) {
  FragmentId id{p.key, p.ip_id};
  id.key.source_port = id.key.destination_port = 0;
  id.key.flags &= static_cast<uint8_t>(~(packet::FlowKey::kHasPorts | packet::FlowKey::kHasIcmp));
  if (p.fragment == DecodedPacket::kFirstFragment) {
    if (fragments_.size() >= kMaxTrackedFragments) {
      fragments_.erase(fragment_expiry_.front().second);
      fragment_expiry_.pop_front();
    }
    auto [it, inserted] = fragments_.try_emplace(
        id, FragmentPorts{p.key.source_port, p.key.destination_port, p.ts_ns});
    if (inserted) fragment_expiry_.emplace_back(p.ts_ns, id);
    return;
  }
  auto it = fragments_.find(id);
  if (it == fragments_.end()) {
    ++stats_.fragments_unmatched;
    return;
  }
  ++stats_.fragments_matched;
  p.key.source_port = it->second.source_port;
  p.key.destination_port = it->second.destination_port;
  // The first fragment's key decides whether the ports are ports or ICMP type/code.
  p.key.flags =
      static_cast<uint8_t>(p.key.flags | (p.key.ip_protocol == 1 || p.key.ip_protocol == 58
                                              ? packet::FlowKey::kHasIcmp
                                              : packet::FlowKey::kHasPorts));
  p.hash = packet::flow_hash(p.key);
}

void SnapshotEngine::advance_watermark(int64_t ts_ns) {
  if (seen_packet_ && ts_ns <= watermark_ns_) return;
  watermark_ns_ = ts_ns;
  seen_packet_ = true;
  // Saturate: a timestamp near INT64_MIN must not wrap the closing boundary.
  if (watermark_ns_ < INT64_MIN + config_.reorder_window_ns) return;
  const int64_t horizon = watermark_ns_ - config_.reorder_window_ns;
  closed_before_ns_ = std::max(closed_before_ns_, base::align_down(horizon, interval_ns_));
}

std::string_view to_string(Resolution resolution) {
  switch (resolution) {
    case Resolution::kFull:
      return "full";
    case Resolution::kCoarse:
      return "coarse";
    case Resolution::kCoarseTopFlows:
      return "coarse_top_flows";
  }
  return "full";
}

void SnapshotEngine::begin_part(const pcap::InputId& input, const PartMode& mode) {
  input_ = input;
  mode_ = mode;
  interval_ns_ = mode.resolution != Resolution::kFull && mode.interval_ns > 0 ? mode.interval_ns
                                                                              : config_.interval_ns;
  watermark_ns_ = INT64_MIN;
  closed_before_ns_ = INT64_MIN;
  seen_packet_ = false;
  fragments_.clear();
  fragment_expiry_.clear();
}

void SnapshotEngine::prepare(std::span<DecodedPacket> packets, ShardPlan& plan) {
  const int64_t interval = interval_ns_;
  const uint32_t shard_mask = shard_count() - 1;
  plan.offsets.assign(shard_count() + 1, 0);
  for (DecodedPacket& p : packets) {
    advance_watermark(p.ts_ns);
    p.snapshot_start_ns = base::align_down(p.ts_ns, interval);
    if (p.snapshot_start_ns < closed_before_ns_) {
      p.late = true;
      p.snapshot_start_ns = closed_before_ns_;
      ++stats_.late_packets;
      stats_.late_bytes += p.wire_length;
    }
    if (p.fragment != DecodedPacket::kNotFragment) fix_fragment(p);
    stats_.packets += 1;
    stats_.bytes += p.wire_length;
    ++plan.offsets[(p.hash & shard_mask) + 1];
  }
  // Counting sort of packet indices by shard, keeping batch order within a shard.
  for (size_t s = 1; s < plan.offsets.size(); ++s) plan.offsets[s] += plan.offsets[s - 1];
  plan.order.resize(packets.size());
  std::vector<uint32_t> cursor(plan.offsets.begin(), plan.offsets.end() - 1);
  for (uint32_t i = 0; i < packets.size(); ++i) {
    plan.order[cursor[packets[i].hash & shard_mask]++] = i;
  }
  // Expire fragment state by capture time, not wall time, so replays behave like live runs.
  while (!fragment_expiry_.empty() &&
         fragment_expiry_.front().first < watermark_ns_ - kFragmentTimeoutNs) {
    fragments_.erase(fragment_expiry_.front().second);
    fragment_expiry_.pop_front();
  }
}

void SnapshotEngine::aggregate_shard(uint32_t shard_index, const ShardPlan& plan,
                                     const DecodedBatch& decoded, const pcap::PacketBatch& batch) {
  const std::vector<DecodedPacket>& packets = decoded.packets;
  Shard& shard = shards_[shard_index];
  const uint32_t begin = plan.offsets[shard_index];
  const uint32_t end = plan.offsets[shard_index + 1];
  // Slots are fetched 16 packets ahead and records 8 ahead (see FlowTable::prefetch_*).
  constexpr uint32_t kSlotPrefetchDistance = 64;
  constexpr uint32_t kRecordPrefetchDistance = 32;
  OpenSnapshot* current = nullptr;
  for (uint32_t i = begin; i < end; ++i) {
    const DecodedPacket& p = packets[plan.order[i]];
    if (current == nullptr || current->start_ns != p.snapshot_start_ns) {
      current = &shard.snapshot_for(p.snapshot_start_ns);
    }
    if (i + kSlotPrefetchDistance < end) {
      current->table.prefetch_slot(packets[plan.order[i + kSlotPrefetchDistance]].hash);
    }
    if (i + kRecordPrefetchDistance < end) {
      current->table.prefetch_record(packets[plan.order[i + kRecordPrefetchDistance]].hash);
    }
    bool inserted = false;
    FlowRecord& record = current->table.find_or_insert(p.key, p.hash, inserted);
    if (inserted) {
      // Descriptive fields come from the flow's first packet: the decode stage left them in
      // the frame (fast path) or in the batch's attribute list.
      decoded.attributes_of(p, batch, record.attributes);
      // A snapshot's first packet in this shard is always some flow's first packet, so the
      // minimum over new flows is the snapshot's first record.
      record.attributes.first_record = batch.first_record_number + p.record_index;
      current->first_record = std::min(current->first_record, record.attributes.first_record);
    }
    count_packet(record.counters, p);
    ++current->packets;
    current->bytes += p.wire_length;
  }
}

void SnapshotEngine::take_before(int64_t limit_ns, std::vector<ClosedSnapshot>& out) {
  // Gather the distinct closing starts across shards, oldest first.
  std::vector<int64_t> starts;
  for (const Shard& shard : shards_) {
    for (const OpenSnapshot& s : shard.open) {
      if (s.start_ns < limit_ns) starts.push_back(s.start_ns);
    }
  }
  if (starts.empty()) return;
  std::sort(starts.begin(), starts.end());
  starts.erase(std::unique(starts.begin(), starts.end()), starts.end());
  // Peak table memory is sampled when snapshots close (its high point), not every batch.
  uint64_t memory = 0;
  for (const Shard& shard : shards_) {
    for (const OpenSnapshot& s : shard.open) memory += s.table.memory_bytes();
  }
  stats_.peak_flow_memory_bytes = std::max(stats_.peak_flow_memory_bytes, memory);

  for (const int64_t start : starts) {
    ClosedSnapshot& closed = out.emplace_back();
    closed.totals.start_ns = start;
    closed.totals.interval_ns = interval_ns_;
    closed.totals.resolution = mode_.resolution;
    closed.totals.top_n = mode_.top_n;
    closed.totals.input = input_;
    closed.totals.first_record = UINT64_MAX;
    closed.shards.resize(shards_.size());
    for (size_t i = 0; i < shards_.size(); ++i) {
      Shard& shard = shards_[i];
      auto it = std::find_if(shard.open.begin(), shard.open.end(),
                             [start](const OpenSnapshot& s) { return s.start_ns == start; });
      if (it == shard.open.end()) continue;
      closed.totals.packets += it->packets;
      closed.totals.bytes += it->bytes;
      closed.totals.first_record = std::min(closed.totals.first_record, it->first_record);
      closed.shards[i] = it->table.take_records();
      closed.totals.flows += closed.shards[i].size();
      shard.spare.push_back(std::move(it->table));
      shard.open.erase(it);
    }
    stats_.snapshots += 1;
    stats_.flows += closed.totals.flows;
  }
}

void SnapshotEngine::take_closed(std::vector<ClosedSnapshot>& out) {
  if (closed_before_ns_ != INT64_MIN) take_before(closed_before_ns_, out);
}

void SnapshotEngine::take_all(std::vector<ClosedSnapshot>& out) {
  take_before(INT64_MAX, out);
}

}  // namespace snapflow::pcap2json
