// Classic PCAP (libpcap) records: 24-byte file header, then 16-byte record headers each
// followed by captured_length bytes. Microsecond (a1b2c3d4) and nanosecond (a1b23c4d) magic,
// either byte order, detected from the file header.
//
// Decisions (docs/pcap.md has the reasons):
// - snaplen is not enforced: writers often understate it. Only options.max_captured_length is.
// - wire_length 0 (written by some tools) means "same as captured".
// - captured > wire is a format error; with skip_bad_records the record is skipped by its
//   stated length, counted in skipped_records/skipped_bytes.
// - A header that is not sane (captured length over the limit) is an error, or with
//   skip_bad_records the start of a resynchronisation: scan forward byte by byte for a header
//   that is plausible (sane lengths, timestamp within a day of the previous record) and whose
//   successor is plausible too (or ends exactly at end of input).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "parse_step.h"
#include "snapflow/base/bytes.h"
#include "snapflow/base/link_type.h"

namespace snapflow::pcap {

class ClassicFormat {
 public:
  explicit ClassicFormat(ParseContext ctx) : ctx_(ctx) {
    max_captured_ = ctx.options->max_captured_length;
  }

  // The common case (a whole, sane record present) inline; everything else out of line.
  ParseStep parse(const std::byte* p, size_t avail, bool eof, uint64_t offset) {
    if (state_ == State::kRecords && avail >= kHeaderBytes) [[likely]] {
      uint32_t captured = load32(p + 8);
      uint32_t wire = load32(p + 12);
      if (captured <= max_captured_ && captured <= wire && avail - kHeaderBytes >= captured) {
        ParseStep step;
        step.kind = StepKind::kRecord;
        step.bytes = kHeaderBytes + captured;
        step.data_offset = kHeaderBytes;
        step.ts_ns = timestamp_ns(p);
        step.captured_length = captured;
        step.wire_length = wire;
        step.link_type = link_type_;
        last_sec_ = load32(p);
        have_last_ = true;
        ++record_number_;
        return step;
      }
    }
    return parse_slow(p, avail, eof, offset);
  }

  base::Error take_error() { return std::move(*error_); }
  uint64_t record_number() const { return record_number_; }

 private:
  static constexpr size_t kFileHeaderBytes = 24;
  static constexpr size_t kHeaderBytes = 16;
  enum class State : uint8_t { kFileHeader, kRecords, kResync, kDone };

  uint32_t load32(const std::byte* p) const {
    return little_endian_ ? base::load_le32(p) : base::load_be32(p);
  }
  int64_t timestamp_ns(const std::byte* p) const {
    return static_cast<int64_t>(load32(p)) * 1'000'000'000 +
           static_cast<int64_t>(load32(p + 4)) * frac_to_ns_;
  }

  ParseStep parse_slow(const std::byte* p, size_t avail, bool eof, uint64_t offset);
  ParseStep parse_file_header(const std::byte* p, size_t avail, bool eof);
  ParseStep bad_record(uint64_t offset, std::string_view what);
  ParseStep truncated(uint64_t offset, size_t avail, size_t total, std::string_view what);
  ParseStep resync(const std::byte* p, size_t avail, bool eof, uint64_t offset);
  // 16 + captured_length when the header at p looks like a real one, else 0.
  size_t plausible_length(const std::byte* p, bool check_time, uint32_t near_sec) const;

  ParseContext ctx_;
  uint32_t max_captured_ = 0;
  State state_ = State::kFileHeader;
  bool little_endian_ = true;
  int64_t frac_to_ns_ = 1000;
  uint32_t frac_limit_ = 1'000'000;
  uint16_t link_type_ = 0;
  uint64_t record_number_ = 0;  ///< records seen so far, good or bad
  uint32_t last_sec_ = 0;       ///< seconds of the last good record, for resync
  bool have_last_ = false;
  std::optional<base::Error> error_;
};

// DLT_RAW (12, 14) in a file header means LINKTYPE_RAW: the registry maps it (link_type.h).
using base::normalise_link_type;

}  // namespace snapflow::pcap
