// FlowTable: one shard's flows, kept across snapshots
// (docs/decisions/0054-persistent-flow-table.md, 0059-keyed-flow-ids.md).
//
// A packet touches its flow's Entry and nothing else: one 64-byte cache line holding the flow's
// keyed 128-bit id (flow_id.h: it stands in for the 48-byte key, which the table does not keep)
// and the counters of the flow's record in its current snapshot. The entries are the table
// itself: open addressing with linear probing, the home position the id's upper bits scaled to
// the capacity, live and deleted entries at most 3/4 of it. Records themselves (the documents to
// be, with the key and the descriptive fields, taken from the flow's first packet in their
// snapshot) live with their snapshot and are written on that packet, on rare events (a counter
// about to wrap, a late packet, a frame of 64 KiB or more) and when the snapshot closes.
//
// Entries are not emptied when a snapshot closes while their flow is already counting in a
// newer one (the reorder window keeps two snapshots open for a while): a steady flow is looked
// up in the same entry snapshot after snapshot. When a snapshot closes, the entries of flows
// that have not sent in a newer snapshot yet are released (their records are complete), so the
// table holds about as many entries as flows are active at once.
//
// An entry's index is its position: it stays valid until the entry is released or the table
// grows. Growing (by half, when live entries pass 3/8 of the table and the probe finds no
// deleted entry to reuse; otherwise deleted entries are only dropped) moves every entry, and
// find_or_insert() then reports where each went (moved(), new_index()), so that whoever keeps
// indexes can update them. Nothing is allocated per packet except when the table grows. Not
// thread-safe: a table belongs to one shard and a shard to one task at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "snapflow/pcap2json/flow_id.h"

namespace snapflow::pcap2json {

class FlowTable {
 public:
  // Counters below count since the last fold into the record (see SnapshotEngine): 8-bit
  // packet and flag counters fold every kFoldPackets packets, bytes before they would wrap.
  static constexpr uint8_t kFoldPackets = 128;
  static constexpr uint32_t kMoved = UINT32_MAX;  ///< new_index() of an entry that is not live

  struct alignas(64) Entry {
    FlowId id;            ///< the flow key's keyed hash (upper half odd); else kEmpty, kDeleted
    uint32_t generation;  ///< the snapshot (of this shard) whose record it counts; 0: none yet
    uint32_t record;      ///< index of the flow's record in that snapshot
    uint32_t bytes;       ///< wire bytes
    uint16_t size_min;    ///< of frames up to 65534 bytes; larger ones count in the record
    uint16_t size_max;
    int64_t first_ts_ns;
    int64_t last_ts_ns;
    uint64_t tcp_flags;  ///< eight 8-bit counters, byte b counting packets with flag bit b set
    uint8_t packets;
  };
  static_assert(sizeof(Entry) == 64, "an entry is one cache line");

  explicit FlowTable(size_t initial_capacity = 1024);

  // The index of the entry of the flow with id `id` (id.high must be odd, as FlowIdKey makes
  // it). A new entry has generation 0 and `inserted` set; its counters are unset. If the table
  // grew to make room, moved() is true until clear_moved(), and new_index() maps the indexes
  // from before (the returned index is already the new one).
  uint32_t find_or_insert(const FlowId& id, bool& inserted);
  Entry& entry(uint32_t index) { return entries_[index]; }
  const Entry& entry(uint32_t index) const { return entries_[index]; }

  bool moved() const { return !remap_.empty(); }
  uint32_t new_index(uint32_t old_index) const { return remap_[old_index]; }
  void clear_moved() { std::vector<uint32_t>().swap(remap_); }

  // Prefetch for a run of lookups: the flow's home line some packets ahead. Always inlined:
  // GCC 12 deems a function whose only effect is a prefetch pure, and deletes the calls to it
  // when it is not inlined before that analysis (docs/decisions/0054).
  [[gnu::always_inline]] void prefetch(const FlowId& id) const {
    __builtin_prefetch(&entries_[home(id)]);
  }
  // For prefetching only, once the home line is cached: the flow's entry if it is within a few
  // positions of its home, else null.
  [[gnu::always_inline]] const Entry* peek(const FlowId& id) const {
    size_t i = home(id);
    for (int probe = 0; probe < 4; ++probe, i = next(i)) {
      const Entry& e = entries_[i];
      if (e.id == id) return &e;
      if (e.id == kEmpty) return nullptr;
    }
    return nullptr;
  }

  // Removes the entry (its flow's records are complete): its place may be taken again.
  void release(uint32_t index);

  size_t size() const { return live_; }  ///< entries holding a flow
  size_t memory_bytes() const;           ///< entries (and the last growth's index map)

 private:
  static constexpr FlowId kEmpty{0, 0};
  static constexpr FlowId kDeleted{1, 0};

  // Home position: the id's upper 32 bits scaled to the capacity (any capacity, not only
  // powers of two).
  size_t home(const FlowId& id) const { return ((id.high >> 32) * entries_.size()) >> 32; }
  size_t next(size_t i) const { return i + 1 == entries_.size() ? 0 : i + 1; }
  void rehash(size_t capacity);

  std::vector<Entry> entries_;
  std::vector<uint32_t> remap_;  ///< after growing: old index -> new index (kMoved if not live)
  size_t live_ = 0;
  size_t deleted_ = 0;
};

}  // namespace snapflow::pcap2json
