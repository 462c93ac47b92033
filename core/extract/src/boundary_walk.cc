// BoundaryWalk: segments in order, each boundary searched in its segment's time index (read in
// aligned chunks, interpolated then galloping), run ends recorded; then the runs read and the
// boundaries made exact when they fit the budget. Every read of a segment's files is trusted
// only if the segment's metadata still names the same generation afterwards.
#include "boundary_walk.h"

#include <algorithm>
#include <array>

#include "snapflow/base/bytes.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::extract {
namespace {

constexpr size_t kRecordHeaderBytes = 16;
constexpr size_t kSmallChunkBytes = 4096;
constexpr size_t kLargeChunkBytes = 64 << 10;

Cumulative cumulative(const ring::RingPosition& p) {
  return {p.packets, p.wire_bytes};
}

base::Error corrupt(const std::string& what) {
  return base::make_error(base::ErrorCode::kFormat, what);
}

}  // namespace

// One segment's index entries, read in aligned chunks kept in a small LRU. ts() reads the
// timestamp field as docs/ring.md lays it out (bytes 0-7, little-endian) without checking the
// entry: binary-search probes only steer. entry() checks the entry's checksum: the entries a
// boundary is placed by are always checked.
class BoundaryWalk::Entries {
 public:
  Entries(RingIndex& index, const ring::SegmentInfo& s, size_t chunk_entries)
      : index_(index), s_(s), chunk_entries_(std::max<size_t>(chunk_entries, 1)) {}

  base::Result<int64_t> ts(uint32_t i) {
    auto p = at(i);
    if (!p.ok()) return std::move(p).error();
    return static_cast<int64_t>(base::load_le64(*p));
  }

  base::Result<ring::IndexEntry> entry(uint32_t i) {
    auto p = at(i);
    if (!p.ok()) return std::move(p).error();
    ring::IndexEntry e;
    if (!ring::decode_index_entry(*p, e)) {
      return corrupt(index_.layout().index_path(s_.slot) + ": index entry " + std::to_string(i) +
                     " of segment " + std::to_string(s_.seq) + " is corrupt");
    }
    return e;
  }

 private:
  struct Chunk {
    uint64_t first = UINT64_MAX;
    size_t count = 0;
    uint64_t last_use = 0;
    std::vector<std::byte> bytes;
  };

  base::Result<const std::byte*> at(uint32_t i) {
    const uint64_t first = i / chunk_entries_ * chunk_entries_;
    ++clock_;
    Chunk* victim = &chunks_[0];
    for (Chunk& c : chunks_) {
      if (c.first == first) {
        c.last_use = clock_;
        return c.bytes.data() + (i - first) * ring::kIndexEntryBytes;
      }
      if (c.last_use < victim->last_use) victim = &c;
    }
    const size_t count =
        static_cast<size_t>(std::min<uint64_t>(chunk_entries_, s_.index_count - first));
    victim->bytes.resize(count * ring::kIndexEntryBytes);
    victim->first = UINT64_MAX;
    auto n = index_.read_index_bytes(s_.slot, first * ring::kIndexEntryBytes, victim->bytes);
    if (!n.ok()) return std::move(n).error();
    if (*n != victim->bytes.size()) {
      return corrupt(index_.layout().index_path(s_.slot) + ": shorter than the " +
                     std::to_string(s_.index_count) + " entries its metadata counts");
    }
    victim->first = first;
    victim->count = count;
    victim->last_use = clock_;
    return victim->bytes.data() + (i - first) * ring::kIndexEntryBytes;
  }

  RingIndex& index_;
  const ring::SegmentInfo& s_;
  size_t chunk_entries_;
  std::array<Chunk, 4> chunks_;
  uint64_t clock_ = 0;
};

int64_t BoundaryWalk::boundary(size_t k) const {
  return saturated_time(first_ns_, k, step_ns_);
}

