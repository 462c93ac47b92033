#include "snapflow/ring/window.h"

#include <fcntl.h>

#include "file_util.h"
#include "segment_scan.h"
#include "snapflow/ring/reader.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::ring {
namespace {

base::Result<RingPosition> find_in_segment(const RingLayout& layout, const SegmentInfo& s,
                                           int64_t ts_ns) {
  if (s.first_ts_ns >= ts_ns) return s.start();
  auto entries = load_index(layout.index_path(s.slot), s.index_count);
  if (!entries.ok()) return std::move(entries).error();
  RingPosition pos =
      entries->empty() ? s.start() : (*entries)[find_scan_start(*entries, ts_ns)].position(s.seq);
  const std::string path = layout.segment_path(s.slot);
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) return std::move(fd).error();
  auto stopped = scan_records(
      fd->get(), path, pos.offset, s.committed_bytes, layout.snaplen,
      [&](const RecordHeader& h, uint64_t) {
        if (h.ts_ns >= ts_ns) return false;
        pos.packets += 1;
        pos.wire_bytes += h.wire;
        pos.record_bytes += kRecordHeaderBytes + h.captured;
        return true;
      },
      64 << 10);
  if (!stopped.ok()) return std::move(stopped).error();
  pos.offset = *stopped;
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
    if (*st == ReadStatus::kGap) {
      const uint64_t resumed = r.position().packets;
      w.lost_packets += (resumed < w.stop.packets ? resumed : w.stop.packets) - before;
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
