#include "snapflow/ring/window.h"

#include <fcntl.h>

#include <algorithm>
#include <optional>

#include "block_sums.h"
#include "file_util.h"
#include "segment_scan.h"
#include "snapflow/ring/reader.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::ring {
namespace {

// Scans the records in [from, limit) of segment s (limit: a record boundary or the committed
// end) for the first one with ts >= ts_ns. Returns where the scan stopped (that record, or
// limit) and whether it found one. With checksums the blocks are checked first: a scan never
// walks damaged bytes; it stops at the first record that overlaps them and reports it as found
// (a reader starting there reports the damage).
struct ScanHit {
  RingPosition pos;
  bool found = false;
};
base::Result<ScanHit> scan_interval(int fd, const std::string& path, const RingLayout& layout,
                                    const SegmentInfo& s, const SegmentChecksums& sums,
                                    RingPosition from, uint64_t limit, int64_t ts_ns) {
  uint64_t stop = limit;
  if (sums.enabled() && from.offset < limit) {
    const uint64_t block = sums.block_bytes();
    const uint64_t check_end = std::min(s.committed_bytes, (limit + block - 1) / block * block);
    auto bad = check_file_range(fd, path, sums, from.offset / block * block, check_end);
    if (!bad.ok()) return std::move(bad).error();
    stop = std::min(limit, *bad);
  }
  ScanHit hit;
  auto stopped = scan_records(
      fd, path, from.offset, stop, layout.snaplen,
      [&](const RecordHeader& h, uint64_t) {
        if (h.ts_ns >= ts_ns) {
          hit.found = true;
          return false;
        }
        from.packets += 1;
        from.wire_bytes += h.wire;
        from.record_bytes += kRecordHeaderBytes + h.captured;
        return true;
      },
      64 << 10);
  if (!stopped.ok()) return std::move(stopped).error();
  from.offset = *stopped;
  hit.pos = from;
  hit.found = hit.found || *stopped < limit;
  return hit;
}

base::Result<RingPosition> find_in_segment(const RingLayout& layout, const SegmentInfo& s,
                                           int64_t ts_ns) {
  if (s.first_ts_ns >= ts_ns) return s.start();
  auto entries = load_index(layout.index_path(s.slot), s.index_count);
  if (!entries.ok()) return std::move(entries).error();
  const std::string path = layout.segment_path(s.slot);
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) return std::move(fd).error();
  auto sums = SegmentChecksums::load(layout, s);
  if (!sums.ok()) return std::move(sums).error();
  RingPosition pos = s.end();
  if (s.index_interval_ns > 0 && !entries->empty()) {
    // Whatever order timestamps come in, the writer took an index entry at every record later
    // than the previous entry's time + interval, so the records between entries i and i + 1
    // are earlier than entries[i].ts_ns + interval: only intervals whose entry is later than
    // ts_ns - interval can hold the answer. In time order that is one or two intervals.
    const auto& e = *entries;
    for (size_t i = 0; i < e.size(); ++i) {
      if (e[i].ts_ns <= ts_ns - s.index_interval_ns) continue;
      const uint64_t limit = i + 1 < e.size() ? e[i + 1].offset : s.committed_bytes;
      auto hit =
          scan_interval(fd->get(), path, layout, s, *sums, e[i].position(s.seq), limit, ts_ns);
      if (!hit.ok()) return std::move(hit).error();
      if (hit->found) {
        pos = hit->pos;
        break;
      }
    }
  } else {
    // Segments written before the interval was recorded: timestamps are taken as
    // non-decreasing (capture merges its queues in time order), as they were then.
    // The answer lies before the first entry at or after ts_ns (it is that entry's record).
    const size_t k = entries->empty() ? 0 : find_scan_start(*entries, ts_ns);
    const RingPosition from = entries->empty() ? s.start() : (*entries)[k].position(s.seq);
    const uint64_t limit = k + 1 < entries->size() ? (*entries)[k + 1].offset : s.committed_bytes;
    auto hit = scan_interval(fd->get(), path, layout, s, *sums, from, limit, ts_ns);
    if (!hit.ok()) return std::move(hit).error();
    pos = hit->pos;
  }
  auto after = read_segment_info(layout, s.slot);
  if (!after.ok()) return std::move(after).error();
  if (after->seq != s.seq) {
    return base::make_error(base::ErrorCode::kUnavailable,
                            "segment " + std::to_string(s.seq) + " was reused during the lookup");
  }
  return pos;
}

}  // namespace