base::Status BoundaryWalk::place(int64_t first_ns, uint64_t step_ns, size_t count) {
  first_ns_ = first_ns;
  step_ns_ = step_ns;
  positions_.assign(count, Cumulative{});
  runs_.clear();
  inexact_ = 0;
  size_t i = 0;
  if (!span_.empty) {
    for (uint64_t seq = span_.oldest.seq; seq <= span_.newest.seq && i < count; ++seq) {
      ring::SegmentInfo s;
      if (seq == span_.oldest.seq) {
        s = span_.oldest;
      } else if (seq == span_.newest.seq) {
        s = span_.newest;
      } else {
        auto m = index_.segment(seq);
        if (!m.ok()) return std::move(m).error();
        s = *m;
      }
      // A slot reused since the span was read: its records are gone, and its boundaries fall
      // to the next live segment's first record.
      if (s.seq != seq || s.packets == 0) continue;
      while (i < count && boundary(i) <= s.first_ts_ns) positions_[i++] = cumulative(s.start());
      if (i == count || boundary(i) > s.last_ts_ns) continue;
      auto next = place_in_segment(s, i, count);
      if (!next.ok()) return std::move(next).error();
      i = *next;
    }
  }
  const Cumulative end = cumulative(span_.end());
  while (i < count) positions_[i++] = end;
  return base::ok_status();
}

// Places the boundaries from i on that lie within s (boundary <= s.last_ts_ns); returns the
// first one after them, or i itself when the segment was reused meanwhile.
base::Result<size_t> BoundaryWalk::place_in_segment(const ring::SegmentInfo& s, size_t i,
                                                    size_t count) {
  const size_t begin = i;
  const size_t runs_before = runs_.size();
  const uint64_t inexact_before = inexact_;
  const uint32_t n = s.index_count;
  // Chunks: large when boundaries are dense in this index (each chunk read once, in order),
  // one page when they are sparse (about one read per boundary).
  const uint64_t boundaries = std::min<uint64_t>(
      count - i,
      static_cast<uint64_t>(s.last_ts_ns - boundary(i)) / std::max<uint64_t>(step_ns_, 1) + 1);
  const uint64_t index_bytes = uint64_t{n} * ring::kIndexEntryBytes;
  const size_t chunk_bytes =
      index_bytes / boundaries <= 16 * 1024 ? kLargeChunkBytes : kSmallChunkBytes;
  Entries entries(index_, s, chunk_bytes / ring::kIndexEntryBytes);

  // Entry j - 1 has ts < the current boundary (entry 0 is the segment's first record).
  uint32_t j_low = 1;
  int64_t low_ts = s.first_ts_ns;
  while (i < count && boundary(i) <= s.last_ts_ns) {
    const int64_t b = boundary(i);
    // First entry j >= j_low with ts >= b (n: none). Interpolate, then gallop to bracket it.
    uint32_t lo = j_low;
    uint32_t hi = n;
    if (j_low < n) {
      // low_ts < b <= last_ts: the fraction is in (0, 1]; the guess only steers the search.
      const double fraction =
          static_cast<double>(static_cast<uint64_t>(b) - static_cast<uint64_t>(low_ts)) /
          (static_cast<double>(static_cast<uint64_t>(s.last_ts_ns) -
                               static_cast<uint64_t>(low_ts)) +
           1.0);
      const uint32_t guess = std::min<uint32_t>(
          n - 1, j_low + static_cast<uint32_t>(fraction * static_cast<double>(n - j_low)));
      auto g = entries.ts(guess);
      if (!g.ok()) return std::move(g).error();
      if (*g >= b) {
        hi = guess;
        for (uint32_t d = 1;; d *= 2) {
          if (d > guess - j_low) break;  // lo stays j_low
          const uint32_t x = guess - d;
          auto t = entries.ts(x);
          if (!t.ok()) return std::move(t).error();
          if (*t < b) {
            lo = x + 1;
            break;
          }
          hi = x;
        }
      } else {
        lo = guess + 1;
        for (uint32_t d = 1;; d *= 2) {
          if (d >= n - guess) break;  // hi stays n
          const uint32_t x = guess + d;
          auto t = entries.ts(x);
          if (!t.ok()) return std::move(t).error();
          if (*t >= b) {
            hi = x;
            break;
          }
          lo = x + 1;
        }
      }
      while (lo < hi) {
        const uint32_t mid = lo + (hi - lo) / 2;
        auto t = entries.ts(mid);
        if (!t.ok()) return std::move(t).error();
        if (*t >= b) {
          hi = mid;
        } else {
          lo = mid + 1;
        }
      }
    }
    const uint32_t j = lo;
    // The run [entry j - 1, entry j or the segment's end) holds the first record with ts >= b.
    ring::IndexEntry run_start{s.first_ts_ns, s.start().offset, s.base.packets, s.base.wire_bytes,
                               s.base.record_bytes};
    if (n > 0) {
      auto e = entries.entry(j - 1);
      if (!e.ok()) return std::move(e).error();
      run_start = *e;
    }
    Cumulative run_end = cumulative(s.end());
    uint64_t run_end_offset = s.end().offset;
    if (j < n) {
      auto e = entries.entry(j);
      if (!e.ok()) return std::move(e).error();
      run_end = {e->packets, e->wire_bytes};
      run_end_offset = e->offset;
    }
    positions_[i] = run_end;
    if (run_end.packets - run_start.packets > 1) {
      // Several records: the boundary is somewhere inside, the run's end until read.
      ++inexact_;
      if (!runs_.empty() && runs_.back().seq == s.seq && runs_.back().begin == run_start.offset) {
        runs_.back().last = i + 1;
      } else {
        runs_.push_back({s.seq, s.slot, run_start.offset, run_end_offset,
                         Cumulative{run_start.packets, run_start.wire_bytes}, i, i + 1});
      }
    }
    j_low = j > 0 ? j : 1;
    low_ts = run_start.ts_ns;
    ++i;
  }
  // What was read belongs to this generation only if the slot still holds it.
  auto after = index_.segment(s.seq);
  if (!after.ok()) return std::move(after).error();
  if (after->seq != s.seq) {
    runs_.resize(runs_before);
    inexact_ = inexact_before;
    return begin;
  }
  return i;
}

