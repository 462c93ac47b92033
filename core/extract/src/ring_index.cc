// RingIndex: opening, segment metadata, index entries, and the ring's span (oldest and newest
// live segments) found by binary search over the slots.
#include "snapflow/extract/ring_index.h"

#include <array>

#include "ring_files.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::extract {

RingIndex::RingIndex(ring::RingLayout layout)
    : layout_(std::move(layout)), files_(std::make_unique<FdCache>(layout_)) {}
RingIndex::~RingIndex() = default;

base::Result<std::unique_ptr<RingIndex>> RingIndex::open(const std::string& dir) {
  auto layout = ring::open_ring(dir);
  if (!layout.ok()) return std::move(layout).error();
  return std::unique_ptr<RingIndex>(new RingIndex(std::move(*layout)));
}

base::Result<ring::SegmentInfo> RingIndex::read_meta(uint32_t slot) {
  ++counters_.metadata_reads;
  auto fd = files_->get(slot, RingFile::kMeta);
  if (!fd.ok()) {
    if (fd.error().code() == base::ErrorCode::kNotFound) {
      ring::SegmentInfo empty;
      empty.slot = slot;
      return empty;
    }
    return std::move(fd).error();
  }
  std::array<std::byte, ring::kSegmentMetaFileBytes> buf{};
  auto n = pread_all(*fd, buf.data(), buf.size(), 0, layout_.meta_path(slot));
  if (!n.ok()) return std::move(n).error();
  return ring::decode_segment_meta({buf.data(), *n}, slot);
}

base::Result<ring::SegmentInfo> RingIndex::probe_slot(uint32_t slot) {
  for (const ring::SegmentInfo& p : probes_) {
    if (p.slot == slot) return p;
  }
  auto m = read_meta(slot);
  if (m.ok() && m->state == ring::SegmentState::kSealed && probes_.size() < 256) {
    probes_.push_back(*m);
  }
  return m;
}

base::Result<ring::SegmentInfo> RingIndex::segment(uint64_t seq) {
  return read_meta(layout_.slot_of(seq));
}

base::Result<int> RingIndex::data_fd(uint32_t slot) {
  return files_->get(slot, RingFile::kData);
}

base::Result<size_t> RingIndex::read_index_bytes(uint32_t slot, uint64_t offset,
                                                 std::span<std::byte> out) {
  ++counters_.index_reads;
  auto fd = files_->get(slot, RingFile::kIndex);
  if (!fd.ok()) return std::move(fd).error();
  return pread_all(*fd, out.data(), out.size(), offset, layout_.index_path(slot));
}

base::Result<size_t> RingIndex::read_segment_bytes(uint32_t slot, uint64_t offset,
                                                   std::span<std::byte> out) {
  auto fd = files_->get(slot, RingFile::kData);
  if (!fd.ok()) return std::move(fd).error();
  auto n = pread_all(*fd, out.data(), out.size(), offset, layout_.segment_path(slot));
  if (n.ok()) counters_.scanned_bytes += *n;
  return n;
}

base::Result<ring::IndexEntry> RingIndex::read_entry(const ring::SegmentInfo& s, uint32_t i) {
  const uint64_t offset = uint64_t{i} * ring::kIndexEntryBytes;
  const std::string path = layout_.index_path(s.slot);
  if (page_.seq != s.seq || offset < page_.offset ||
      offset + ring::kIndexEntryBytes > page_.offset + page_.length) {
    ++counters_.index_reads;
    auto fd = files_->get(s.slot, RingFile::kIndex);
    if (!fd.ok()) return std::move(fd).error();
    page_.seq = 0;
    page_.offset = offset & ~uint64_t{4095};
    auto n = pread_all(*fd, page_.bytes.data(), page_.bytes.size(), page_.offset, path);
    if (!n.ok()) return std::move(n).error();
    page_.length = *n;
    page_.seq = s.seq;
  }
  ring::IndexEntry e;
  if (offset + ring::kIndexEntryBytes > page_.offset + page_.length ||
      !ring::decode_index_entry(page_.bytes.data() + (offset - page_.offset), e)) {
    return base::make_error(base::ErrorCode::kFormat, path + ": index entry " + std::to_string(i) +
                                                          " of " + std::to_string(s.index_count) +
                                                          " is missing or corrupt");
  }
  return e;
}

