// Per-segment time index: every index_interval_ns (default 1 ms) and every
// index_interval_bytes (default 1 MiB) of records, one entry naming a record boundary.
//
// File seg-NNNNN.idx is an array of 48-byte entries (layout in docs/ring.md), each with its
// own checksum. The writer appends entries and fdatasyncs them before the segment metadata
// that counts them (index_count) is written, so every counted entry is durable. Readers use
// only the first index_count entries. Entries are sorted by offset. Timestamps need not be: a
// capture clock may jump back or forward. IndexPolicy takes an entry at every record later than
// the previous entry's time + interval_ns, so the records between two entries are earlier than
// the first one's time + interval_ns; time lookups (window.h) rely on that, not on order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

inline constexpr size_t kIndexEntryBytes = 48;

// One record boundary: the record at `offset` has timestamp ts_ns; the counters are ring-wide
// totals of everything before that record (as in RingPosition).
struct IndexEntry {
  int64_t ts_ns = 0;
  uint64_t offset = 0;
  uint64_t packets = 0;
  uint64_t wire_bytes = 0;
  uint64_t record_bytes = 0;

  RingPosition position(uint64_t segment_seq) const {
    return {segment_seq, offset, packets, wire_bytes, record_bytes};
  }
  friend bool operator==(const IndexEntry&, const IndexEntry&) = default;
};

void encode_index_entry(const IndexEntry& entry, std::byte* out);
// False when the entry's checksum does not match (torn or never written).
bool decode_index_entry(const std::byte* in, IndexEntry& entry);

// Position of the last entry whose ts_ns < ts_ns_target, or 0 when none is (the first entry is
// then the place to start scanning for the first record at or after ts_ns_target).
// entries must be non-empty and in non-decreasing time (segments written before the index
// interval was recorded in their metadata). O(log n).
size_t find_scan_start(std::span<const IndexEntry> entries, int64_t ts_ns_target);

// Reads up to max_entries valid entries of a segment's index file (stops at the first entry
// whose checksum fails). A missing file is an empty index.
base::Result<std::vector<IndexEntry>> load_index(const std::string& path, size_t max_entries);

// Decides when the writer adds an entry: at a segment's first record, then whenever the time
// or byte interval since the previous entry has passed.
class IndexPolicy {
 public:
  IndexPolicy(int64_t interval_ns, uint64_t interval_bytes)
      : interval_ns_(interval_ns), interval_bytes_(interval_bytes) {}

  void reset() { has_entry_ = false; }
  void seed(const IndexEntry& last) {
    has_entry_ = true;
    last_ts_ns_ = last.ts_ns;
    last_offset_ = last.offset;
  }
  // True if the record at (ts_ns, offset) should get an entry; records it if so.
  bool take(int64_t ts_ns, uint64_t offset) {
    if (has_entry_ && ts_ns - last_ts_ns_ < interval_ns_ &&
        offset - last_offset_ < interval_bytes_) {
      return false;
    }
    has_entry_ = true;
    last_ts_ns_ = ts_ns;
    last_offset_ = offset;
    return true;
  }

 private:
  int64_t interval_ns_;
  uint64_t interval_bytes_;
  bool has_entry_ = false;
  int64_t last_ts_ns_ = 0;
  uint64_t last_offset_ = 0;
};

}  // namespace snapflow::ring
