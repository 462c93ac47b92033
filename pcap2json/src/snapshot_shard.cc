// SnapshotEngine::aggregate_shard(): counting one shard's packets of a batch, and completing a
// shard's records when their snapshot closes. The per-packet path touches the packet, one
// slot and one flow-table entry; records are touched on a flow's first packet in a snapshot
// and on rare events (see flow_table.h).
#include <algorithm>
#include <array>

#include "snapflow/pcap2json/snapshot_engine.h"

namespace snapflow::pcap2json {
namespace {

using Entry = FlowTable::Entry;
constexpr uint32_t kSmallFrame = 0xffff;  ///< frames below this size count in the entry
constexpr uint32_t kNoRecord = UINT32_MAX;

// Eight 8-bit counters in one word: byte b of kFlagLanes[f] is 1 when flag bit b is set in f,
// so one addition counts every flag of a packet (an entry's lanes fold before they can carry).
constexpr std::array<uint64_t, 256> kFlagLanes = [] {
  std::array<uint64_t, 256> lanes{};
  for (unsigned flags = 0; flags < 256; ++flags) {
    for (unsigned bit = 0; bit < 8; ++bit) {
      if (((flags >> bit) & 1u) != 0) lanes[flags] |= uint64_t{1} << (8 * bit);
    }
  }
  return lanes;
}();

void add_flag_lanes(FlowCounters& c, uint64_t lanes) {
  for (int bit = 0; bit < kTcpFlagCount; ++bit) {
    c.tcp_flag_packets[bit] += static_cast<uint32_t>((lanes >> (8 * bit)) & 0xff);
  }
}

// Counts a packet straight into a complete record (a straggler of an older snapshot).
void count_in_record(FlowCounters& c, const DecodedPacket& p) {
  if (c.packets == 0 || p.ts_ns < c.first_ts_ns) c.first_ts_ns = p.ts_ns;
  if (c.packets == 0 || p.ts_ns > c.last_ts_ns) c.last_ts_ns = p.ts_ns;
  ++c.packets;
  c.bytes += p.wire_length;
  c.size_min = std::min(c.size_min, p.wire_length);
  c.size_max = std::max(c.size_max, p.wire_length);
  add_flag_lanes(c, kFlagLanes[p.tcp_flags]);
  if (p.late) {
    ++c.late_packets;
    c.late_bytes += p.wire_length;
  }
}

void start_counting(Entry& e) {
  e.packets = 0;
  e.bytes = 0;
  e.tcp_flags = 0;
  e.first_ts_ns = INT64_MAX;
  e.last_ts_ns = INT64_MIN;
  e.size_min = kSmallFrame;
  e.size_max = 0;
}

// Moves the 8-bit packet and flag counters into the record before they could wrap.
void fold(Entry& e, FlowCounters& c) {
  c.packets += e.packets;
  add_flag_lanes(c, e.tcp_flags);
  e.packets = 0;
  e.tcp_flags = 0;
}

// Writes what the entry counted into its record, which is complete from then on (stragglers
// are counted into it directly). Once per record: when its flow moves on to a newer snapshot
// or its snapshot closes. Until then the record holds no times (only folded counts, frames of
// 64 KiB or more, and late counts).
void write_out(Entry& e, FlowCounters& c) {
  fold(e, c);
  c.bytes += e.bytes;
  e.bytes = 0;
  c.first_ts_ns = e.first_ts_ns;
  c.last_ts_ns = e.last_ts_ns;
  if (e.size_min <= e.size_max) {
    c.size_min = std::min<uint32_t>(c.size_min, e.size_min);
    c.size_max = std::max<uint32_t>(c.size_max, e.size_max);
  }
}

// The per-packet work: no branch taken in the common case.
inline void count_in_entry(Entry& e, const DecodedPacket& p, std::vector<FlowRecord>& records) {
  const uint32_t wire = p.wire_length;
  if (e.bytes > UINT32_MAX - wire) [[unlikely]] {
    records[e.record].counters.bytes += e.bytes;
    e.bytes = 0;
  }
  e.bytes += wire;
  e.first_ts_ns = std::min(e.first_ts_ns, p.ts_ns);
  e.last_ts_ns = std::max(e.last_ts_ns, p.ts_ns);
  if (wire < kSmallFrame) [[likely]] {
    e.size_min = std::min(e.size_min, static_cast<uint16_t>(wire));
    e.size_max = std::max(e.size_max, static_cast<uint16_t>(wire));
  } else {
    FlowCounters& c = records[e.record].counters;
    c.size_min = std::min(c.size_min, wire);
    c.size_max = std::max(c.size_max, wire);
  }
  e.tcp_flags += kFlagLanes[p.tcp_flags];
  if (++e.packets == FlowTable::kFoldPackets) [[unlikely]]
    fold(e, records[e.record].counters);
  if (p.late) [[unlikely]] {
    FlowCounters& c = records[e.record].counters;
    ++c.late_packets;
    c.late_bytes += wire;
  }
}

}  // namespace

struct SnapshotEngine::Context {
  Shard& shard;
  const DecodedBatch& decoded;
  const pcap::PacketBatch& batch;