base::Status BoundaryWalk::make_exact(uint64_t budget_bytes) {
  uint64_t total = 0;
  for (const Run& r : runs_) total += r.end - r.begin;
  if (runs_.empty() || total > budget_bytes) return base::ok_status();
  std::vector<std::byte> buffer;
  size_t from = 0;
  while (from < runs_.size()) {
    size_t to = from + 1;
    while (to < runs_.size() && runs_[to].seq == runs_[from].seq) ++to;
    SNAPFLOW_TRY_STATUS(exact_runs(from, to, buffer), "segment " + std::to_string(runs_[from].seq));
    from = to;
  }
  return base::ok_status();
}

// The runs [from, to) of one segment: read, the boundaries found among their records, kept if
// the segment was not reused meanwhile (otherwise they stay at index granularity).
base::Status BoundaryWalk::exact_runs(size_t from, size_t to, std::vector<std::byte>& buffer) {
  const uint32_t snaplen = index_.layout().snaplen;
  std::vector<std::pair<size_t, Cumulative>> found;
  for (size_t r = from; r < to; ++r) {
    const Run& run = runs_[r];
    buffer.resize(run.end - run.begin);
    auto n = index_.read_segment_bytes(run.slot, run.begin, buffer);
    if (!n.ok()) return std::move(n).error();
    scanned_bytes_ += *n;
    if (*n != buffer.size()) {
      auto after = index_.segment(run.seq);
      if (after.ok() && after->seq != run.seq) return base::ok_status();  // reused: keep
      return corrupt(index_.layout().segment_path(run.slot) + ": shorter than its committed " +
                     "length (segment " + std::to_string(run.seq) + ")");
    }
    Cumulative at = run.base;
    size_t offset = 0;
    size_t k = run.first;
    while (k < run.last) {
      if (offset == *n) {  // past the last record: the run's end
        found.emplace_back(k++, at);
        continue;
      }
      int64_t ts = 0;
      uint32_t captured = 0;
      uint32_t wire = 0;
      if (offset + kRecordHeaderBytes > *n ||
          !ring::parse_record_header(buffer.data() + offset, snaplen, ts, captured, wire) ||
          offset + kRecordHeaderBytes + captured > *n) {
        auto after = index_.segment(run.seq);
        if (after.ok() && after->seq != run.seq) return base::ok_status();  // reused: keep
        return corrupt(index_.layout().segment_path(run.slot) + ": invalid record at offset " +
                       std::to_string(run.begin + offset) + " (segment " + std::to_string(run.seq) +
                       ")");
      }
      if (ts >= boundary(k)) {
        found.emplace_back(k++, at);
        continue;
      }
      offset += kRecordHeaderBytes + captured;
      at.packets += 1;
      at.wire_bytes += wire;
    }
  }
  auto after = index_.segment(runs_[from].seq);
  if (!after.ok()) return std::move(after).error();
  if (after->seq != runs_[from].seq) return base::ok_status();  // reused: left inexact
  for (const auto& [k, at] : found) positions_[k] = at;
  inexact_ -= found.size();
  return base::ok_status();
}

}  // namespace snapflow::extract
