// SnapshotEngine: the serial steps (watermark, snapshot assignment, fragments, shard plan) and
// closing snapshots. Counting per shard is in snapshot_shard.cc.
#include "snapflow/pcap2json/snapshot_engine.h"

#include <algorithm>
#include <bit>

#include "snapflow/base/time.h"

namespace snapflow::pcap2json {
namespace {

// Fragment state older than this is forgotten: IPv4 reassembly timeouts are 15-120 s.
constexpr int64_t kFragmentTimeoutNs = 60 * base::kNsPerSec;
constexpr size_t kMaxTrackedFragments = 1 << 16;

}  // namespace

size_t SnapshotEngine::FragmentIdHash::operator()(const FragmentId& id) const {
  return static_cast<size_t>(packet::flow_hash(id.key) ^
                             (uint64_t{id.ip_id} * 0x9e3779b97f4a7c15ULL));
}

SnapshotEngine::SnapshotEngine(const SnapshotConfig& config)
    : config_(config),
      shards_(std::bit_ceil(std::max<uint32_t>(config.shard_count, 1))),
      interval_ns_(config.interval_ns) {}

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
  plan.hashes.resize(packets.size());
  std::vector<uint32_t> cursor(plan.offsets.begin(), plan.offsets.end() - 1);
  for (uint32_t i = 0; i < packets.size(); ++i) {
    const uint32_t at = cursor[packets[i].hash & shard_mask]++;
    plan.order[at] = i;
    plan.hashes[at] = packets[i].hash;
  }
  // Expire fragment state by capture time, not wall time, so replays behave like live runs.
  while (!fragment_expiry_.empty() &&
         fragment_expiry_.front().first < watermark_ns_ - kFragmentTimeoutNs) {
    fragments_.erase(fragment_expiry_.front().second);
    fragment_expiry_.pop_front();
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
  // Peak memory is sampled when snapshots close (its high point), not every batch.
  uint64_t tables = 0;
  uint64_t records = 0;
  uint64_t entries = 0;
  for (const Shard& shard : shards_) {
    tables += shard.table.memory_bytes();
    entries += shard.table.size();
    for (const OpenSnapshot& s : shard.open) {
      records +=
          s.records.capacity() * sizeof(FlowRecord) + s.links.capacity() * sizeof(RecordLink);
    }
  }
  stats_.peak_flow_table_bytes = std::max(stats_.peak_flow_table_bytes, tables);
  stats_.peak_flow_table_entries = std::max(stats_.peak_flow_table_entries, entries);
  stats_.peak_flow_memory_bytes = std::max(stats_.peak_flow_memory_bytes, tables + records);

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
      complete(shard, *it);
      closed.totals.packets += it->packets;
      closed.totals.bytes += it->bytes;
      closed.totals.first_record = std::min(closed.totals.first_record, it->first_record);
      closed.totals.flows += it->records.size();
      shard.records_hint = it->records.size();
      closed.shards[i] = std::move(it->records);
      it->records.clear();
      it->links.clear();
      it->by_entry.clear();
      it->by_entry_built = false;
      shard.spare.push_back(std::move(*it));
      shard.open.erase(it);
    }
    stats_.snapshots += 1;
    stats_.flows += closed.totals.flows;
  }
}

void SnapshotEngine::recycle(std::vector<std::vector<FlowRecord>>& spares) {
  // Dealt round the shards (each shard owns its spares: aggregation runs shards in
  // parallel), up to enough for a shard's open snapshots twice over; the rest is freed.
  constexpr size_t kKeepPerShard = 4;
  for (std::vector<FlowRecord>& records : spares) {
    for (size_t tries = 0; tries < shards_.size(); ++tries) {
      Shard& shard = shards_[next_recycle_shard_];
      next_recycle_shard_ = (next_recycle_shard_ + 1) % shards_.size();
      if (shard.spare_records.size() < kKeepPerShard) {
        shard.spare_records.push_back(std::move(records));
        break;
      }
    }
  }
  spares.clear();
}

void SnapshotEngine::take_closed(std::vector<ClosedSnapshot>& out) {
  if (closed_before_ns_ != INT64_MIN) take_before(closed_before_ns_, out);
}

void SnapshotEngine::take_all(std::vector<ClosedSnapshot>& out) {
  take_before(INT64_MAX, out);
}

}  // namespace snapflow::pcap2json