  // Appends the flow's record to snapshot s (its first packet there is p).
  uint32_t new_record(OpenSnapshot& s, uint32_t entry, const DecodedPacket& p,
                      RecordLink link) const {
    const auto index = static_cast<uint32_t>(s.records.size());
    FlowRecord& record = s.records.emplace_back();
    record.key = p.key;
    record.hash = p.hash;
    decoded.attributes_of(p, batch, record.attributes);
    record.attributes.first_record = batch.first_record_number + p.record_index;
    s.first_record = std::min(s.first_record, record.attributes.first_record);
    link.entry = entry;
    s.links.push_back(link);
    if (s.by_entry_built) s.by_entry.emplace(entry, index);
    return index;
  }

  // The flow's record in s, an older open snapshot than the one its entry counts in `current`
  // (record `record`): along the links from newer to older records, else by entry; kNoRecord
  // if the flow has none there yet.
  uint32_t find_older_record(OpenSnapshot& s, uint32_t entry, OpenSnapshot* current,
                             uint32_t record) const {
    while (current != nullptr) {
      const RecordLink& link = current->links[record];
      if (link.previous_generation == s.generation) return link.previous_record;
      OpenSnapshot* previous = shard.open_with_generation(link.previous_generation);
      if (previous == nullptr || previous->start_ns < s.start_ns) break;
      current = previous;
      record = link.previous_record;
    }
    if (!s.by_entry_built) {
      s.by_entry.reserve(s.links.size());
      for (uint32_t i = 0; i < s.links.size(); ++i) s.by_entry.emplace(s.links[i].entry, i);
      s.by_entry_built = true;
    }
    const auto it = s.by_entry.find(entry);
    return it == s.by_entry.end() ? kNoRecord : it->second;
  }
};

SnapshotEngine::OpenSnapshot* SnapshotEngine::Shard::open_with_generation(uint32_t generation) {
  if (generation == 0) return nullptr;
  for (OpenSnapshot& s : open) {
    if (s.generation == generation) return &s;
  }
  return nullptr;
}

SnapshotEngine::OpenSnapshot& SnapshotEngine::snapshot_for(Shard& shard, int64_t start_ns) {
  std::vector<OpenSnapshot>& open = shard.open;
  std::vector<OpenSnapshot>& spare = shard.spare;
  for (OpenSnapshot& s : open) {
    if (s.start_ns == start_ns) return s;
  }
  // Every entry counts in an open snapshot (closing releases the others), so after 2^32
  // snapshots the numbers start over without meeting a stale one; 0 stays "none".
  if (shard.next_generation == 0) shard.next_generation = 1;
  OpenSnapshot& s = open.emplace_back();
  if (!spare.empty()) {
    s = std::move(spare.back());
    spare.pop_back();
  }
  s.start_ns = start_ns;
  s.generation = shard.next_generation++;
  s.packets = s.bytes = 0;
  s.first_record = UINT64_MAX;
  {
    std::lock_guard lock(spare_records_mu_);
    if (!spare_records_.empty()) {
      s.records = std::move(spare_records_.back());
      spare_records_.pop_back();
    }
  }
  s.records.reserve(shard.records_hint);
  return s;
}

void SnapshotEngine::aggregate_shard(uint32_t shard_index, BatchPlan& plan,
                                     const DecodedBatch& decoded, const pcap::PacketBatch& batch) {
  Shard& shard = shards_[shard_index];
  FlowTable& table = shard.table;
  const Context context{shard, decoded, batch};
  const DecodedPacket* packets = decoded.packets.data();
  const uint32_t* order = plan.order.data();
  const uint64_t* hashes = plan.hashes.data();
  const uint32_t begin = plan.offsets[shard_index];
  const uint32_t end = plan.offsets[shard_index + 1];
  // Slots are fetched kSlotAhead packets ahead, then entries (and the packets themselves)
  // kEntryAhead ahead, once their slot is cached; the first ones before the loop starts.
  constexpr uint32_t kSlotAhead = 24;
  constexpr uint32_t kEntryAhead = 12;
  constexpr uint32_t kFrameAhead = 6;
  for (uint32_t i = begin; i < std::min(end, begin + kSlotAhead); ++i)
    table.prefetch_slot(hashes[i]);
  for (uint32_t i = begin; i < std::min(end, begin + kEntryAhead); ++i) {
    table.prefetch_entry(hashes[i]);
  }
  OpenSnapshot* current = nullptr;
  for (uint32_t i = begin; i < end; ++i) {
    if (i + kSlotAhead < end) table.prefetch_slot(hashes[i + kSlotAhead]);
    if (i + kEntryAhead < end) {
      table.prefetch_entry(hashes[i + kEntryAhead]);
      __builtin_prefetch(&packets[order[i + kEntryAhead]]);
      __builtin_prefetch(reinterpret_cast<const char*>(&packets[order[i + kEntryAhead]]) + 64);
    }
    if (i + kFrameAhead < end) {
      // A flow's first packet in a snapshot gives its record the MACs from the frame.
      const DecodedPacket& ahead = packets[order[i + kFrameAhead]];
      __builtin_prefetch(batch.records[ahead.record_index].data + ahead.mac_offset);
    }
    const DecodedPacket& p = packets[order[i]];
    if (current == nullptr || current->start_ns != p.snapshot_start_ns) {
      current = &snapshot_for(shard, p.snapshot_start_ns);
    }
    bool inserted = false;
    const uint32_t index = table.find_or_insert(p.key, p.hash, inserted);
    Entry& e = table.entry(index);
    current->packets += 1;
    current->bytes += p.wire_length;
    if (e.generation != current->generation) {
      // The flow's first packet in this snapshot, or a packet of an older open snapshot than
      // the one its entry counts in.
      OpenSnapshot* counting = shard.open_with_generation(e.generation);
      RecordLink link{index, 0, 0};
      if (counting != nullptr && counting->start_ns > current->start_ns) {
        uint32_t record = context.find_older_record(*current, index, counting, e.record);
        if (record == kNoRecord) record = context.new_record(*current, index, p, link);
        count_in_record(current->records[record].counters, p);
        continue;
      }
      if (counting != nullptr) {
        // It moves on to this snapshot while its older one is still open.
        write_out(e, counting->records[e.record].counters);
        link.previous_generation = counting->generation;
        link.previous_record = e.record;
      }
      e.record = context.new_record(*current, index, p, link);
      e.generation = current->generation;
      start_counting(e);
    }
    count_in_entry(e, p, current->records);
  }
  if (!plan.closing.empty()) close_shard(shard_index, plan);
}

void SnapshotEngine::complete(Shard& shard, OpenSnapshot& snapshot) {
  FlowTable& table = shard.table;
  // Entries are fetched 16 records ahead and their slots 8 ahead, once the entry is cached.
  constexpr uint32_t kEntryAhead = 16;
  constexpr uint32_t kSlotAhead = 8;
  const auto count = static_cast<uint32_t>(snapshot.records.size());
  const auto current = [&](uint32_t i) {
    const Entry& e = table.entry(snapshot.links[i].entry);
    return e.generation == snapshot.generation && e.record == i;
  };
  for (uint32_t i = 0; i < count; ++i) {
    if (i + kEntryAhead < count) {
      const auto* line =
          reinterpret_cast<const char*>(&table.entry(snapshot.links[i + kEntryAhead].entry));
      __builtin_prefetch(line);
      __builtin_prefetch(line + 64);
      __builtin_prefetch(&snapshot.records[i + kEntryAhead].counters);
    }
    if (i + kSlotAhead < count && current(i + kSlotAhead)) {
      table.prefetch_slot_of(snapshot.links[i + kSlotAhead].entry);
    }
    // A flow already counting in a newer snapshot keeps its entry (its record here is
    // complete); the others are written out and leave the table.
    if (!current(i)) continue;
    const uint32_t index = snapshot.links[i].entry;
    write_out(table.entry(index), snapshot.records[i].counters);
    table.release(index);
  }
}

}  // namespace snapflow::pcap2json
