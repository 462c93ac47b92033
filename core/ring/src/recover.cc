#include "snapflow/ring/recover.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <vector>

#include "block_sums.h"
#include "file_util.h"
#include "record_format.h"
#include "segment_meta.h"
#include "segment_scan.h"
#include "snapflow/ring/catalog.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::ring {
namespace {

struct SegmentFiles {
  Fd data;
  Fd idx;
  Fd sum;
  std::string data_path;
  std::string idx_path;
  std::string sum_path;
  uint64_t size = 0;
};

base::Result<SegmentFiles> open_segment_files(const RingLayout& layout, uint32_t slot,
                                              bool with_checksums) {
  SegmentFiles f;
  f.data_path = layout.segment_path(slot);
  f.idx_path = layout.index_path(slot);
  auto data = open_file(f.data_path, O_RDWR | O_CREAT);
  if (!data.ok()) return std::move(data).error();
  f.data = std::move(*data);
  auto idx = open_file(f.idx_path, O_RDWR | O_CREAT);
  if (!idx.ok()) return std::move(idx).error();
  f.idx = std::move(*idx);
  f.sum_path = layout.sum_path(slot);
  if (with_checksums) {
    auto sum = open_file(f.sum_path, O_RDWR | O_CREAT);
    if (!sum.ok()) return std::move(sum).error();
    f.sum = std::move(*sum);
  }
  struct stat st {};
  if (::fstat(f.data.get(), &st) != 0) return io_error("stat", f.data_path);
  f.size = static_cast<uint64_t>(st.st_size);
  return f;
}

// True if the record at entry.offset has a valid header carrying the entry's timestamp.
base::Result<bool> entry_matches_data(const SegmentFiles& f, const IndexEntry& e,
                                      uint32_t snaplen) {
  if (e.offset < kSegmentHeaderBytes || e.offset + kRecordHeaderBytes > f.size) return false;
  std::array<std::byte, kRecordHeaderBytes> hdr{};
  auto n = pread_full(f.data.get(), hdr.data(), hdr.size(), e.offset, f.data_path);
  if (!n.ok()) return std::move(n).error();
  RecordHeader h;
  return *n == hdr.size() && read_record_header(hdr.data(), snaplen, h) && h.ts_ns == e.ts_ns &&
         e.offset + kRecordHeaderBytes + h.captured <= f.size;
}

// True if the committed bytes [from, info.committed_bytes) of a segment with checksums, all
// present in the file (a shorter file is a lost write, cut as a torn tail), fail their check.
base::Result<bool> committed_data_damaged(const RingLayout& layout, const SegmentInfo& info,
                                          const SegmentFiles& f, uint64_t from) {
  if (!info.has_checksums() || info.committed_bytes < kSegmentHeaderBytes ||
      f.size < info.committed_bytes || from >= info.committed_bytes) {
    return false;
  }
  auto sums = SegmentChecksums::load(layout, info);
  if (!sums.ok()) return std::move(sums).error();
  const uint64_t block = sums->block_bytes();
  auto bad = check_file_range(f.data.get(), f.data_path, *sums, from / block * block,
                              info.committed_bytes);
  if (!bad.ok()) return std::move(bad).error();
  return *bad < info.committed_bytes;
}

// Damaged committed data: the metadata keeps describing what was committed (readers skip the
// damage exactly, by the checksums), nothing uncommitted is kept, and the segment is sealed so
// the writer continues in a fresh one.
base::Status keep_damaged_segment(SegmentMetaFile& meta, const SegmentFiles& f,
                                  RecoveryReport& report) {
  SegmentInfo kept = meta.info();
  kept.state = SegmentState::kSealed;
  ++report.segments_damaged;
  ++report.segments_repaired;
  if (f.size > kept.committed_bytes) {
    report.bytes_dropped += f.size - kept.committed_bytes;
    if (::ftruncate(f.data.get(), static_cast<off_t>(kept.committed_bytes)) != 0) {
      return io_error("truncate", f.data_path);
    }
    SNAPFLOW_TRY_STATUS(sync_data(f.data.get(), f.data_path), "recover segment");
  }
  if (::ftruncate(f.idx.get(), static_cast<off_t>(kept.index_count * kIndexEntryBytes)) != 0) {
    return io_error("truncate", f.idx_path);
  }
  SNAPFLOW_TRY_STATUS(sync_data(f.idx.get(), f.idx_path), "recover index");
  return meta.write(kept);
}

// Repairs one active segment in place; updates `info` to the recovered durable state.
base::Status recover_segment(const RingLayout& layout, const RingConfig& config,
                             SegmentMetaFile& meta, bool is_newest, RecoveryReport& report) {
  SegmentInfo info = meta.info();
  auto files = open_segment_files(layout, info.slot, info.has_checksums());
  if (!files.ok()) return std::move(files).error();
  SegmentFiles& f = *files;
  ++report.segments_checked;

  // The header must be ours and of this generation; otherwise nothing in the file is.
  bool header_ok = false;
  bool other_generation = false;
  if (f.size >= kSegmentHeaderBytes) {
    std::array<std::byte, kSegmentHeaderBytes> hdr{};
    auto n = pread_full(f.data.get(), hdr.data(), hdr.size(), 0, f.data_path);
    if (!n.ok()) return std::move(n).error();
    const bool ours =
        *n == hdr.size() && file_header_matches(hdr.data(), layout.link_type, layout.snaplen);
    header_ok = ours && base::load_le32(hdr.data() + 12) == static_cast<uint32_t>(info.seq);
    other_generation = ours && !header_ok;
  }
  // A committed header that is no header at all and fails its checksum is damage (bit rot),
  // not a stale generation: keep what was committed.
  if (!header_ok && !other_generation) {
    auto damaged = committed_data_damaged(layout, info, f, 0);
    if (!damaged.ok()) return std::move(damaged).error();
    if (*damaged) return keep_damaged_segment(meta, f, report);
  }

  std::vector<IndexEntry> entries;
  if (header_ok) {
    // Every valid entry on disk, even past index_count: each is re-checked against the data.
    auto loaded = load_index(f.idx_path, (f.size / kIndexEntryBytes) + info.index_count + 1);
    if (!loaded.ok()) return std::move(loaded).error();
    entries = std::move(*loaded);
    while (!entries.empty()) {
      auto m = entry_matches_data(f, entries.back(), layout.snaplen);
      if (!m.ok()) return std::move(m).error();
      if (*m) break;
      entries.pop_back();
    }
  }
  // Scan forward from the last trustworthy point.
  IndexEntry cur = entries.empty() ? IndexEntry{0, kSegmentHeaderBytes, info.base.packets,
                                                info.base.wire_bytes, info.base.record_bytes}
                                   : entries.back();
  int64_t first_ts = entries.empty() ? 0 : entries.front().ts_ns;
  // The segment's largest time: the scanned records', the kept entries', and, when every
  // committed record is kept, the metadata's (records before cur are not rescanned, and after
  // a clock jumped back the last records are not the latest).
  int64_t last_ts = 0;
  for (const IndexEntry& e : entries) last_ts = std::max(last_ts, e.ts_ns);
  int64_t prev_ts = cur.ts_ns;  // the previous record's, for the plausibility check
  const size_t kept_entries = entries.size();
  // The interval the segment was written with, so the rescan adds the entries the writer would
  // have (time lookups rely on it).
  IndexPolicy policy(info.index_interval_ns > 0 ? info.index_interval_ns : config.index_interval_ns,
                     config.index_interval_bytes);
  if (!entries.empty()) policy.seed(entries.back());
  uint64_t end = kSegmentHeaderBytes;
  if (header_ok) {
    // Committed bytes the scan walks must match their checksums: damage there (bit rot) is not
    // a torn tail, and cutting at it would throw away the intact committed records after it.
    auto damaged = committed_data_damaged(layout, info, f, cur.offset);
    if (!damaged.ok()) return std::move(damaged).error();
    if (*damaged) return keep_damaged_segment(meta, f, report);
    bool first = entries.empty();
    auto scanned = scan_records(
        f.data.get(), f.data_path, cur.offset, f.size, layout.snaplen,
        [&](const RecordHeader& h, uint64_t off) {
          // Committed records are records whatever their time (a capture clock may jump back
          // hours); only the uncommitted tail needs the plausibility check against garbage.
          if (!first && off >= info.committed_bytes &&
              h.ts_ns < prev_ts - kMaxTimestampBackstepNs) {
            return false;
          }
          if (first) first_ts = h.ts_ns;
          // The record at a kept entry's offset does not get a second entry: the seeded
          // policy sees zero time and bytes since it.
          if (policy.take(h.ts_ns, off)) {
            entries.push_back({h.ts_ns, off, cur.packets, cur.wire_bytes, cur.record_bytes});
          }
          first = false;
          prev_ts = h.ts_ns;
          last_ts = h.ts_ns > last_ts ? h.ts_ns : last_ts;
          cur.offset = off + kRecordHeaderBytes + h.captured;
          cur.packets += 1;
          cur.wire_bytes += h.wire;
          cur.record_bytes += kRecordHeaderBytes + h.captured;
          return true;
        });
    if (!scanned.ok()) return std::move(scanned).error();
    end = *scanned;
  }

  SegmentInfo fixed = info;
  const uint64_t kept_packets = cur.packets - info.base.packets;
  fixed.committed_bytes = header_ok ? end : 0;
  fixed.packets = header_ok ? kept_packets : 0;
  fixed.wire_bytes = header_ok ? cur.wire_bytes - info.base.wire_bytes : 0;
  fixed.record_bytes = header_ok ? cur.record_bytes - info.base.record_bytes : 0;
  fixed.first_ts_ns = fixed.packets > 0 ? first_ts : 0;
  if (info.packets > 0 && end >= info.committed_bytes) last_ts = std::max(last_ts, info.last_ts_ns);
  fixed.last_ts_ns = fixed.packets > 0 ? last_ts : 0;
  fixed.index_count = static_cast<uint32_t>(entries.size());
  if (!is_newest) fixed.state = SegmentState::kSealed;

  if (fixed.packets > info.packets) report.records_beyond_metadata += fixed.packets - info.packets;
  if (fixed.packets < info.packets) report.records_missing += info.packets - fixed.packets;
  const uint64_t keep_bytes = fixed.committed_bytes;
  if (f.size > keep_bytes) report.bytes_dropped += f.size - keep_bytes;
  if (entries.size() > kept_entries) report.index_entries_added += entries.size() - kept_entries;
  if (info.index_count > kept_entries)
    report.index_entries_dropped += info.index_count - kept_entries;

  // Index: rewrite the entries past the kept ones, cut the rest; durable before metadata.
  std::vector<std::byte> buf((entries.size() - kept_entries) * kIndexEntryBytes);
  for (size_t i = kept_entries; i < entries.size(); ++i) {
    encode_index_entry(entries[i], buf.data() + (i - kept_entries) * kIndexEntryBytes);
  }
  SNAPFLOW_TRY_STATUS(
      pwrite_full(f.idx.get(), buf.data(), buf.size(), kept_entries * kIndexEntryBytes, f.idx_path),
      "recover index");
  if (::ftruncate(f.idx.get(), static_cast<off_t>(entries.size() * kIndexEntryBytes)) != 0) {
    return io_error("truncate", f.idx_path);
  }
  SNAPFLOW_TRY_STATUS(sync_data(f.idx.get(), f.idx_path), "recover index");
  // Checksums: entries of the blocks past the durable ones (or past the recovered end) are
  // recomputed from the kept records, before the metadata that covers them.
  if (info.has_checksums() && header_ok && end >= kSegmentHeaderBytes) {
    const uint8_t log2 = info.checksum_log2;
    auto on_disk = load_sum_entries(f.sum_path, static_cast<size_t>(end >> log2));
    if (!on_disk.ok()) return std::move(on_disk).error();
    const uint64_t first_block =
        std::min<uint64_t>({on_disk->size(), info.committed_bytes >> log2, end >> log2});
    if (end != info.committed_bytes || first_block < (end >> log2)) {
      IndexEntry from{0, kSegmentHeaderBytes, info.base.packets, info.base.wire_bytes,
                      info.base.record_bytes};
      for (const IndexEntry& e : entries) {
        if (e.offset > (first_block << log2)) break;
        from = e;
      }
      auto tail = rebuild_sum_entries(f.data.get(), f.data_path, f.sum.get(), f.sum_path,
                                      layout.snaplen, from, log2, first_block, end);
      if (!tail.ok()) return std::move(tail).error().context("recover checksums");
      fixed.tail_crc = *tail;
    }
  } else if (!header_ok && f.sum.valid()) {
    if (::ftruncate(f.sum.get(), 0) != 0) return io_error("truncate", f.sum_path);
  }
  // Data: cut the torn tail so the file is a clean PCAP and nothing stale follows the end.
  if (f.size != keep_bytes) {
    if (::ftruncate(f.data.get(), static_cast<off_t>(keep_bytes)) != 0) {
      return io_error("truncate", f.data_path);
    }
    SNAPFLOW_TRY_STATUS(sync_data(f.data.get(), f.data_path), "recover segment");
  }
  const bool changed = fixed.committed_bytes != info.committed_bytes ||
                       fixed.packets != info.packets || fixed.index_count != info.index_count ||
                       fixed.state != info.state || f.size != keep_bytes ||
                       fixed.tail_crc != info.tail_crc;
  if (changed) {
    ++report.segments_repaired;
    SNAPFLOW_TRY_STATUS(meta.write(fixed), "recover segment metadata");
  }
  return base::ok_status();
}

}  // namespace

