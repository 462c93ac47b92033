// Verification side of the segment checksums: SegmentChecksums, the damage extent a reader
// skips, and the helpers the writer (resume) and recovery share.
#include "snapflow/ring/checksum.h"

#include <algorithm>

#include "block_sums.h"
#include "file_util.h"
#include "record_format.h"
#include "segment_scan.h"

namespace snapflow::ring {
namespace {

// The position of the record an entry names, in segment info.
RingPosition entry_position(const SegmentInfo& info, uint64_t block, uint8_t log2,
                            const SumEntry& e) {
  const uint64_t offset = (block << log2) + e.first_record;
  return {info.seq, offset, e.packets, e.wire_bytes,
          info.base.record_bytes + (offset - kSegmentHeaderBytes)};
}

}  // namespace

base::Result<SegmentChecksums> SegmentChecksums::load(const RingLayout& layout,
                                                      const SegmentInfo& info) {
  SegmentChecksums s;
  if (!info.has_checksums()) return s;
  s.path_ = layout.sum_path(info.slot);
  s.seq_ = info.seq;
  s.log2_ = info.checksum_log2;
  SNAPFLOW_TRY_STATUS(s.refresh(info), "load checksums");
  return s;
}

base::Status SegmentChecksums::refresh(const SegmentInfo& info) {
  if (!enabled()) return base::ok_status();
  committed_ = info.committed_bytes;
  tail_crc_ = info.tail_crc;
  const uint64_t want = committed_ >> log2_;
  if (entries_.size() < want) {
    // Entries of full blocks are durable before the metadata that covers them, so they are all
    // there unless the .sum file was damaged; a short read leaves those blocks unverifiable.
    auto more = read_sum_entries(path_, static_cast<size_t>(want), entries_.size());
    if (!more.ok()) return std::move(more).error();
    entries_.insert(entries_.end(), more->begin(), more->end());
  }
  return base::ok_status();
}

uint64_t SegmentChecksums::first_bad(uint64_t file_offset, std::span<const std::byte> data) const {
  const uint64_t end = file_offset + data.size();
  if (!enabled()) return end;
  const uint64_t bytes = block_bytes();
  for (uint64_t at = file_offset; at < end; at += bytes) {
    const uint64_t block = at >> log2_;
    const uint64_t block_end = std::min(end, at + bytes);
    const std::byte* p = data.data() + (at - file_offset);
    const size_t n = static_cast<size_t>(block_end - at);
    if (block_end == at + bytes) {
      const SumEntry* e = entry(block);
      if (e == nullptr || crc32c(p, n) != e->crc) return at;
    } else if (block_end != committed_ || crc32c(p, n) != tail_crc_) {
      return at;  // a partial block is only checkable as the committed tail
    }
  }
  return end;
}

base::Result<uint64_t> check_file_range(int fd, const std::string& path,
                                        const SegmentChecksums& sums, uint64_t from,
                                        uint64_t limit) {
  if (!sums.enabled() || from >= limit) return limit;
  const uint64_t chunk = std::max<uint64_t>(sums.block_bytes(), uint64_t{1} << 20);
  std::vector<std::byte> buf(static_cast<size_t>(std::min(chunk, limit - from)));
  for (uint64_t at = from; at < limit; at += chunk) {
    const size_t n = static_cast<size_t>(std::min(chunk, limit - at));
    auto got = pread_full(fd, buf.data(), n, at, path);
    if (!got.ok()) return std::move(got).error();
    const uint64_t bad = sums.first_bad(at, std::span(buf.data(), *got));
    if (bad < at + *got) return bad;
    if (*got < n) return at + *got;  // file shorter than the range: the rest is missing
  }
  return limit;
}

base::Result<std::optional<SumEntry>> first_start_in_block(int fd, const std::string& path,
                                                           uint32_t snaplen, const IndexEntry& from,
                                                           uint8_t log2, uint64_t block,
                                                           uint64_t limit) {
  std::optional<SumEntry> found;
  const uint64_t block_start = block << log2;
  const uint64_t block_end = (block + 1) << log2;
  uint64_t packets = from.packets;
  uint64_t wire = from.wire_bytes;
  auto walked =
      scan_records(fd, path, from.offset, limit, snaplen, [&](const RecordHeader& h, uint64_t off) {
        if (off >= block_end) return false;
        if (off >= block_start) {
          SumEntry e;
          e.first_record = static_cast<uint32_t>(off - block_start);
          e.packets = packets;
          e.wire_bytes = wire;
          found = e;
          return false;
        }
        packets += 1;
        wire += h.wire;
        return true;
      });
  if (!walked.ok()) return std::move(walked).error();
  return found;
}

base::Result<Corruption> measure_damage(const RingLayout& layout, const SegmentInfo& info,
                                        const SegmentChecksums& sums, int fd,
                                        const RingPosition& from, int64_t from_ts_ns,
                                        uint64_t bad_offset) {
  const std::string path = layout.segment_path(info.slot);
  const uint8_t log2 = info.checksum_log2;
  const uint64_t bytes = sums.block_bytes();
  const uint64_t committed = info.committed_bytes;
  Corruption c;
  c.segment_seq = info.seq;
  c.from = from;
  c.to = info.end();
  c.file_offset = bad_offset / bytes * bytes;
  uint64_t damaged_end = std::min(committed, c.file_offset + bytes);
  int64_t to_ts = info.last_ts_ns;
  std::vector<std::byte> buf(static_cast<size_t>(bytes));
  for (uint64_t at = damaged_end; at < committed; at += bytes) {
    const uint64_t block = at >> log2;
    const uint64_t block_end = std::min(committed, at + bytes);
    const size_t n = static_cast<size_t>(block_end - at);
    auto got = pread_full(fd, buf.data(), n, at, path);
    if (!got.ok()) return std::move(got).error();
    if (*got < n || sums.first_bad(at, std::span(buf.data(), n)) != block_end) {
      damaged_end = block_end;
      continue;
    }
    if (block_end == at + bytes) {
      const SumEntry* e = sums.entry(block);
      if (!e->has_record_start()) continue;  // the middle of a record that began in the damage
      c.to = entry_position(info, block, log2, *e);
      if (e->first_record + 8 <= bytes) {  // its timestamp lies in the bytes just checked
        const std::byte* h = buf.data() + e->first_record;
        to_ts = static_cast<int64_t>(base::load_le32(h)) * base::kNsPerSec + base::load_le32(h + 4);
      }
      break;
    }
    // The partial last block matched: resume at the first index entry inside it, if any.
    auto index = load_index(layout.index_path(info.slot), info.index_count);
    if (!index.ok()) return std::move(index).error();
    for (const IndexEntry& e : *index) {
      if (e.offset >= at && e.offset < committed) {
        c.to = e.position(info.seq);
        to_ts = e.ts_ns;
        break;
      }
    }
    break;
  }
  c.file_bytes = damaged_end - c.file_offset;
  c.lost.start_ns = from_ts_ns != 0 ? from_ts_ns : info.first_ts_ns;
  c.lost.end_ns = to_ts;
  c.lost.packets = c.to.packets - from.packets;
  c.lost.wire_bytes = c.to.wire_bytes - from.wire_bytes;
  c.lost.record_bytes = c.to.record_bytes - from.record_bytes;
  return c;
}

}  // namespace snapflow::ring