base::Result<RingPosition> find_position(const RingLayout& layout, int64_t ts_ns) {
  auto segs = list_segments(layout);
  if (!segs.ok()) return std::move(segs).error().context("find time");
  if (segs->empty()) return RingPosition{};
  for (const auto& s : *segs) {
    if (s.packets == 0 || s.last_ts_ns < ts_ns) continue;
    auto p = find_in_segment(layout, s, ts_ns);
    if (!p.ok()) return std::move(p).error().context("find time");
    return p;
  }
  return segs->back().end();
}

WindowStats stats_between(const RingPosition& start, const RingPosition& stop) {
  WindowStats w;
  w.start = start;
  w.stop = stop.packets >= start.packets ? stop : start;
  w.packets = w.stop.packets - start.packets;
  w.wire_bytes = w.stop.wire_bytes - start.wire_bytes;
  w.pcap_bytes = kSegmentHeaderBytes + w.stop.record_bytes - start.record_bytes;
  return w;
}

base::Result<WindowStats> window_stats(const RingLayout& layout, int64_t start_ns,
                                       int64_t stop_ns) {
  auto start = find_position(layout, start_ns);
  if (!start.ok()) return std::move(start).error();
  if (stop_ns <= start_ns) return stats_between(*start, *start);
  auto stop = find_position(layout, stop_ns);
  if (!stop.ok()) return std::move(stop).error();
  return stats_between(*start, *stop);
}

base::Result<WindowStats> for_each_record_between(const RingLayout& layout,
                                                  const RingPosition& start,
                                                  const RingPosition& stop,
                                                  const RecordCallback& fn) {
  WindowStats w = stats_between(start, stop);
  w.packets = 0;
  w.wire_bytes = 0;
  w.pcap_bytes = kSegmentHeaderBytes;
  auto reader = RingReader::open(layout.dir);
  if (!reader.ok()) return std::move(reader).error();
  RingReader& r = **reader;
  r.seek(start);
  pcap::PacketBatch batch;
  while (r.position().packets < w.stop.packets) {
    const uint64_t before = r.position().packets;
    auto st = r.next_batch(batch, static_cast<size_t>(w.stop.packets - before));
    if (!st.ok()) return std::move(st).error().context("window");
    if (*st == ReadStatus::kEnd || *st == ReadStatus::kCancelled) break;
    if (*st == ReadStatus::kGap || *st == ReadStatus::kCorrupt) {
      const uint64_t resumed = r.position().packets;
      const uint64_t skipped = (resumed < w.stop.packets ? resumed : w.stop.packets) - before;
      (*st == ReadStatus::kGap ? w.lost_packets : w.corrupt_packets) += skipped;
      continue;
    }
    for (const auto& rec : batch.records) {
      SNAPFLOW_TRY_STATUS(fn(rec), "window callback");
      w.packets += 1;
      w.wire_bytes += rec.wire_length;
      w.pcap_bytes += 16 + rec.captured_length;
    }
  }
  return w;
}

base::Result<WindowStats> for_each_record_in(const RingLayout& layout, int64_t start_ns,
                                             int64_t stop_ns, const RecordCallback& fn) {
  auto bounds = window_stats(layout, start_ns, stop_ns);
  if (!bounds.ok()) return std::move(bounds).error();
  return for_each_record_between(layout, bounds->start, bounds->stop, fn);
}

}  // namespace snapflow::ring
