// FlowTable: the per-shard, per-snapshot table of flows, open addressing with linear probing.
//
// Slots hold a 32-bit hash tag and an index into a dense vector of FlowRecords, so a probe
// touches 8 bytes per slot and the records stay contiguous for draining and encoding. The
// table only grows (load <= 1/2) and is emptied wholesale when its snapshot closes; nothing
// is allocated per packet except when the table grows. Not thread-safe: a table belongs to
// one shard and a shard to one task at a time.
#pragma once

#include <cstdint>
#include <vector>

#include "snapflow/packet/flow_key.h"
#include "snapflow/pcap2json/flow_record.h"

namespace snapflow::pcap2json {

class FlowTable {
 public:
  explicit FlowTable(size_t initial_capacity = 1024);

  // Returns the record for key, inserting a zeroed one (with key and hash set) if absent.
  // `inserted` tells which. The reference is valid until the next find_or_insert.
  FlowRecord& find_or_insert(const packet::FlowKey& key, uint64_t hash, bool& inserted);

  // Two-stage prefetch for a batch of lookups: prefetch_slot(hash) well ahead (e.g. 16
  // packets), then prefetch_record(hash) closer (e.g. 8), when the slot is already cached and
  // tells which record to fetch. Hides both cache misses of a lookup on large tables.
  void prefetch_slot(uint64_t hash) const { __builtin_prefetch(&slots_[slot_index(hash)]); }
  void prefetch_record(uint64_t hash) const {
    const Slot& slot = slots_[slot_index(hash)];
    if (slot.tag == tag_of(hash)) {
      const auto* line = reinterpret_cast<const char*>(&records_[slot.index]);
      __builtin_prefetch(line, 1);       // key, hash, sizes
      __builtin_prefetch(line + 64, 1);  // packets, bytes, times, flags
    }
  }

  size_t size() const { return records_.size(); }
  bool empty() const { return records_.empty(); }

  // Moves the records out (leaving the table empty and reusable, capacity kept for slots).
  std::vector<FlowRecord> take_records();

  // Bytes held by this table (slots and records), for memory accounting.
  size_t memory_bytes() const;

 private:
  struct Slot {
    uint32_t tag = 0;    ///< upper hash bits; 0 only for empty slots (tags are forced odd)
    uint32_t index = 0;  ///< into records_
  };

  size_t slot_index(uint64_t hash) const { return static_cast<size_t>(hash) & mask_; }
  static uint32_t tag_of(uint64_t hash) { return static_cast<uint32_t>(hash >> 32) | 1u; }
  void grow();

  std::vector<Slot> slots_;
  std::vector<FlowRecord> records_;
  size_t mask_;
};

}  // namespace snapflow::pcap2json