namespace {

bool is_live(const ring::SegmentInfo& s) {
  return s.seq != 0 && s.state != ring::SegmentState::kEmpty;
}

}  // namespace

base::Result<RingSpan> RingIndex::span() {
  probes_.clear();
  auto found = span_by_search();
  if (!found.ok() || found->oldest.seq != 0) return found;
  return span_by_scan();  // the slots do not form the rotated pattern (or the ring is empty)
}

// Slot i holds the newest sequence s with (s-1) % count == i. So, with s0 in slot 0, slots
// 0..p hold s0..s0+p (the current lap) and the later slots hold the previous lap (or nothing):
// p, the newest segment's slot, is the last slot whose sequence is s0 + slot.
base::Result<RingSpan> RingIndex::span_by_search() {
  const uint32_t count = layout_.segment_count;
  auto first = read_meta(0);
  if (!first.ok()) return std::move(first).error();
  if (!is_live(*first) || layout_.slot_of(first->seq) != 0) return RingSpan{};  // scan instead
  const uint64_t s0 = first->seq;
  uint32_t lo = 0;  // invariant: slot lo is in the current lap
  uint32_t hi = count;
  ring::SegmentInfo newest = *first;
  while (hi - lo > 1) {
    const uint32_t mid = lo + (hi - lo) / 2;
    auto m = probe_slot(mid);
    if (!m.ok()) return std::move(m).error();
    if (is_live(*m) && m->seq == s0 + mid) {
      lo = mid;
      newest = *m;
    } else {
      hi = mid;
    }
  }
  // The oldest live segment: the lap before, unless it was never written or is being reused.
  const uint64_t lowest = newest.seq >= count ? newest.seq - count + 1 : 1;
  RingSpan span;
  span.empty = false;
  span.newest = newest;
  for (uint64_t seq = lowest; seq <= newest.seq; ++seq) {
    auto m = seq == newest.seq ? base::Result<ring::SegmentInfo>(newest) : segment(seq);
    if (!m.ok()) return std::move(m).error();
    if (is_live(*m) && m->seq == seq) {
      span.oldest = *m;
      break;
    }
  }
  if (span.oldest.seq == 0) return RingSpan{};
  span.first_ts_ns = span.oldest.first_ts_ns;
  span.last_ts_ns = newest.last_ts_ns;
  if (newest.packets == 0) {
    if (newest.seq == span.oldest.seq) {
      span.empty = true;  // nothing committed at all
      span.oldest = newest;
      return span;
    }
    auto prev = segment(newest.seq - 1);
    if (!prev.ok()) return std::move(prev).error();
    span.last_ts_ns = prev->last_ts_ns;
  }
  return span;
}

// Every slot's metadata, as ring::list_segments() reads it: for rings whose slots do not form
// the rotated pattern (e.g. a slot reset by recovery).
base::Result<RingSpan> RingIndex::span_by_scan() {
  std::vector<ring::SegmentInfo> live;
  uint64_t newest = 0;
  for (uint32_t slot = 0; slot < layout_.segment_count; ++slot) {
    auto m = read_meta(slot);
    if (!m.ok()) return std::move(m).error();
    if (!is_live(*m) || layout_.slot_of(m->seq) != slot) continue;
    newest = std::max(newest, m->seq);
    live.push_back(*m);
  }
  RingSpan span;
  for (const auto& m : live) {
    if (m.seq + layout_.segment_count <= newest) continue;
    if (span.oldest.seq == 0 || m.seq < span.oldest.seq) span.oldest = m;
    if (m.seq == newest) span.newest = m;
  }
  if (span.oldest.seq == 0) return span;
  span.empty = false;
  span.first_ts_ns = span.oldest.first_ts_ns;
  span.last_ts_ns = span.newest.last_ts_ns;
  if (span.newest.packets == 0) {
    span.last_ts_ns = 0;
    for (const auto& m : live) {
      if (m.seq < newest && m.seq + layout_.segment_count > newest && m.packets != 0) {
        span.last_ts_ns = std::max(span.last_ts_ns, m.last_ts_ns);
      }
    }
    if (span.newest.seq == span.oldest.seq) span.empty = true;
  }
  return span;
}

}  // namespace snapflow::extract
