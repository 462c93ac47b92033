#include "classic_format.h"

#include <cstdio>
#include <string>

namespace snapflow::pcap {
namespace {

constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
constexpr uint32_t kMagicNano = 0xa1b23c4d;
constexpr uint32_t kMaxResyncSecondsApart = 86400;
constexpr uint32_t kMinPlausibleWireLimit = 262144;

std::string bytes_of(size_t have, size_t total) {
  return "(" + std::to_string(have) + " of " + std::to_string(total) + " bytes)";
}

}  // namespace

ParseStep ClassicFormat::parse_file_header(const std::byte* p, size_t avail, bool eof) {
  if (avail < kFileHeaderBytes) {
    if (!eof) return ParseStep::need(kFileHeaderBytes);
    error_ = base::make_error(
        base::ErrorCode::kTruncated,
        *ctx_.name + ": file ends inside the file header " + bytes_of(avail, kFileHeaderBytes));
    return ParseStep::error();
  }
  uint32_t le = base::load_le32(p);
  uint32_t be = base::load_be32(p);
  if (le == kMagicMicro || le == kMagicNano) {
    little_endian_ = true;
  } else if (be == kMagicMicro || be == kMagicNano) {
    little_endian_ = false;
  } else {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", be);
    error_ = base::make_error(base::ErrorCode::kFormat,
                              *ctx_.name + ": not a pcap file (magic " + hex + ")");
    return ParseStep::error();
  }
  bool nano = load32(p) == kMagicNano;
  frac_to_ns_ = nano ? 1 : 1000;
  frac_limit_ = nano ? 1'000'000'000 : 1'000'000;
  link_type_ = normalise_link_type(load32(p + 20));
  if (!ctx_.options->allow_unknown_link_types && !is_supported_link_type(link_type_)) {
    error_ = base::make_error(base::ErrorCode::kUnsupported,
                              *ctx_.name + ": byte 20: link type " + std::to_string(link_type_) +
                                  " is not supported (" + kSupportedLinkTypesText + ")");
    return ParseStep::error();
  }
  state_ = State::kRecords;
  return ParseStep::skip(kFileHeaderBytes);
}

ParseStep ClassicFormat::bad_record(uint64_t offset, std::string_view what) {
  ++record_number_;
  if (!ctx_.options->skip_bad_records) {
    error_ = located_error(base::ErrorCode::kFormat, ctx_, "record", record_number_, offset, what);
    return ParseStep::error();
  }
  ctx_.stats->skipped_records++;
  ctx_.stats->skipped_bytes++;
  state_ = State::kResync;
  return ParseStep::skip(1);  // the bad header's first byte; resync scans from the next one
}

ParseStep ClassicFormat::truncated(uint64_t offset, size_t avail, size_t total,
                                   std::string_view what) {
  ++record_number_;
  if (!ctx_.options->skip_bad_records) {
    std::string message = "file ends inside a ";
    message.append(what).append(" ").append(bytes_of(avail, total));
    error_ =
        located_error(base::ErrorCode::kTruncated, ctx_, "record", record_number_, offset, message);
    return ParseStep::error();
  }
  ctx_.stats->skipped_records++;
  ctx_.stats->skipped_bytes += avail;
  state_ = State::kDone;
  return ParseStep::skip(avail);
}

ParseStep ClassicFormat::parse_slow(const std::byte* p, size_t avail, bool eof, uint64_t offset) {
  switch (state_) {
    case State::kFileHeader:
      return parse_file_header(p, avail, eof);
    case State::kResync:
      return resync(p, avail, eof, offset);
    case State::kDone:
      return ParseStep::end();
    case State::kRecords:
      break;
  }
  if (avail < kHeaderBytes) {
    if (avail == 0 && eof) return ParseStep::end();
    if (!eof) return ParseStep::need(kHeaderBytes);
    return truncated(offset, avail, kHeaderBytes, "record header");
  }
  uint32_t captured = load32(p + 8);
  uint32_t wire = load32(p + 12);
  if (captured > max_captured_) {
    return bad_record(offset, "captured length " + std::to_string(captured) + " exceeds limit " +
                                  std::to_string(max_captured_));
  }
  size_t total = kHeaderBytes + captured;
  if (avail < total) {
    if (!eof) return ParseStep::need(total);
    return truncated(offset, avail, total, "record");
  }
  if (wire == 0) wire = captured;  // some writers leave it unset
  if (captured > wire) {
    if (!ctx_.options->skip_bad_records) {
      return bad_record(offset, "captured length " + std::to_string(captured) +
                                    " exceeds wire length " + std::to_string(wire));
    }
    // The framing is intact, so skip exactly this record rather than scanning.
    ++record_number_;
    ctx_.stats->skipped_records++;
    ctx_.stats->skipped_bytes += total;
    return ParseStep::skip(total);
  }
  ParseStep step;
  step.kind = StepKind::kRecord;
  step.bytes = total;
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

size_t ClassicFormat::plausible_length(const std::byte* p, bool check_time,
                                       uint32_t near_sec) const {
  uint32_t sec = load32(p);
  uint32_t frac = load32(p + 4);
  uint32_t captured = load32(p + 8);
  uint32_t wire = load32(p + 12);
  if (frac >= frac_limit_) return 0;
  if (captured == 0 || captured > max_captured_) return 0;
  if (wire != 0 && (wire < captured || wire > std::max(max_captured_, kMinPlausibleWireLimit)))
    return 0;
  if (check_time) {
    uint32_t apart = sec > near_sec ? sec - near_sec : near_sec - sec;
    if (apart > kMaxResyncSecondsApart) return 0;
  }
  return kHeaderBytes + captured;
}

ParseStep ClassicFormat::resync(const std::byte* p, size_t avail, bool eof, uint64_t offset) {
  for (size_t i = 0;; ++i) {
    if (i + kHeaderBytes > avail) {
      if (eof) {  // nothing plausible before the end: the rest is skipped
        ctx_.stats->skipped_bytes += avail;
        state_ = State::kDone;
        return avail ? ParseStep::skip(avail) : ParseStep::end();
      }
      if (i > 0) {
        ctx_.stats->skipped_bytes += i;
        return ParseStep::skip(i);  // drop what is ruled out, so storage need not grow
      }
      return ParseStep::need(kHeaderBytes);
    }
    size_t length = plausible_length(p + i, have_last_, last_sec_);
    if (length == 0) continue;
    bool found = false;
    if (i + length + kHeaderBytes <= avail) {
      found = plausible_length(p + i + length, true, load32(p + i)) != 0;
    } else if (eof) {
      found = i + length == avail;  // the last record of the input
    } else if (i > 0) {
      ctx_.stats->skipped_bytes += i;
      return ParseStep::skip(i);
    } else {
      return ParseStep::need(length + kHeaderBytes);
    }
    if (!found) continue;
    state_ = State::kRecords;
    if (i > 0) {
      ctx_.stats->skipped_bytes += i;
      return ParseStep::skip(i);
    }
    return parse(p, avail, eof, offset);
  }
}

}  // namespace snapflow::pcap
