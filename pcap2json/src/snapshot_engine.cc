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
      shards_(std::bit_ceil(std::clamp<uint32_t>(config.shard_count, 1, kMaxShards))),
      interval_ns_(config.interval_ns) {}

bool SnapshotEngine::fix_fragment(DecodedPacket& p) {
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
    return false;
  }
  auto it = fragments_.find(id);
  if (it == fragments_.end()) {
    ++stats_.fragments_unmatched;
    return false;
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
  return true;
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

int64_t SnapshotEngine::interval_for(const PartMode& mode) const {
  return mode.resolution != Resolution::kFull && mode.interval_ns > 0 ? mode.interval_ns
                                                                      : config_.interval_ns;
}

void SnapshotEngine::begin_part(const pcap::InputId& input, const PartMode& mode) {
  input_ = input;
  mode_ = mode;
  interval_ns_ = interval_for(mode);
  watermark_ns_ = INT64_MIN;
  closed_before_ns_ = INT64_MIN;
  seen_packet_ = false;
  fragments_.clear();
  fragment_expiry_.clear();
}

namespace {

// Counting sort of packet indices by shard, keeping batch order within a shard.
void partition(std::span<const DecodedPacket> packets, uint32_t shards, BatchPlan& plan) {
  const uint32_t mask = shards - 1;
  plan.offsets.assign(shards + 1, 0);
  for (const DecodedPacket& p : packets) ++plan.offsets[(p.hash & mask) + 1];
  for (size_t s = 1; s < plan.offsets.size(); ++s) plan.offsets[s] += plan.offsets[s - 1];
  plan.order.resize(packets.size());
  plan.hashes.resize(packets.size());
  uint32_t cursor[kMaxShards];
  std::copy(plan.offsets.begin(), plan.offsets.end() - 1, cursor);
  for (uint32_t i = 0; i < packets.size(); ++i) {
    const uint32_t at = cursor[packets[i].hash & mask]++;
    plan.order[at] = i;
    plan.hashes[at] = packets[i].hash;
  }
}

void add_start(std::vector<int64_t>& starts, int64_t start) {
  if (std::find(starts.begin(), starts.end(), start) == starts.end()) starts.push_back(start);
}

}  // namespace

void SnapshotEngine::assign(std::span<DecodedPacket> packets, int64_t interval_ns,
                            const SnapshotConfig& config, BatchPlan& plan) {
  plan.packets = packets.size();
  plan.bytes = 0;
  plan.max_ts_ns = INT64_MIN;
  plan.min_start_ns = INT64_MAX;
  plan.starts.clear();
  plan.special.clear();
  plan.closing.clear();
  // The watermark and closing boundary as if the batch were the whole input so far: a packet
  // late against them is late whatever came before; settle() looks at the others only when
  // the batch reaches back before what earlier batches closed.
  const int64_t window = config.reorder_window_ns;
  bool seen = false;
  int64_t closed_before = INT64_MIN;
  for (uint32_t i = 0; i < packets.size(); ++i) {
    DecodedPacket& p = packets[i];
    plan.bytes += p.wire_length;
    if (!seen || p.ts_ns > plan.max_ts_ns) {
      plan.max_ts_ns = p.ts_ns;
      seen = true;
      if (p.ts_ns >= INT64_MIN + window) {
        closed_before = std::max(closed_before, base::align_down(p.ts_ns - window, interval_ns));
      }
    }
    p.snapshot_start_ns = base::align_down(p.ts_ns, interval_ns);
    p.late = p.snapshot_start_ns < closed_before;
    if (p.late) {
      p.snapshot_start_ns = closed_before;  // settle() raises it to the run's boundary
    } else {
      plan.min_start_ns = std::min(plan.min_start_ns, p.snapshot_start_ns);
      if (plan.starts.empty() || plan.starts.back() != p.snapshot_start_ns) {
        add_start(plan.starts, p.snapshot_start_ns);
      }
    }
    if (p.late || p.fragment != DecodedPacket::kNotFragment) plan.special.push_back(i);
  }
  const uint32_t shards = std::bit_ceil(std::clamp<uint32_t>(config.shard_count, 1, kMaxShards));
  partition(packets, shards, plan);
}

void SnapshotEngine::settle(std::span<DecodedPacket> packets, BatchPlan& plan) {
  plan.closing.clear();
  if (packets.empty()) return;
  // Lateness against everything before the batch: what assign() found late counts in the
  // oldest snapshot still open at that packet; a batch reaching back before the boundary
  // earlier batches closed has every packet looked at again.
  const int64_t before = closed_before_ns_;
  const auto count_late = [&](DecodedPacket& p) {
    ++stats_.late_packets;
    stats_.late_bytes += p.wire_length;
    add_start(open_starts_, p.snapshot_start_ns);
  };
  if (plan.min_start_ns < before) {
    plan.starts.clear();
    for (DecodedPacket& p : packets) {
      if (!p.late && p.snapshot_start_ns < before) {
        p.late = true;
        p.snapshot_start_ns = before;
      } else if (p.late) {
        p.snapshot_start_ns = std::max(before, p.snapshot_start_ns);
      } else {
        add_start(plan.starts, p.snapshot_start_ns);
      }
      if (p.late) count_late(p);
    }
  } else {
    for (const uint32_t i : plan.special) {
      DecodedPacket& p = packets[i];
      if (!p.late) continue;
      p.snapshot_start_ns = std::max(before, p.snapshot_start_ns);
      count_late(p);
    }
  }
  bool moved = false;
  for (const uint32_t i : plan.special) {
    if (packets[i].fragment != DecodedPacket::kNotFragment) moved |= fix_fragment(packets[i]);
  }
  if (moved) partition(packets, shard_count(), plan);  // a matched fragment's key changed
  advance_watermark(plan.max_ts_ns);
  stats_.packets += plan.packets;
  stats_.bytes += plan.bytes;
  for (const int64_t start : plan.starts) add_start(open_starts_, start);
  // Expire fragment state by capture time, not wall time, so replays behave like live runs.
  while (!fragment_expiry_.empty() &&
         fragment_expiry_.front().first < watermark_ns_ - kFragmentTimeoutNs) {
    fragments_.erase(fragment_expiry_.front().second);
    fragment_expiry_.pop_front();
  }
  // The snapshots the watermark has passed close after this batch.
  std::sort(open_starts_.begin(), open_starts_.end());
  const auto end = std::lower_bound(open_starts_.begin(), open_starts_.end(), closed_before_ns_);
  plan.closing.assign(open_starts_.begin(), end);
  open_starts_.erase(open_starts_.begin(), end);
  size_parts(plan);
  plan.input = input_;
  plan.interval_ns = interval_ns_;
  plan.mode = mode_;
}

void SnapshotEngine::close_shard(uint32_t shard_index, BatchPlan& plan) {
  Shard& shard = shards_[shard_index];
  // Memory is sampled when snapshots close (its high point), not every batch.
  plan.shard_table_bytes[shard_index] = shard.table.memory_bytes();
  plan.shard_entries[shard_index] = shard.table.size();
  uint64_t records = 0;
  for (const OpenSnapshot& s : shard.open) {
    records += s.records.capacity() * sizeof(FlowRecord) + s.links.capacity() * sizeof(RecordLink);
  }
  plan.shard_records_bytes[shard_index] = records;
  for (size_t c = 0; c < plan.closing.size(); ++c) {
    auto it = std::find_if(shard.open.begin(), shard.open.end(),
                           [&](const OpenSnapshot& s) { return s.start_ns == plan.closing[c]; });
    if (it == shard.open.end()) continue;
    complete(shard, *it);
    BatchPlan::Part& part = plan.parts[shard_index][c];
    part.present = true;
    part.packets = it->packets;
    part.bytes = it->bytes;
    part.first_record = it->first_record;
    shard.records_hint = it->records.size();
    part.records = std::move(it->records);
    it->records.clear();
    it->links.clear();
    it->by_entry.clear();
    it->by_entry_built = false;
    shard.spare.push_back(std::move(*it));
    shard.open.erase(it);
  }
}

void SnapshotEngine::assemble(BatchPlan& plan, std::vector<ClosedSnapshot>& out) {
  if (plan.closing.empty()) return;
  uint64_t tables = 0;
  uint64_t records = 0;
  uint64_t entries = 0;
  for (uint32_t s = 0; s < shard_count(); ++s) {
    tables += plan.shard_table_bytes[s];
    records += plan.shard_records_bytes[s];
    entries += plan.shard_entries[s];
  }
  stats_.peak_flow_table_bytes = std::max(stats_.peak_flow_table_bytes, tables);
  stats_.peak_flow_table_entries = std::max(stats_.peak_flow_table_entries, entries);
  stats_.peak_flow_memory_bytes = std::max(stats_.peak_flow_memory_bytes, tables + records);
  for (size_t c = 0; c < plan.closing.size(); ++c) {
    ClosedSnapshot& closed = out.emplace_back();
    closed.totals.start_ns = plan.closing[c];
    closed.totals.interval_ns = plan.interval_ns;
    closed.totals.resolution = plan.mode.resolution;
    closed.totals.top_n = plan.mode.top_n;
    closed.totals.input = plan.input;
    closed.totals.first_record = UINT64_MAX;
    closed.shards.resize(shards_.size());
    for (uint32_t s = 0; s < shard_count(); ++s) {
      BatchPlan::Part& part = plan.parts[s][c];
      if (!part.present) continue;
      closed.totals.packets += part.packets;
      closed.totals.bytes += part.bytes;
      closed.totals.first_record = std::min(closed.totals.first_record, part.first_record);
      closed.totals.flows += part.records.size();
      closed.shards[s] = std::move(part.records);
    }
    stats_.snapshots += 1;
    stats_.flows += closed.totals.flows;
  }
  plan.closing.clear();
}

void SnapshotEngine::take_closed(BatchPlan& plan, std::vector<ClosedSnapshot>& out) {
  assemble(plan, out);
}

void SnapshotEngine::recycle(std::vector<std::vector<FlowRecord>>& spares) {
  // Enough for every shard's open snapshots twice over; the rest is freed.
  const size_t keep = 4 * shards_.size();
  std::lock_guard lock(spare_records_mu_);
  for (std::vector<FlowRecord>& records : spares) {
    if (spare_records_.size() >= keep) break;
    spare_records_.push_back(std::move(records));
  }
  spares.clear();
}

void SnapshotEngine::take_all(std::vector<ClosedSnapshot>& out) {
  std::sort(open_starts_.begin(), open_starts_.end());
  BatchPlan& plan = final_plan_;
  plan.closing = std::move(open_starts_);
  open_starts_.clear();
  size_parts(plan);
  plan.input = input_;
  plan.interval_ns = interval_ns_;
  plan.mode = mode_;
  for (uint32_t s = 0; s < shard_count(); ++s) close_shard(s, plan);
  assemble(plan, out);
}

void SnapshotEngine::size_parts(BatchPlan& plan) const {
  plan.parts.resize(shard_count());
  for (auto& parts : plan.parts) parts.assign(plan.closing.size(), {});
  plan.shard_table_bytes.assign(shard_count(), 0);
  plan.shard_records_bytes.assign(shard_count(), 0);
  plan.shard_entries.assign(shard_count(), 0);
}

}  // namespace snapflow::pcap2json
