// RingIndex: where things are in a ring, answered from metadata and time index alone.
//
// The retrieval side of the ring (docs/ring.md has the on-disk format): it never takes the
// writer's lock and never writes, so it works while the capture daemon runs, after it was
// killed, and on a copy. Like RingReader it trusts only committed data (each segment's
// committed length and index_count) -- the same recovery rule as every reader.
//
// Every lookup costs O(log segments + log index entries) small reads plus a scan of at most
// one index interval (index_interval_bytes, default 1 MiB, and never past the next index
// entry), however large the ring and wherever the target lies:
//   1. span(): the newest segment by binary search over the slots (sequence s lives in slot
//      (s-1) % count, so the slots hold one rotated run of sequence numbers), the oldest by
//      arithmetic; a full metadata scan only when the slots do not form that pattern.
//   2. locate_*(): binary search over the live sequence numbers by each segment's first/last
//      timestamp (or cumulative byte counters), then over the segment's index entries read
//      one by one (never the whole index: a slow link makes one entry per record), then the
//      bounded scan of record headers.
// A segment reused by the writer during a lookup is noticed (its metadata names another
// sequence number afterwards) and the lookup starts again (up to a few times, then
// kUnavailable).
//
// Not thread-safe (it caches file descriptors and a scan buffer): one per request or thread.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/ring/ring.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::extract {

class FdCache;

// The live data of a ring at one moment.
struct RingSpan {
  bool empty = true;
  ring::SegmentInfo oldest;  ///< oldest live segment
  ring::SegmentInfo newest;  ///< newest segment (may hold no committed record yet)
  int64_t first_ts_ns = 0;   ///< timestamp of the oldest record
  int64_t last_ts_ns = 0;    ///< timestamp of the newest committed record

  ring::RingPosition start() const { return empty ? ring::RingPosition{} : oldest.start(); }
  ring::RingPosition end() const { return empty ? ring::RingPosition{} : newest.end(); }
  uint64_t packets() const { return end().packets - start().packets; }
  uint64_t segments() const { return empty ? 0 : newest.seq - oldest.seq + 1; }
};

// A record boundary and what starts there.
struct Located {
  ring::RingPosition position;
  bool has_record = false;  ///< false: position is the end of the committed data
  int64_t ts_ns = 0;        ///< the timestamp of the record at position (when has_record)
};

struct IndexCounters {
  uint64_t metadata_reads = 0;  ///< .meta files read
  uint64_t index_reads = 0;     ///< reads of index pages (4 KiB, one or more entries each)
  uint64_t scanned_bytes = 0;   ///< segment bytes read by bounded scans
};

class RingIndex {
 public:
  // Opens DIR/ring.meta (kNotFound when DIR is not a ring).
  static base::Result<std::unique_ptr<RingIndex>> open(const std::string& dir);
  ~RingIndex();
  RingIndex(const RingIndex&) = delete;
  RingIndex& operator=(const RingIndex&) = delete;

  const ring::RingLayout& layout() const { return layout_; }

  base::Result<RingSpan> span();

  // The first record with ts >= ts_ns: the oldest record when ts_ns precedes it, the end of
  // the data when no record is that late. Timestamps are assumed non-decreasing, as the
  // capture writes them (ring/window.h says what happens otherwise).
  //
  // span: optionally, a span() read just before (a plan looks up its start and stop with one
  // span); it bounds the search, and a lookup that finds a segment reused re-reads it.
  base::Result<Located> locate_time(int64_t ts_ns, const RingSpan* span = nullptr);
  // The last record boundary whose ring-wide cumulative record bytes (Σ 16 + captured before
  // it) are <= record_bytes; the oldest data when record_bytes precedes it.
  base::Result<Located> locate_bytes(uint64_t record_bytes, const RingSpan* span = nullptr);
  // What starts at a known boundary (e.g. a catalog position): its record's timestamp, or the
  // next segment's first record when position is the end of a sealed segment. A position
  // whose data was overwritten yields the oldest data.
  base::Result<Located> at(const ring::RingPosition& position, const RingSpan* span = nullptr);

  // The durable metadata of the slot that holds (or held) segment seq; info.seq differs from
  // seq when the slot was reused.
  base::Result<ring::SegmentInfo> segment(uint64_t seq);
  // A read-only descriptor of the slot's segment file, kept open by the index.
  base::Result<int> data_fd(uint32_t slot);

  // Raw reads for walks over many index entries or records (bandwidth.h): up to out.size()
  // bytes of the slot's index file or segment file at offset; fewer only at the end of the
  // file. The caller checks afterwards that the slot still holds the generation it meant.
  base::Result<size_t> read_index_bytes(uint32_t slot, uint64_t offset, std::span<std::byte> out);
  base::Result<size_t> read_segment_bytes(uint32_t slot, uint64_t offset, std::span<std::byte> out);

  const IndexCounters& counters() const { return counters_; }

 private:
  explicit RingIndex(ring::RingLayout layout);
  struct Target;
  base::Result<ring::SegmentInfo> read_meta(uint32_t slot);
  // Metadata for binary-search probes: sealed segments never change (until their slot is
  // reused, which the lookups detect by re-reading afterwards), so a plan's start and stop
  // searches share their probes. Forgotten at every span().
  base::Result<ring::SegmentInfo> probe_slot(uint32_t slot);
  base::Result<ring::IndexEntry> read_entry(const ring::SegmentInfo& s, uint32_t i);
  base::Result<RingSpan> span_by_search();
  base::Result<RingSpan> span_by_scan();
  base::Result<Located> locate(const Target& target, const RingSpan* span);
  base::Result<Located> locate_once(const Target& target, const RingSpan& span, bool& retry);
  base::Result<Located> finish_in_segment(const ring::SegmentInfo& s, const Target& target,
                                          const RingSpan& span, bool& retry);

  ring::RingLayout layout_;
  std::unique_ptr<FdCache> files_;
  std::vector<std::byte> scan_buffer_;
  // The last index page read: a binary search ends inside one page, and a window's start and
  // stop usually share one.
  struct IndexPage {
    uint64_t seq = 0;
    uint64_t offset = 0;  ///< file offset of bytes[0]
    size_t length = 0;
    std::array<std::byte, 4096 + ring::kIndexEntryBytes> bytes{};
  };
  IndexPage page_;
  std::vector<ring::SegmentInfo> probes_;
  IndexCounters counters_;
};

}  // namespace snapflow::extract
