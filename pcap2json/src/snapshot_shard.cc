// SnapshotEngine::aggregate_shard(): counting one shard's packets of a batch, and completing a
// shard's records when their snapshot closes. The per-packet path touches the packet, one
// slot and one flow-table entry (one cache line: the flow's keyed id stands in for its key,
// decision 0059); records are touched on a flow's first packet in a snapshot
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
void count_in_record(FlowCounters& c, const HotPacket& p) {
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
inline void count_in_entry(Entry& e, const HotPacket& p, std::vector<FlowRecord>& records) {
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

// The table grew and moved its entries: the records' links follow them, and the indexes by
// entry are built again when a straggler next needs one.
void SnapshotEngine::Shard::follow_moved_entries() {
  for (OpenSnapshot& s : open) {
    for (RecordLink& link : s.links) {
      if (link.entry != FlowTable::kMoved) link.entry = table.new_index(link.entry);
    }
    s.by_entry.clear();
    s.by_entry_built = false;
  }
  table.clear_moved();
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
  const HotPacket* hot = plan.hot.data();
  const uint32_t begin = plan.offsets[shard_index];
  const uint32_t end = plan.offsets[shard_index + 1];
  // The hot packets are read in order. Entries are fetched kEntryAhead packets ahead (the first
  // ones before the loop starts); kRecordAhead ahead, with the entry cached, a flow about to
  // start a record in a snapshot gets its packet (key, fields) and the record it writes out
  // fetched too: a random place among the open snapshots' records.
  // kFrameAhead packets ahead, such a flow's frame (its MACs) once the packet is cached.
  constexpr uint32_t kEntryAhead = 16;
  constexpr uint32_t kRecordAhead = 6;
  constexpr uint32_t kFrameAhead = 3;
  uint32_t starts_record = 0;  // bit j: packet i + j is about to start a record (as seen ahead)
  for (uint32_t i = begin; i < std::min(end, begin + kEntryAhead); ++i) table.prefetch(hot[i].id);
  OpenSnapshot* current = nullptr;
  for (uint32_t i = begin; i < end; ++i) {
    if (i + kEntryAhead < end) table.prefetch(hot[i + kEntryAhead].id);
    starts_record >>= 1;
    if (i + kFrameAhead < end && (starts_record & (1u << kFrameAhead)) != 0) {
      const DecodedPacket& ahead = packets[order[i + kFrameAhead]];
      __builtin_prefetch(batch.records[ahead.record_index].data + ahead.mac_offset);
    }
    if (i + kRecordAhead < end) {
      const HotPacket& ahead = hot[i + kRecordAhead];
      const Entry* e = table.peek(ahead.id);
      const OpenSnapshot* counting =
          e != nullptr && e->generation != 0 ? shard.open_with_generation(e->generation) : nullptr;
      if (counting == nullptr || counting->start_ns != ahead.snapshot_start_ns) {
        starts_record |= 1u << kRecordAhead;
        const auto* packet = reinterpret_cast<const char*>(&packets[order[i + kRecordAhead]]);
        __builtin_prefetch(packet);
        __builtin_prefetch(packet + 64);
        if (counting != nullptr && e->record < counting->records.size()) {
          const auto* line = reinterpret_cast<const char*>(&counting->records[e->record].counters);
          __builtin_prefetch(line);
          __builtin_prefetch(line + 64);
        }
      }
    }
    const HotPacket& p = hot[i];
    if (current == nullptr || current->start_ns != p.snapshot_start_ns) {
      current = &snapshot_for(shard, p.snapshot_start_ns);
    }
    bool inserted = false;
    const uint32_t index = table.find_or_insert(p.id, inserted);
    if (table.moved()) [[unlikely]]
      shard.follow_moved_entries();
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
        if (record == kNoRecord) {
          record = context.new_record(*current, index, packets[order[i]], link);
        }
        count_in_record(current->records[record].counters, p);
        continue;
      }
      if (counting != nullptr) {
        // It moves on to this snapshot while its older one is still open.
        write_out(e, counting->records[e.record].counters);
        link.previous_generation = counting->generation;
        link.previous_record = e.record;
      }
      e.record = context.new_record(*current, index, packets[order[i]], link);
      e.generation = current->generation;
      start_counting(e);
    }
    count_in_entry(e, p, current->records);
  }
  if (!plan.closing.empty()) close_shard(shard_index, plan);
}

void SnapshotEngine::complete(Shard& shard, OpenSnapshot& snapshot) {
  FlowTable& table = shard.table;
  // Entries and records are fetched 16 records ahead.
  constexpr uint32_t kEntryAhead = 16;
  const auto count = static_cast<uint32_t>(snapshot.records.size());
  for (uint32_t i = 0; i < count; ++i) {
    if (i + kEntryAhead < count && snapshot.links[i + kEntryAhead].entry != FlowTable::kMoved) {
      __builtin_prefetch(&table.entry(snapshot.links[i + kEntryAhead].entry));
      __builtin_prefetch(&snapshot.records[i + kEntryAhead].counters);
    }
    // A flow already counting in a newer snapshot keeps its entry (its record here is
    // complete); the others are written out and leave the table. (A link to no live entry
    // cannot occur while the snapshot is open; it is skipped all the same.)
    if (snapshot.links[i].entry == FlowTable::kMoved) continue;
    const Entry& e = table.entry(snapshot.links[i].entry);
    if (e.generation != snapshot.generation || e.record != i) continue;
    const uint32_t index = snapshot.links[i].entry;
    write_out(table.entry(index), snapshot.records[i].counters);
    table.release(index);
  }
}

}  // namespace snapflow::pcap2json
