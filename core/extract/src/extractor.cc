// The pull-based chunk producer: file header, then the window's records, read segment by
// segment and trusted only after the segment's metadata still names the same generation.
#include <fcntl.h>

#include <algorithm>
#include <cstring>

#include "output_format.h"
#include "ring_files.h"
#include "snapflow/extract/extract.h"

namespace snapflow::extract {
namespace {

// How far ahead of the stream the kernel is asked to read (POSIX_FADV_WILLNEED). A buffered
// pread on its own waits for each small readahead window in turn (~160 MB/s on the test disk,
// 1/3 of dd); asking for the next 32 MiB keeps the disk busy while records are handed out.
constexpr uint64_t kReadAheadBytes = uint64_t{32} << 20;
// Downloads larger than this drop what they have read from the page cache (the capture writes
// with O_DIRECT; a multi-GiB download must not evict everything else). Smaller ones leave it
// cached: repeated downloads of a recent window are then served from memory.
constexpr uint64_t kDropBehindAfterBytes = uint64_t{256} << 20;

struct RecordRun {
  size_t bytes = 0;  ///< complete, valid records at the start of the buffer
  uint64_t packets = 0;
  uint64_t wire = 0;
  bool invalid = false;     ///< stopped at a header that is not a record
  uint32_t first_size = 0;  ///< size of the first record (also when it did not fit)
};

// Walks the complete records at the start of buf[0, len).
RecordRun complete_records(const std::byte* buf, size_t len, uint32_t snaplen) {
  RecordRun run;
  while (run.bytes + kRecordHeaderBytes <= len) {
    int64_t ts = 0;
    uint32_t captured = 0;
    uint32_t wire = 0;
    if (!ring::parse_record_header(buf + run.bytes, snaplen, ts, captured, wire)) {
      run.invalid = true;
      break;
    }
    const size_t size = kRecordHeaderBytes + captured;
    if (run.packets == 0) run.first_size = static_cast<uint32_t>(size);
    if (run.bytes + size > len) break;
    run.bytes += size;
    run.packets += 1;
    run.wire += wire;
  }
  return run;
}

}  // namespace

Extractor::Extractor(std::unique_ptr<RingIndex> index, ExtractPlan plan,
                     const ExtractorOptions& options)
    : index_(std::move(index)), plan_(std::move(plan)), options_(options), pos_(plan_.start) {
  raw_ = plan_.request.format == OutputFormat::kPcap &&
         (!plan_.filter || plan_.filter->keeps_everything());
  const size_t header = file_header_size(plan_.request.format);
  carry_.resize(header);
  encode_file_header(plan_.request.format, index_->layout().link_type, index_->layout().snaplen,
                     carry_.data());
  if (!raw_) batch_.resize(std::max<size_t>(options_.read_buffer_bytes, 64 << 10));
}

Extractor::~Extractor() = default;

base::Result<std::unique_ptr<Extractor>> Extractor::start(std::unique_ptr<RingIndex> index,
                                                          ExtractPlan plan,
                                                          const ExtractorOptions& options) {
  if (plan.outside) {
    return base::make_error(base::ErrorCode::kInvalidArgument, plan.outside_message());
  }
  if (!index) return base::make_error(base::ErrorCode::kInvalidArgument, "no ring index");
  return std::unique_ptr<Extractor>(new Extractor(std::move(index), std::move(plan), options));
}

bool Extractor::done() const {
  return carry_off_ == carry_.size() && batch_off_ == batch_len_ &&
         pos_.packets >= plan_.stop.packets;
}

base::Result<size_t> Extractor::next_chunk(std::span<std::byte> out) {
  size_t used = 0;
  auto st = fill(out, used, UINT64_MAX);
  if (!st.ok()) return std::move(st).error().context("extract from " + index_->layout().dir);
  stats_.bytes += used;
  return used;
}

base::Result<bool> Extractor::next_piece(std::vector<std::byte>& out, size_t target_bytes,
                                         uint64_t max_scan_bytes) {
  const size_t base = out.size();
  out.resize(base + std::max<size_t>(target_bytes, 1));
  size_t used = 0;
  auto st = fill({out.data() + base, out.size() - base}, used, max_scan_bytes);
  if (!st.ok()) {
    out.resize(base);
    return std::move(st).error().context("extract from " + index_->layout().dir);
  }
  stats_.bytes += used;
  out.resize(base + used);
  // next_chunk fills the buffer to the byte; finish the unit it cut (in carry_).
  if (carry_off_ < carry_.size()) {
    out.insert(out.end(), carry_.begin() + static_cast<std::ptrdiff_t>(carry_off_), carry_.end());
    stats_.bytes += carry_.size() - carry_off_;
    carry_.clear();
    carry_off_ = 0;
  }
  return !done();
}

void Extractor::drain_carry(std::span<std::byte> out, size_t& used) {
  const size_t n = std::min(out.size() - used, carry_.size() - carry_off_);
  std::memcpy(out.data() + used, carry_.data() + carry_off_, n);
  used += n;
  carry_off_ += n;
  if (carry_off_ == carry_.size()) {
    carry_.clear();
    carry_off_ = 0;
  }
}

base::Status Extractor::fill(std::span<std::byte> out, size_t& used, uint64_t max_scan_bytes) {
  const uint64_t scanned_before = stats_.scanned_record_bytes;
  while (used < out.size()) {
    if (carry_off_ < carry_.size()) {
      drain_carry(out, used);
      continue;
    }
    if (batch_off_ < batch_len_) {
      SNAPFLOW_TRY_STATUS(encode_batch(out, used), "encode");
      continue;
    }
    if (stats_.scanned_record_bytes - scanned_before >= max_scan_bytes) break;  // next_piece
    ring::SegmentInfo s;
    auto more = current_segment(s);
    if (!more.ok()) return std::move(more).error();
    if (!*more) break;
    const size_t before = used;
    const uint64_t packets_before = pos_.packets;
    if (raw_) {
      SNAPFLOW_TRY_STATUS(read_raw(s, out, used), "segment " + std::to_string(s.seq));
      // A record larger than the space left: hand out what we have; the next call starts
      // with it (read into carry_ when even an empty buffer cannot take it).
      if (used == before && pos_.packets == packets_before && carry_.empty()) break;
    } else {
      SNAPFLOW_TRY_STATUS(refill_batch(s), "segment " + std::to_string(s.seq));
    }
  }
  return base::ok_status();
}

void Extractor::read_ahead(int fd, const ring::SegmentInfo& s) {
  const uint64_t limit = segment_limit(s);
  if (ahead_seq_ != s.seq) {
    ahead_seq_ = s.seq;
    ahead_until_ = pos_.offset;
    dropped_until_ = pos_.offset & ~uint64_t{4095};
  }
  if (ahead_until_ < limit && ahead_until_ < pos_.offset + kReadAheadBytes / 2) {
    const uint64_t from = std::max(ahead_until_, pos_.offset);
    const uint64_t to = std::min(limit, pos_.offset + kReadAheadBytes);
    ::posix_fadvise(fd, static_cast<off_t>(from), static_cast<off_t>(to - from),
                    POSIX_FADV_WILLNEED);
    ahead_until_ = to;
  }
  const uint64_t done = pos_.offset & ~uint64_t{4095};
  if (stats_.scanned_record_bytes > kDropBehindAfterBytes && done > dropped_until_ + (4 << 20)) {
    ::posix_fadvise(fd, static_cast<off_t>(dropped_until_),
                    static_cast<off_t>(done - dropped_until_), POSIX_FADV_DONTNEED);
    dropped_until_ = done;
  }
}

uint64_t Extractor::segment_limit(const ring::SegmentInfo& s) const {
  return s.seq == plan_.stop.segment_seq ? std::min(plan_.stop.offset, s.committed_bytes)
                                         : s.committed_bytes;
}

// Finds the segment holding pos_, moving on to the next segment at the end of one and over
// overwritten data. False when the window is complete.
base::Result<bool> Extractor::current_segment(ring::SegmentInfo& s) {
  while (pos_.packets < plan_.stop.packets) {
    auto info = index_->segment(pos_.segment_seq);
    if (!info.ok()) return std::move(info).error();
    if (info->seq != pos_.segment_seq || info->state == ring::SegmentState::kEmpty) {
      if (info->seq > pos_.segment_seq || info->state == ring::SegmentState::kEmpty) {
        SNAPFLOW_TRY_STATUS(skip_overwritten(), "skip overwritten data");
        continue;
      }
      return base::make_error(base::ErrorCode::kInternal,
                              "segment " + std::to_string(pos_.segment_seq) +
                                  " is not in the ring yet, but the window ends after it");
    }
    if (pos_.offset < segment_limit(*info)) {
      s = *info;
      return true;
    }
    if (pos_.segment_seq >= plan_.stop.segment_seq || info->state != ring::SegmentState::kSealed) {
      return base::make_error(base::ErrorCode::kFormat,
                              "segment " + std::to_string(info->seq) + " ends at byte " +
                                  std::to_string(info->committed_bytes) + " before the window (" +
                                  std::to_string(plan_.stop.packets - pos_.packets) +
                                  " records missing)");
    }
    auto next = index_->segment(pos_.segment_seq + 1);
    if (!next.ok()) return std::move(next).error();
    if (next->seq != pos_.segment_seq + 1) {
      SNAPFLOW_TRY_STATUS(skip_overwritten(), "skip overwritten data");
      continue;
    }
    pos_ = next->start();
  }
  return false;
}

// pos_ lies in a segment the writer reused: continue at the oldest surviving record (or stop,
// when everything left of the window is gone), counting what was lost.
base::Status Extractor::skip_overwritten() {
  auto span = index_->span();
  if (!span.ok()) return std::move(span).error();
  ring::RingPosition to = span->empty ? plan_.stop : span->start();
  if (to.packets >= plan_.stop.packets) to = plan_.stop;
  if (to.packets < pos_.packets || (to.packets == pos_.packets && to != plan_.stop)) {
    return base::make_error(base::ErrorCode::kInternal,
                            "segment " + std::to_string(pos_.segment_seq) +
                                " is gone but the ring's oldest data is older");
  }
  stats_.lost_packets += to.packets - pos_.packets;
  stats_.lost_record_bytes += to.record_bytes - pos_.record_bytes;
  stats_.gaps += 1;
  pos_ = to;
  return base::ok_status();
}

base::Status Extractor::read_raw(const ring::SegmentInfo& s, std::span<std::byte> out,
                                 size_t& used) {
  const uint64_t avail = segment_limit(s) - pos_.offset;
  const size_t space = out.size() - used;
  if (space < kRecordHeaderBytes + 1) {
    if (used == 0) return read_one_record(s);
    return base::ok_status();
  }
  const size_t want = static_cast<size_t>(std::min<uint64_t>(avail, space));
  auto fd = index_->data_fd(s.slot);
  if (!fd.ok()) return std::move(fd).error();
  read_ahead(*fd, s);
  std::byte* dst = out.data() + used;
  auto got = pread_all(*fd, dst, want, pos_.offset, index_->layout().segment_path(s.slot));
  if (!got.ok()) return std::move(got).error();
  const RecordRun run = complete_records(dst, *got, index_->layout().snaplen);
  auto after = index_->segment(s.seq);
  if (!after.ok()) return std::move(after).error();
  if (after->seq != s.seq) return skip_overwritten();  // the bytes may be the next lap's
  if (run.bytes == 0) {
    if (run.invalid || *got < want) {
      return base::make_error(base::ErrorCode::kFormat,
                              index_->layout().segment_path(s.slot) +
                                  ": invalid record at committed offset " +
                                  std::to_string(pos_.offset));
    }
    if (used == 0) return read_one_record(s);  // one record larger than the whole buffer
    return base::ok_status();
  }
  used += run.bytes;
  pos_.offset += run.bytes;
  pos_.packets += run.packets;
  pos_.wire_bytes += run.wire;
  pos_.record_bytes += run.bytes;
  stats_.packets += run.packets;
  stats_.scanned_packets += run.packets;
  stats_.scanned_record_bytes += run.bytes;
  return base::ok_status();
}

// One whole record into carry_ (the caller's buffer is smaller than the record).
base::Status Extractor::read_one_record(const ring::SegmentInfo& s) {
  auto fd = index_->data_fd(s.slot);
  if (!fd.ok()) return std::move(fd).error();
  const std::string path = index_->layout().segment_path(s.slot);
  std::byte header[kRecordHeaderBytes];
  auto got = pread_all(*fd, header, sizeof header, pos_.offset, path);
  if (!got.ok()) return std::move(got).error();
  int64_t ts = 0;
  uint32_t captured = 0;
  uint32_t wire = 0;
  const bool valid =
      *got == sizeof header &&
      ring::parse_record_header(header, index_->layout().snaplen, ts, captured, wire) &&
      pos_.offset + kRecordHeaderBytes + captured <= segment_limit(s);
  std::vector<std::byte> record(valid ? kRecordHeaderBytes + captured : 0);
  if (valid) {
    got = pread_all(*fd, record.data(), record.size(), pos_.offset, path);
    if (!got.ok()) return std::move(got).error();
  }
  auto after = index_->segment(s.seq);
  if (!after.ok()) return std::move(after).error();
  if (after->seq != s.seq) return skip_overwritten();
  if (!valid || *got != record.size()) {
    return base::make_error(
        base::ErrorCode::kFormat,
        path + ": invalid record at committed offset " + std::to_string(pos_.offset));
  }
  carry_ = std::move(record);
  carry_off_ = 0;
  pos_.offset += carry_.size();
  pos_.packets += 1;
  pos_.wire_bytes += wire;
  pos_.record_bytes += carry_.size();
  stats_.packets += 1;
  stats_.scanned_packets += 1;
  stats_.scanned_record_bytes += carry_.size();
  return base::ok_status();
}

// Transform path: the next run of whole records from pos_ into batch_.
base::Status Extractor::refill_batch(const ring::SegmentInfo& s) {
  const uint64_t avail = segment_limit(s) - pos_.offset;
  auto fd = index_->data_fd(s.slot);
  if (!fd.ok()) return std::move(fd).error();
  read_ahead(*fd, s);
  const std::string path = index_->layout().segment_path(s.slot);
  size_t want = static_cast<size_t>(std::min<uint64_t>(avail, batch_.size()));
  auto got = pread_all(*fd, batch_.data(), want, pos_.offset, path);
  if (!got.ok()) return std::move(got).error();
  RecordRun run = complete_records(batch_.data(), *got, index_->layout().snaplen);
  if (run.bytes == 0 && !run.invalid && run.first_size > batch_.size() && run.first_size <= avail) {
    batch_.resize(run.first_size);  // one record larger than the buffer
    want = run.first_size;
    got = pread_all(*fd, batch_.data(), want, pos_.offset, path);
    if (!got.ok()) return std::move(got).error();
    run = complete_records(batch_.data(), *got, index_->layout().snaplen);
  }
  auto after = index_->segment(s.seq);
  if (!after.ok()) return std::move(after).error();
  if (after->seq != s.seq) return skip_overwritten();
  if (run.bytes == 0) {
    return base::make_error(
        base::ErrorCode::kFormat,
        path + ": invalid record at committed offset " + std::to_string(pos_.offset));
  }
  batch_len_ = run.bytes;
  batch_off_ = 0;
  pos_.offset += run.bytes;
  pos_.packets += run.packets;
  pos_.wire_bytes += run.wire;
  pos_.record_bytes += run.bytes;
  stats_.scanned_packets += run.packets;
  stats_.scanned_record_bytes += run.bytes;
  return base::ok_status();
}

// Filters and encodes records of batch_ into out; a record that does not fit goes to carry_.
base::Status Extractor::encode_batch(std::span<std::byte> out, size_t& used) {
  const OutputFormat format = plan_.request.format;
  const filter::PacketFilter* keep = plan_.filter.get();
  const uint32_t snaplen = index_->layout().snaplen;
  while (batch_off_ < batch_len_ && used < out.size()) {
    const std::byte* rec = batch_.data() + batch_off_;
    int64_t ts = 0;
    uint32_t captured = 0;
    uint32_t wire = 0;
    ring::parse_record_header(rec, snaplen, ts, captured, wire);  // validated when read
    batch_off_ += kRecordHeaderBytes + captured;
    if (keep && !keep->matches(ts, {rec + kRecordHeaderBytes, captured}, wire)) continue;
    const size_t size = encoded_record_size(format, captured);
    stats_.packets += 1;
    if (out.size() - used >= size) {
      encode_record(format, rec, ts, captured, wire, out.data() + used);
      used += size;
    } else {
      carry_.resize(size);
      carry_off_ = 0;
      encode_record(format, rec, ts, captured, wire, carry_.data());
      drain_carry(out, used);
    }
  }
  if (batch_off_ == batch_len_) batch_off_ = batch_len_ = 0;
  return base::ok_status();
}

}  // namespace snapflow::extract
