// FlowTable: one shard's flows, kept across snapshots
// (docs/decisions/0054-persistent-flow-table.md).
//
// A packet touches a slot and its flow's Entry, nothing else: the slot array (8 bytes per slot,
// linear probing, live and deleted slots <= 3/4) holds a 32-bit hash tag and the entry's index; the
// Entry (96 bytes, two cache lines) holds the flow key and the counters of the flow's record in its
// current snapshot. Records themselves (the documents to be, with the descriptive fields) live
// with their snapshot and are written on a flow's first packet in it, on rare events (a counter
// about to wrap, a late packet, a frame of 64 KiB or more) and when the snapshot closes.
//
// Entries are not emptied when a snapshot closes while their flow is already counting in a
// newer one (the reorder window keeps two snapshots open for a while): a steady flow is looked
// up in the same entry snapshot after snapshot. When a snapshot closes, the entries of flows
// that have not sent in a newer snapshot yet are released (their records are complete), so the
// table holds about as many entries as flows are active at once.
//
// Entries live in chunks of 256 (no entry ever moves: indexes stay valid, and growth is
// step by step rather than doubling). Nothing is allocated per packet except when the table
// grows. Not thread-safe: a table belongs to one shard and a shard to one task at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "snapflow/packet/flow_key.h"

namespace snapflow::pcap2json {

class FlowTable {
 public:
  // Counters below count since the last fold into the record (see SnapshotEngine): 8-bit
  // packet and flag counters fold every kFoldPackets packets, bytes before they would wrap.
  static constexpr uint8_t kFoldPackets = 128;

  struct alignas(32) Entry {
    packet::FlowKey key;
    uint32_t generation;  ///< the snapshot (of this shard) whose record it counts; 0: none yet
    uint32_t record;      ///< index of the flow's record in that snapshot
    uint32_t tag;         ///< its slot's tag, to find the slot again on release
    uint32_t bytes;       ///< wire bytes
    int64_t first_ts_ns;
    int64_t last_ts_ns;
    uint64_t tcp_flags;  ///< eight 8-bit counters, byte b counting packets with flag bit b set
    uint16_t size_min;   ///< of frames up to 65534 bytes; larger ones count in the record
    uint16_t size_max;
    uint8_t packets;
  };
  static_assert(sizeof(Entry) == 96, "an entry spans two cache lines");

  explicit FlowTable(size_t initial_slots = 1024);

  // The index of key's entry (hash = packet::flow_hash(key)). A new entry has generation 0 and
  // `inserted` set; its counters are unset. Indexes stay valid until the entry is released.
  uint32_t find_or_insert(const packet::FlowKey& key, uint64_t hash, bool& inserted);
  Entry& entry(uint32_t index) { return chunks_[index >> kChunkShift][index & kChunkMask]; }
  const Entry& entry(uint32_t index) const {
    return chunks_[index >> kChunkShift][index & kChunkMask];
  }

  // Two-stage prefetch for a run of lookups: prefetch_slot(hash) some packets ahead, then
  // prefetch_entry(hash) closer, once the slot is cached and tells which entry to fetch.
  // Always inlined: GCC 12 deems a function whose only effect is a prefetch pure, and deletes
  // the calls to it when it is not inlined before that analysis (docs/decisions/0054).
  [[gnu::always_inline]] void prefetch_slot(uint64_t hash) const {
    __builtin_prefetch(&slots_[home(tag_of(hash))]);
  }
  [[gnu::always_inline]] void prefetch_entry(uint64_t hash) const {
    const uint32_t tag = tag_of(hash);
    size_t i = home(tag);
    for (int probe = 0; probe < 4; ++probe, i = next(i)) {
      const Slot& slot = slots_[i];
      if (slot.tag == tag) {
        const auto* line = reinterpret_cast<const char*>(&entry(slot.index));
        __builtin_prefetch(line);
        __builtin_prefetch(line + 64);
        return;
      }
      if (slot.tag == kEmpty) return;
    }
  }

  // Removes the entry (its flow's records are complete): its index may be handed out again.
  void release(uint32_t index);
  // For a run of release() calls: the slot of `index`, whose entry must be cached.
  [[gnu::always_inline]] void prefetch_slot_of(uint32_t index) const {
    __builtin_prefetch(&slots_[home(entry(index).tag)]);
  }

  size_t size() const { return live_; }  ///< entries holding a flow
  size_t memory_bytes() const;           ///< slots, entry chunks and the free list

 private:
  static constexpr uint32_t kChunkShift = 8;
  static constexpr uint32_t kChunkMask = (1u << kChunkShift) - 1;
  static constexpr uint32_t kEmpty = 0;
  static constexpr uint32_t kDeleted = 2;  ///< a released entry's slot (tags are odd)
  struct Slot {
    uint32_t tag = kEmpty;  ///< upper hash bits, forced odd; or kEmpty, kDeleted
    uint32_t index = 0;
  };

  static uint32_t tag_of(uint64_t hash) { return static_cast<uint32_t>(hash >> 32) | 1u; }
  // Home slot: the tag scaled to the capacity (any capacity, not only powers of two).
  size_t home(uint32_t tag) const { return (uint64_t{tag} * slots_.size()) >> 32; }
  size_t next(size_t i) const { return i + 1 == slots_.size() ? 0 : i + 1; }
  uint32_t allocate_entry();
  void erase_slot_of(uint32_t index);
  void rehash(size_t capacity);

  std::vector<Slot> slots_;
  std::vector<std::unique_ptr<Entry[]>> chunks_;
  std::vector<uint32_t> free_;  ///< released entries, handed out again last in, first out
  size_t live_ = 0;             ///< entries with a slot
  size_t deleted_ = 0;          ///< kDeleted slots
  size_t used_ = 0;             ///< entries of chunks_ ever handed out (the rest are fresh)
  size_t allocated_ = 0;        ///< entries in chunks_
};

}  // namespace snapflow::pcap2json
