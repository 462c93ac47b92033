#include "snapflow/ring/recover.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <vector>

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
  std::string data_path;
  std::string idx_path;
  uint64_t size = 0;
};

base::Result<SegmentFiles> open_segment_files(const RingLayout& layout, uint32_t slot) {
  SegmentFiles f;
  f.data_path = layout.segment_path(slot);
  f.idx_path = layout.index_path(slot);
  auto data = open_file(f.data_path, O_RDWR | O_CREAT);
  if (!data.ok()) return std::move(data).error();
  f.data = std::move(*data);
  auto idx = open_file(f.idx_path, O_RDWR | O_CREAT);
  if (!idx.ok()) return std::move(idx).error();
  f.idx = std::move(*idx);
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

// Repairs one active segment in place; updates `info` to the recovered durable state.
base::Status recover_segment(const RingLayout& layout, const RingConfig& config,
                             SegmentMetaFile& meta, bool is_newest, RecoveryReport& report) {
  SegmentInfo info = meta.info();
  auto files = open_segment_files(layout, info.slot);
  if (!files.ok()) return std::move(files).error();
  SegmentFiles& f = *files;
  ++report.segments_checked;

  // The header must be ours and of this generation; otherwise nothing in the file is.
  bool header_ok = false;
  if (f.size >= kSegmentHeaderBytes) {
    std::array<std::byte, kSegmentHeaderBytes> hdr{};
    auto n = pread_full(f.data.get(), hdr.data(), hdr.size(), 0, f.data_path);
    if (!n.ok()) return std::move(n).error();
    header_ok = *n == hdr.size() &&
                file_header_matches(hdr.data(), layout.link_type, layout.snaplen) &&
                base::load_le32(hdr.data() + 12) == static_cast<uint32_t>(info.seq);
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
  int64_t last_ts = cur.ts_ns;
  const size_t kept_entries = entries.size();
  IndexPolicy policy(config.index_interval_ns, config.index_interval_bytes);
  if (!entries.empty()) policy.seed(entries.back());
  uint64_t end = kSegmentHeaderBytes;
  if (header_ok) {
    bool first = entries.empty();
    auto scanned = scan_records(
        f.data.get(), f.data_path, cur.offset, f.size, layout.snaplen,
        [&](const RecordHeader& h, uint64_t off) {
          if (!first && h.ts_ns < last_ts - kMaxTimestampBackstepNs) return false;
          if (first) first_ts = h.ts_ns;
          // The record at a kept entry's offset does not get a second entry: the seeded
          // policy sees zero time and bytes since it.
          if (policy.take(h.ts_ns, off)) {
            entries.push_back({h.ts_ns, off, cur.packets, cur.wire_bytes, cur.record_bytes});
          }
          first = false;
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
  // Data: cut the torn tail so the file is a clean PCAP and nothing stale follows the end.
  if (f.size != keep_bytes) {
    if (::ftruncate(f.data.get(), static_cast<off_t>(keep_bytes)) != 0) {
      return io_error("truncate", f.data_path);
    }
    SNAPFLOW_TRY_STATUS(sync_data(f.data.get(), f.data_path), "recover segment");
  }
  const bool changed = fixed.committed_bytes != info.committed_bytes ||
                       fixed.packets != info.packets || fixed.index_count != info.index_count ||
                       fixed.state != info.state || f.size != keep_bytes;
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
         std::to_string(index_entries_dropped) + "; catalog entries fixed " +
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
