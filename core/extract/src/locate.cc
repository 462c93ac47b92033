// RingIndex lookups: binary search over segments, then over one segment's index entries read
// one at a time, then a scan of record headers bounded by the next index entry.
#include <array>
#include <optional>

#include "ring_files.h"
#include "snapflow/extract/ring_index.h"

namespace snapflow::extract {
namespace {

constexpr int kAttempts = 4;
constexpr size_t kScanChunkBytes = 64 << 10;
constexpr size_t kRecordHeaderBytes = 16;

base::Error reused(uint64_t seq) {
  return base::make_error(base::ErrorCode::kUnavailable,
                          "segment " + std::to_string(seq) +
                              " was overwritten during the lookup, repeatedly (writer too fast?)");
}

}  // namespace

// What a lookup is after, as predicates on segments, index entries and records.
struct RingIndex::Target {
  bool by_time = true;
  int64_t ts_ns = 0;
  uint64_t record_bytes = 0;

  // The answer is in segment s or an earlier one.
  bool within_or_before(const ring::SegmentInfo& s) const {
    return by_time ? s.packets == 0 || s.last_ts_ns >= ts_ns : s.end().record_bytes > record_bytes;
  }
  // The answer is s's first record (or earlier, clamped to it).
  bool at_start(const ring::SegmentInfo& s) const {
    return by_time ? s.first_ts_ns >= ts_ns : record_bytes <= s.base.record_bytes;
  }
  // Scanning may start at this entry: the answer is at or after it.
  bool entry_before(const ring::IndexEntry& e) const {
    return by_time ? e.ts_ns < ts_ns : e.record_bytes <= record_bytes;
  }
  // The record starting at a boundary with cumulative `before` bytes is the answer.
  bool stops_at(int64_t record_ts, uint64_t before, uint32_t record_size) const {
    return by_time ? record_ts >= ts_ns : before + record_size > record_bytes;
  }
};

base::Result<Located> RingIndex::locate_time(int64_t ts_ns, const RingSpan* span) {
  return locate(Target{true, ts_ns, 0}, span);
}

base::Result<Located> RingIndex::locate_bytes(uint64_t record_bytes, const RingSpan* span) {
  return locate(Target{false, 0, record_bytes}, span);
}

base::Result<Located> RingIndex::locate(const Target& target, const RingSpan* given) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    bool retry = false;
    if (given != nullptr && attempt == 0) {
      auto r = locate_once(target, *given, retry);
      if (!r.ok() || !retry) return r;
      continue;
    }
    auto span = this->span();
    if (!span.ok()) return std::move(span).error();
    auto r = locate_once(target, *span, retry);
    if (!r.ok() || !retry) return r;
  }
  return reused(0);
}

base::Result<Located> RingIndex::locate_once(const Target& target, const RingSpan& given,
                                             bool& retry) {
  const RingSpan* span = &given;
  if (span->empty) return Located{span->end(), false, 0};
  if (target.at_start(span->oldest)) {
    return Located{span->oldest.start(), true, span->oldest.first_ts_ns};
  }
  uint64_t lo = span->oldest.seq;
  uint64_t hi = span->newest.seq + 1;  // hi: "not in any segment", i.e. the end of the data
  ring::SegmentInfo found;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    auto m = mid == span->newest.seq ? base::Result<ring::SegmentInfo>(span->newest)
                                     : probe_slot(layout_.slot_of(mid));
    if (!m.ok()) return std::move(m).error();
    if (m->seq != mid) {
      retry = true;  // reused under us: the span is stale
      return Located{};
    }
    if (target.within_or_before(*m)) {
      hi = mid;
      found = *m;
    } else {
      lo = mid + 1;
    }
  }
  if (lo > span->newest.seq) return Located{span->end(), false, 0};
  if (found.seq != lo) {
    auto m = segment(lo);
    if (!m.ok()) return std::move(m).error();
    found = *m;
  }
  return finish_in_segment(found, target, *span, retry);
}