std::string RecoveryReport::summary() const {
  return "checked " + std::to_string(segments_checked) + " active segment(s), repaired " +
         std::to_string(segments_repaired) + "; kept " + std::to_string(records_beyond_metadata) +
         " record(s) past the committed length, " + std::to_string(records_missing) +
         " committed record(s) missing, dropped " + std::to_string(bytes_dropped) +
         " tail byte(s); index +" + std::to_string(index_entries_added) + "/-" +
         std::to_string(index_entries_dropped) + "; damaged segments kept " +
         std::to_string(segments_damaged) + "; catalog entries fixed " +
         std::to_string(catalog_entries_fixed);
}

base::Result<RecoveryReport> recover_ring(const RingLayout& layout, const RingConfig& config) {
  RecoveryReport report;
  auto segments = list_segments(layout);
  if (!segments.ok()) return std::move(segments).error().context("recover");
  for (size_t i = 0; i < segments->size(); ++i) {
    const SegmentInfo& s = (*segments)[i];
    if (s.state != SegmentState::kActive) continue;
    auto meta = SegmentMetaFile::open(layout, s.slot);
    if (!meta.ok()) return std::move(meta).error().context("recover");
    SNAPFLOW_TRY_STATUS(recover_segment(layout, config, *meta, i + 1 == segments->size(), report),
                        "recover segment " + std::to_string(s.seq) + " of " + layout.dir);
  }
  auto after = list_segments(layout);
  if (!after.ok()) return std::move(after).error().context("recover");
  if (!after->empty()) {
    report.head = after->back().end();
    report.head_ts_ns = after->back().last_ts_ns;
  }
  auto catalog = CaptureCatalog::open(layout.dir);
  if (!catalog.ok()) return std::move(catalog).error().context("recover");
  auto fixed = catalog->clamp_to(report.head, report.head_ts_ns);
  if (!fixed.ok()) return std::move(fixed).error().context("recover");
  report.catalog_entries_fixed = *fixed;
  return report;
}

}  // namespace snapflow::ring
