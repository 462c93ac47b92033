#include "snapflow/ring/reader.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>

#include "file_util.h"
#include "record_format.h"
#include "snapflow/ring/window.h"

namespace snapflow::ring {

RingPosition position_before(RingPosition end, std::span<const pcap::PacketRecord> tail) {
  for (const auto& r : tail) {
    end.offset -= kRecordHeaderBytes + r.captured_length;
    end.wire_bytes -= r.wire_length;
    end.record_bytes -= kRecordHeaderBytes + r.captured_length;
  }
  end.packets -= tail.size();
  return end;
}

RingReader::RingReader(RingLayout layout, const RingReaderOptions& options)
    : layout_(std::move(layout)), options_(options), fds_(layout_.segment_count, -1) {}

RingReader::~RingReader() {
  for (int fd : fds_) {
    if (fd >= 0) ::close(fd);
  }
}

base::Result<std::unique_ptr<RingReader>> RingReader::open(const std::string& dir,
                                                           const RingReaderOptions& options) {
  auto layout = open_ring(dir);
  if (!layout.ok()) return std::move(layout).error().context("open ring reader");
  if (options.batch_bytes < kRecordHeaderBytes) {
    return base::make_error(base::ErrorCode::kInvalidArgument, "batch_bytes too small");
  }
  std::unique_ptr<RingReader> r(new RingReader(std::move(*layout), options));
  SNAPFLOW_TRY_STATUS(r->seek_oldest(), "open ring reader " + dir);
  return r;
}

void RingReader::cancel() {
  // release pairs with the acquire load in next_batch().
  cancelled_.store(true, std::memory_order_release);
}

void RingReader::seek(const RingPosition& position, int64_t last_ts_ns) {
  pos_ = position;
  last_ts_ns_ = last_ts_ns;
}

base::Status RingReader::seek_oldest() {
  auto segs = list_segments(layout_);
  if (!segs.ok()) return std::move(segs).error();
  pos_ = segs->empty() ? RingPosition{} : segs->front().start();
  last_ts_ns_ = 0;
  return base::ok_status();
}

base::Status RingReader::seek_end() {
  auto segs = list_segments(layout_);
  if (!segs.ok()) return std::move(segs).error();
  pos_ = segs->empty() ? RingPosition{} : segs->back().end();
  last_ts_ns_ = segs->empty() ? 0 : segs->back().last_ts_ns;
  return base::ok_status();
}

base::Status RingReader::seek_time(int64_t ts_ns) {
  auto p = find_position(layout_, ts_ns);
  if (!p.ok()) return std::move(p).error().context("seek time");
  pos_ = *p;
  last_ts_ns_ = 0;
  return base::ok_status();
}

base::Result<int> RingReader::segment_fd(uint32_t slot) {
  if (fds_[slot] < 0) {
    const std::string path = layout_.segment_path(slot);
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return io_error("open", path);
    fds_[slot] = fd;
  }
  return fds_[slot];
}

// Moves to the oldest surviving data. Returns true (and sets gap_) if records were lost
// between the current position and there.
base::Result<bool> RingReader::jump_to_oldest() {
  auto segs = list_segments(layout_);
  if (!segs.ok()) return std::move(segs).error();
  if (segs->empty()) return false;
  const SegmentInfo& oldest = segs->front();
  if (oldest.seq <= pos_.segment_seq) return false;  // our segment came back meanwhile
  const RingPosition to = oldest.start();
  const bool lost = to.packets > pos_.packets;
  if (lost) {
    gap_ = {last_ts_ns_, oldest.first_ts_ns, to.packets - pos_.packets,
            to.wire_bytes - pos_.wire_bytes, to.record_bytes - pos_.record_bytes};
    ++gaps_;
  }
  pos_ = to;
  return lost;
}

// The checksums of info's segment, loaded once per segment and caught up as it grows.
base::Result<const SegmentChecksums*> RingReader::checksums_for(const SegmentInfo& info) {
  if (!sums_ || sums_->segment_seq() != info.seq) {
    auto loaded = SegmentChecksums::load(layout_, info);
    if (!loaded.ok()) return std::move(loaded).error();
    sums_ = std::move(*loaded);
  } else {
    SNAPFLOW_TRY_STATUS(sums_->refresh(info), "checksums");
  }
  return &*sums_;
}

base::Result<ReadStatus> RingReader::read_committed(const SegmentInfo& info,
                                                    pcap::PacketBatch& batch, size_t max_packets) {
  auto fd = segment_fd(info.slot);
  if (!fd.ok()) return std::move(fd).error();
  const std::string& path_for_errors = layout_.dir;
  const SegmentChecksums* sums = nullptr;
  if (options_.verify_checksums && info.has_checksums()) {
    auto loaded = checksums_for(info);
    if (!loaded.ok()) return std::move(loaded).error();
    sums = *loaded;
  }
  // With checksums a read covers whole blocks (the first may start before the position), so
  // each block is checked once, as a whole, and records are parsed only from blocks that match.
  const uint64_t block = sums != nullptr ? sums->block_bytes() : 1;
  const uint64_t read_from = pos_.offset / block * block;
  const size_t skip = static_cast<size_t>(pos_.offset - read_from);
  uint64_t read_end = read_from;  // storage holds file bytes [read_from, read_end)
  uint64_t good_end = read_from;  // ... of which [read_from, good_end) matched their checksums
  // Reads [read_from, want_end), want_end widened to hold a record header and cut to whole
  // blocks (or the committed end), and checks it.
  auto read_to = [&](uint64_t want_end) -> base::Status {
    want_end = std::max(want_end, pos_.offset + kRecordHeaderBytes);
    want_end = std::min(info.committed_bytes, (want_end + block - 1) / block * block);
    const size_t want = static_cast<size_t>(want_end - read_from);
    if (batch.storage.size() < want) batch.storage.resize(want);
    auto n = pread_full(*fd, batch.storage.data(), want, read_from, path_for_errors);
    if (!n.ok()) return std::move(n).error();
    read_end = read_from + *n;
    good_end = read_end;
    if (sums != nullptr) {
      // Blocks the previous batch checked (a batch usually resumes inside its last one).
      uint64_t from = read_from;
      if (checked_seq_ == info.seq && checked_begin_ <= from && from < checked_end_) {
        from = std::min(checked_end_, read_end);
      } else {
        checked_begin_ = read_from;
      }
      good_end = sums->first_bad(from, std::span(batch.storage.data() + (from - read_from),
                                                 static_cast<size_t>(read_end - from)));
      checked_seq_ = info.seq;
      checked_end_ = good_end / block * block;
    }
    return base::ok_status();
  };
  uint64_t want_end = std::min(info.committed_bytes, pos_.offset + options_.batch_bytes);
  if (want_end < info.committed_bytes && want_end / block * block > pos_.offset) {
    want_end = want_end / block * block;  // a batch ends at a block boundary: no block read twice
  }
  SNAPFLOW_TRY_STATUS(read_to(want_end), "read");
  size_t off = skip;
  bool corrupt = false;
  while (batch.records.size() < max_packets) {
    const size_t trusted = static_cast<size_t>(good_end - read_from);
    if (off + kRecordHeaderBytes > trusted) break;
    RecordHeader h;
    if (!read_record_header(batch.storage.data() + off, layout_.snaplen, h)) {
      corrupt = true;
      break;
    }
    const size_t rec = kRecordHeaderBytes + h.captured;
    if (off + rec > trusted) {
      const uint64_t rec_end = read_from + off + rec;
      if (off > skip || good_end < read_end) break;  // the next batch, or damage
      if (rec_end > info.committed_bytes) {
        corrupt = true;  // a record claiming more than was committed
        break;
      }
      // One record larger than what was read: read (and check) up to its end.
      SNAPFLOW_TRY_STATUS(read_to(rec_end), "read");
      if (good_end < rec_end) {
        corrupt = sums == nullptr;  // unchecked: the file is shorter than committed
        break;
      }
      continue;
    }
    pcap::PacketRecord r;
    r.ts_ns = h.ts_ns;
    r.data = batch.storage.data() + off + kRecordHeaderBytes;
    r.captured_length = h.captured;
    r.wire_length = h.wire;
    r.link_type = layout_.link_type;
    batch.records.push_back(r);
    off += rec;
  }
  // Nothing readable at the position because a block it needs failed its check (or is missing):
  // skip to the first record after the damage, with exact totals.
  std::optional<Corruption> damage;
  if (sums != nullptr && batch.records.empty() && !corrupt && good_end < info.committed_bytes) {
    auto measured = measure_damage(layout_, info, *sums, *fd, pos_, last_ts_ns_, good_end);
    if (!measured.ok()) return std::move(measured).error();
    damage = *measured;
  }
  // The bytes (and the verdict on them) are only ours if the slot still holds our generation.
  auto after = read_segment_info(layout_, info.slot);
  if (!after.ok()) return std::move(after).error();
  if (after->seq != info.seq) {
    batch.clear();
    return ReadStatus::kEnd;  // caller loops and finds the overrun
  }
  if (damage) {
    corruption_ = *damage;
    ++corruptions_;
    pos_ = damage->to;
    return ReadStatus::kCorrupt;
  }
  if (batch.records.empty()) {
    if (corrupt) {
      return base::make_error(base::ErrorCode::kFormat,
                              layout_.segment_path(info.slot) +
                                  ": invalid record at committed offset " +
                                  std::to_string(pos_.offset));
    }
    return ReadStatus::kEnd;
  }
  for (const auto& r : batch.records) {
    pos_.wire_bytes += r.wire_length;
    pos_.record_bytes += kRecordHeaderBytes + r.captured_length;
  }
  pos_.packets += batch.records.size();
  pos_.offset += off - skip;
  last_ts_ns_ = batch.records.back().ts_ns;
  return ReadStatus::kRecords;
}

base::Result<ReadStatus> RingReader::try_read(pcap::PacketBatch& batch, size_t max_packets) {
  // Each pass either returns or moves forward by one segment; bound it anyway.
  for (uint32_t pass = 0; pass < 2 * layout_.segment_count + 4; ++pass) {
    if (pos_.segment_seq == 0) {
      auto lost = jump_to_oldest();
      if (!lost.ok()) return std::move(lost).error();
      if (*lost) return ReadStatus::kGap;
      if (pos_.segment_seq == 0) return ReadStatus::kEnd;
      continue;
    }
    auto info = read_segment_info(layout_, layout_.slot_of(pos_.segment_seq));
    if (!info.ok()) return std::move(info).error();
    if (info->seq == pos_.segment_seq && info->state != SegmentState::kEmpty) {
      if (info->committed_bytes > pos_.offset) {
        auto st = read_committed(*info, batch, max_packets);
        if (!st.ok() || *st == ReadStatus::kRecords || *st == ReadStatus::kCorrupt) return st;
        // Overwritten while reading: the next pass sees the new sequence number.
        auto again = read_segment_info(layout_, info->slot);
        if (!again.ok()) return std::move(again).error();
        if (again->seq == info->seq) return ReadStatus::kEnd;
        continue;
      }
      if (info->state == SegmentState::kSealed) {
        pos_.segment_seq += 1;
        pos_.offset = kSegmentHeaderBytes;
        continue;
      }
      return ReadStatus::kEnd;  // active segment, nothing new committed
    }
    if (info->seq > pos_.segment_seq) {
      auto lost = jump_to_oldest();
      if (!lost.ok()) return std::move(lost).error();
      if (*lost) return ReadStatus::kGap;
      continue;
    }
    return ReadStatus::kEnd;  // the writer has not reached our segment yet
  }
  return ReadStatus::kEnd;
}

base::Result<ReadStatus> RingReader::next_batch(pcap::PacketBatch& batch, size_t max_packets) {
  batch.clear();
  if (max_packets == 0) {
    return base::make_error(base::ErrorCode::kInvalidArgument, "max_packets must be positive");
  }
  queue::Backoff backoff(options_.backoff);
  const int64_t start_ns = options_.follow ? base::now_monotonic_ns() : 0;
  while (true) {
    // acquire pairs with the release store in cancel().
    if (cancelled_.load(std::memory_order_acquire)) return ReadStatus::kCancelled;
    auto st = try_read(batch, max_packets);
    if (!st.ok()) return std::move(st).error().context("read ring " + layout_.dir);
    if (*st != ReadStatus::kEnd || !options_.follow) return st;
    if (options_.follow_timeout_ns >= 0 &&
        base::now_monotonic_ns() - start_ns >= options_.follow_timeout_ns) {
      return ReadStatus::kEnd;
    }
    backoff.idle();
  }
}

}  // namespace snapflow::ring