base::Result<Located> RingIndex::finish_in_segment(const ring::SegmentInfo& s, const Target& target,
                                                   const RingSpan& span, bool& retry) {
  if (s.packets == 0) return Located{s.start(), false, 0};
  if (target.at_start(s)) return Located{s.start(), true, s.first_ts_ns};
  // Last index entry at or before the target (entry 0 is the first record, which is).
  const uint32_t n = s.index_count;
  uint32_t k = 0;
  ring::IndexEntry entry{s.first_ts_ns, s.start().offset, s.base.packets, s.base.wire_bytes,
                         s.base.record_bytes};
  std::optional<ring::IndexEntry> next;
  if (n > 0) {
    uint32_t lo = 0;
    uint32_t hi = n;  // entries [lo, hi) unknown; entry_before is true for lo
    auto e0 = read_entry(s, 0);
    if (!e0.ok()) return std::move(e0).error();
    entry = *e0;
    while (hi - lo > 1) {
      const uint32_t mid = lo + (hi - lo) / 2;
      auto e = read_entry(s, mid);
      if (!e.ok()) return std::move(e).error();
      if (target.entry_before(*e)) {
        lo = mid;
        entry = *e;
      } else {
        hi = mid;
        next = *e;
      }
    }
    k = lo;
    if (!next && k + 1 < n) {
      auto e = read_entry(s, k + 1);
      if (!e.ok()) return std::move(e).error();
      next = *e;
    }
  }
  const uint64_t bound = next ? next->offset : s.committed_bytes;
  ring::RingPosition pos = entry.position(s.seq);

  // The bounded scan: at most one index interval of record headers.
  auto fd = data_fd(s.slot);
  if (!fd.ok()) return std::move(fd).error();
  const std::string path = layout_.segment_path(s.slot);
  if (scan_buffer_.size() < kScanChunkBytes) scan_buffer_.resize(kScanChunkBytes);
  uint64_t chunk_start = pos.offset;
  size_t chunk_len = 0;
  Located out{};
  bool stopped = false;
  while (pos.offset + kRecordHeaderBytes <= bound) {
    if (pos.offset + kRecordHeaderBytes > chunk_start + chunk_len) {
      const uint64_t want = std::min<uint64_t>(scan_buffer_.size(), bound - pos.offset);
      auto got = pread_all(*fd, scan_buffer_.data(), want, pos.offset, path);
      if (!got.ok()) return std::move(got).error();
      counters_.scanned_bytes += *got;
      chunk_start = pos.offset;
      chunk_len = *got;
      if (chunk_len < kRecordHeaderBytes) break;
    }
    int64_t ts = 0;
    uint32_t captured = 0;
    uint32_t wire = 0;
    if (!ring::parse_record_header(scan_buffer_.data() + (pos.offset - chunk_start),
                                   layout_.snaplen, ts, captured, wire) ||
        pos.offset + kRecordHeaderBytes + captured > bound) {
      break;  // checked below: garbage inside committed data, or a reused segment
    }
    const uint32_t size = static_cast<uint32_t>(kRecordHeaderBytes) + captured;
    if (target.stops_at(ts, pos.record_bytes, size)) {
      out = Located{pos, true, ts};
      stopped = true;
      break;
    }
    pos.offset += size;
    pos.packets += 1;
    pos.wire_bytes += wire;
    pos.record_bytes += size;
  }
  // The bytes are only trustworthy if the slot still holds this generation.
  auto after = read_meta(s.slot);
  if (!after.ok()) return std::move(after).error();
  if (after->seq != s.seq) {
    retry = true;
    return Located{};
  }
  if (stopped) return out;
  if (pos.offset != bound) {
    return base::make_error(base::ErrorCode::kFormat,
                            path + ": invalid record at committed offset " +
                                std::to_string(pos.offset) + " (segment " + std::to_string(s.seq) +
                                ")");
  }
  if (next) return Located{next->position(s.seq), true, next->ts_ns};
  // The end of this segment: the answer is the next segment's first record, if any.
  if (s.seq >= span.newest.seq) return Located{s.end(), false, 0};
  auto following = segment(s.seq + 1);
  if (!following.ok()) return std::move(following).error();
  if (following->seq != s.seq + 1) return Located{s.end(), false, 0};  // not started yet
  return Located{following->start(), following->packets != 0, following->first_ts_ns};
}

base::Result<Located> RingIndex::at(const ring::RingPosition& position, const RingSpan* given) {
  for (int attempt = 0; attempt < kAttempts; ++attempt) {
    auto span = given != nullptr && attempt == 0 ? base::Result<RingSpan>(*given) : this->span();
    if (!span.ok()) return std::move(span).error();
    if (span->empty || position.packets >= span->end().packets) {
      return Located{span->end(), false, 0};
    }
    if (position.packets <= span->start().packets) {
      return Located{span->start(), true, span->oldest.first_ts_ns};
    }
    auto s = segment(position.segment_seq);
    if (!s.ok()) return std::move(s).error();
    if (s->seq != position.segment_seq) continue;  // overwritten meanwhile: look again
    if (position.offset >= s->committed_bytes) {
      auto next = segment(position.segment_seq + 1);
      if (!next.ok()) return std::move(next).error();
      if (next->seq != position.segment_seq + 1) return Located{position, false, 0};
      return Located{next->start(), next->packets != 0, next->first_ts_ns};
    }
    auto fd = data_fd(s->slot);
    if (!fd.ok()) return std::move(fd).error();
    std::array<std::byte, kRecordHeaderBytes> header{};
    const std::string path = layout_.segment_path(s->slot);
    auto got = pread_all(*fd, header.data(), header.size(), position.offset, path);
    if (!got.ok()) return std::move(got).error();
    int64_t ts = 0;
    uint32_t captured = 0;
    uint32_t wire = 0;
    const bool valid =
        *got == header.size() &&
        ring::parse_record_header(header.data(), layout_.snaplen, ts, captured, wire);
    auto after = read_meta(s->slot);
    if (!after.ok()) return std::move(after).error();
    if (after->seq != s->seq) continue;
    if (!valid) {
      return base::make_error(base::ErrorCode::kFormat,
                              path + ": no record at offset " + std::to_string(position.offset));
    }
    return Located{position, true, ts};
  }
  return reused(position.segment_seq);
}

}  // namespace snapflow::extract
