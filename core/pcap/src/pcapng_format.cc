#include "pcapng_format.h"

#include <algorithm>
#include <cstdio>
#include <string>

#include "classic_format.h"  // normalise_link_type
#include "snapflow/base/bytes.h"

namespace snapflow::pcap {
namespace {

constexpr uint32_t kShb = 0x0A0D0D0A;
constexpr uint32_t kIdb = 1;
constexpr uint32_t kOpb = 2;
constexpr uint32_t kSpb = 3;
constexpr uint32_t kEpb = 6;
constexpr uint32_t kByteOrderMagic = 0x1A2B3C4D;
constexpr uint32_t kMinBlockBytes = 12;
constexpr uint32_t kMinMaxBlockBytes = 16u << 20;
constexpr uint16_t kOptEnd = 0;
constexpr uint16_t kOptTsResol = 9;
constexpr uint16_t kOptTsOffset = 14;

size_t pad4(size_t n) {
  return (n + 3) & ~size_t{3};
}

bool is_known_block_type(uint32_t type) {
  return (type >= 1 && type <= 10) || type == kShb || type == 0xBAD || type == 0x40000BAD;
}

std::string hex32(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

PcapngFormat::PcapngFormat(ParseContext ctx)
    : ctx_(ctx),
      max_block_bytes_(std::max(kMinMaxBlockBytes, ctx.options->max_captured_length + 65536)) {}

uint32_t PcapngFormat::load32(const std::byte* p) const {
  return little_endian_ ? base::load_le32(p) : base::load_be32(p);
}
uint16_t PcapngFormat::load16(const std::byte* p) const {
  return little_endian_ ? base::load_le16(p) : base::load_be16(p);
}
uint64_t PcapngFormat::load64(const std::byte* p) const {
  return little_endian_ ? base::load_le64(p) : base::load_be64(p);
}

uint32_t PcapngFormat::framed_length(const std::byte* p, size_t avail, bool& little) const {
  // Caller guarantees avail >= 12.
  (void)avail;
  uint32_t type = base::load_le32(p);  // the SHB type is a palindrome: order does not matter
  if (type == kShb) {
    if (base::load_le32(p + 8) == kByteOrderMagic) {
      little = true;
    } else if (base::load_be32(p + 8) == kByteOrderMagic) {
      little = false;
    } else {
      return 0;
    }
  }
  uint32_t total = little ? base::load_le32(p + 4) : base::load_be32(p + 4);
  if (total < kMinBlockBytes || total % 4 != 0 || total > max_block_bytes_) return 0;
  return total;
}

ParseStep PcapngFormat::bad_framing(uint64_t offset, std::string what) {
  ++block_number_;
  if (!ctx_.options->skip_bad_records) {
    error_ = located_error(base::ErrorCode::kFormat, ctx_, "block", block_number_, offset, what);
    return ParseStep::error();
  }
  ctx_.stats->skipped_records++;
  ctx_.stats->skipped_bytes += 4;
  state_ = State::kResync;
  return ParseStep::skip(4);  // blocks are 4-byte aligned: resync looks from the next word
}

ParseStep PcapngFormat::bad_body(uint64_t offset, uint32_t total, std::string what) {
  if (!ctx_.options->skip_bad_records) {
    error_ = located_error(base::ErrorCode::kFormat, ctx_, "block", block_number_, offset, what);
    return ParseStep::error();
  }
  ctx_.stats->skipped_records++;
  ctx_.stats->skipped_bytes += total;
  return ParseStep::skip(total);
}

ParseStep PcapngFormat::parse(const std::byte* p, size_t avail, bool eof, uint64_t offset) {
  switch (state_) {
    case State::kBlocks:
      return parse_block(p, avail, eof, offset);
    case State::kResync:
      return resync(p, avail, eof, offset);
    case State::kDone:
      return ParseStep::end();
  }
  return ParseStep::end();
}

ParseStep PcapngFormat::parse_block(const std::byte* p, size_t avail, bool eof, uint64_t offset) {
  if (avail < kMinBlockBytes) {
    if (avail == 0 && eof) return ParseStep::end();
    if (!eof) return ParseStep::need(kMinBlockBytes);
    size_t total = avail >= 8 ? load32(p + 4) : kMinBlockBytes;
    if (!ctx_.options->skip_bad_records) {
      error_ = located_error(base::ErrorCode::kTruncated, ctx_, "block", block_number_ + 1, offset,
                             "file ends inside a block (" + std::to_string(avail) + " of " +
                                 std::to_string(total) + " bytes)");
      return ParseStep::error();
    }
    ctx_.stats->skipped_records++;
    ctx_.stats->skipped_bytes += avail;
    state_ = State::kDone;
    return ParseStep::skip(avail);
  }
  uint32_t type = load32(p);
  bool little = little_endian_;
  uint32_t total = framed_length(p, avail, little);
  if (total == 0) {
    if (type == kShb) {
      uint32_t bom = base::load_be32(p + 8);
      if (bom != kByteOrderMagic && base::load_le32(p + 8) != kByteOrderMagic)
        return bad_framing(offset, "bad byte-order magic " + hex32(bom) + " in section header");
    }
    uint32_t claimed = little ? base::load_le32(p + 4) : base::load_be32(p + 4);
    std::string what = "bad block length " + std::to_string(claimed);
    what += claimed > max_block_bytes_ ? " (exceeds limit " + std::to_string(max_block_bytes_) + ")"
                                       : " (must be a multiple of 4 and at least 12)";
    return bad_framing(offset, std::move(what));
  }
  if (type == kShb) little_endian_ = little;
  if (!in_section_ && type != kShb) return bad_framing(offset, "block before the section header");
  // A packet block's captured length is known from its first 28 bytes: fail on it before
  // waiting for (and buffering) the whole of a block that is bad anyway.
  if ((type == kEpb || type == kOpb) && avail >= 28 && !ctx_.options->skip_bad_records) {
    uint32_t captured = load32(p + 20);
    if (captured > ctx_.options->max_captured_length) {
      ++block_number_;
      return bad_body(offset, total,
                      "captured length " + std::to_string(captured) + " exceeds limit " +
                          std::to_string(ctx_.options->max_captured_length));
    }
  }
  if (avail < total) {
    if (!eof) return ParseStep::need(total);
    if (!ctx_.options->skip_bad_records) {
      error_ = located_error(base::ErrorCode::kTruncated, ctx_, "block", block_number_ + 1, offset,
                             "file ends inside a block (" + std::to_string(avail) + " of " +
                                 std::to_string(total) + " bytes)");
      return ParseStep::error();
    }
    ctx_.stats->skipped_records++;
    ctx_.stats->skipped_bytes += avail;
    state_ = State::kDone;
    return ParseStep::skip(avail);
  }
  uint32_t trailing = load32(p + total - 4);
  if (trailing != total) {
    return bad_framing(offset, "trailing block length " + std::to_string(trailing) +
                                   " differs from leading length " + std::to_string(total));
  }
  ++block_number_;
  switch (type) {
    case kShb:
      return section_header(p, total, offset);
    case kIdb:
      return interface_description(p, total, offset);
    case kEpb:
    case kOpb:
    case kSpb:
      return packet(p, type, total, offset);
    default:
      return ParseStep::skip(total);
  }
}

ParseStep PcapngFormat::section_header(const std::byte* p, uint32_t total, uint64_t offset) {
  if (total < 28) return bad_body(offset, total, "section header shorter than 28 bytes");
  uint16_t major = load16(p + 12);
  if (major != 1) {
    // A different major version means a different layout: nothing after it can be trusted.
    error_ = located_error(base::ErrorCode::kUnsupported, ctx_, "block", block_number_, offset,
                           "pcapng major version " + std::to_string(major) + " not supported");
    return ParseStep::error();
  }
  in_section_ = true;
  interfaces_.clear();  // interface ids are per section
  return ParseStep::skip(total);
}

ParseStep PcapngFormat::interface_description(const std::byte* p, uint32_t total, uint64_t offset) {
  if (total < 20) return bad_body(offset, total, "interface description shorter than 20 bytes");
  Interface iface;
  iface.link_type = normalise_link_type(load16(p + 8));
  iface.snaplen = load32(p + 12);
  // Options: code(2) length(2) value padded to 4, until opt_endofopt or the block's end.
  size_t pos = 16;
  size_t end = total - 4;
  bool bad_resolution = false;
  while (pos + 4 <= end) {
    uint16_t code = load16(p + pos);
    uint16_t length = load16(p + pos + 2);
    if (code == kOptEnd || pos + 4 + length > end) break;
    const std::byte* value = p + pos + 4;
    if (code == kOptTsResol && length >= 1) {
      bad_resolution = !iface.resolution.set_from_option(static_cast<uint8_t>(value[0]));
    } else if (code == kOptTsOffset && length >= 8) {
      iface.resolution.offset_s = static_cast<int64_t>(load64(value));
    }
    pos += 4 + pad4(length);
  }
  // Keep the interface even when its resolution is unusable, so the ids of the ones after it
  // stay right; its packets get microsecond timestamps.
  interfaces_.push_back(iface);
  if (bad_resolution) {
    if (!ctx_.options->skip_bad_records) {
      error_ = located_error(base::ErrorCode::kUnsupported, ctx_, "block", block_number_, offset,
                             "if_tsresol cannot be represented");
      return ParseStep::error();
    }
    ctx_.stats->skipped_records++;
  }
  return ParseStep::skip(total);
}

ParseStep PcapngFormat::packet(const std::byte* p, uint32_t type, uint32_t total, uint64_t offset) {
  ++packet_number_;
  uint32_t interface_id = 0;
  uint32_t captured = 0;
  uint32_t wire = 0;
  uint64_t units = 0;
  size_t data_offset = 0;
  if (type == kSpb) {
    if (total < 16) return bad_body(offset, total, "simple packet block shorter than 16 bytes");
    wire = load32(p + 8);
    data_offset = 12;
    captured = std::min<uint32_t>(wire, total - 16);
  } else {
    if (total < 32) return bad_body(offset, total, "packet block shorter than 32 bytes");
    if (type == kEpb) {
      interface_id = load32(p + 8);
    } else {
      interface_id = load16(p + 8);
    }
    units = (uint64_t{load32(p + 12)} << 32) | load32(p + 16);
    captured = load32(p + 20);
    wire = load32(p + 24);
    data_offset = 28;
  }
  if (interface_id >= interfaces_.size()) {
    return bad_body(offset, total,
                    "packet references interface " + std::to_string(interface_id) +
                        " but the section has " + std::to_string(interfaces_.size()));
  }
  const Interface& iface = interfaces_[interface_id];
  if (type == kSpb && iface.snaplen != 0) captured = std::min(captured, iface.snaplen);
  if (captured > ctx_.options->max_captured_length) {
    return bad_body(offset, total,
                    "captured length " + std::to_string(captured) + " exceeds limit " +
                        std::to_string(ctx_.options->max_captured_length));
  }
  if (data_offset + pad4(captured) + 4 > total) {
    return bad_body(offset, total,
                    "captured length " + std::to_string(captured) + " overruns block of " +
                        std::to_string(total) + " bytes");
  }
  if (!ctx_.options->allow_unknown_link_types && !is_supported_link_type(iface.link_type)) {
    return bad_body(offset, total,
                    "interface " + std::to_string(interface_id) + " has link type " +
                        std::to_string(iface.link_type) + ", which is not supported (" +
                        kSupportedLinkTypesText + ")");
  }
  if (wire == 0) wire = captured;
  if (captured > wire) {
    return bad_body(offset, total,
                    "captured length " + std::to_string(captured) + " exceeds wire length " +
                        std::to_string(wire));
  }
  ParseStep step;
  step.kind = StepKind::kRecord;
  step.bytes = total;
  step.data_offset = data_offset;
  step.ts_ns = type == kSpb ? last_ts_ns_ : pcapng_timestamp_ns(units, iface.resolution);
  step.captured_length = captured;
  step.wire_length = wire;
  step.link_type = iface.link_type;
  step.interface_id = static_cast<uint16_t>(interface_id);
  last_ts_ns_ = step.ts_ns;
  return step;
}

ParseStep PcapngFormat::resync(const std::byte* p, size_t avail, bool eof, uint64_t offset) {
  for (size_t i = 0;; i += 4) {
    if (i + kMinBlockBytes > avail) {
      if (eof) {
        ctx_.stats->skipped_bytes += avail;
        state_ = State::kDone;
        return avail ? ParseStep::skip(avail) : ParseStep::end();
      }
      if (i > 0) {
        ctx_.stats->skipped_bytes += i;
        return ParseStep::skip(i);
      }
      return ParseStep::need(kMinBlockBytes);
    }
    uint32_t type = load32(p + i);
    if (!is_known_block_type(type)) continue;
    bool little = little_endian_;
    uint32_t total = framed_length(p + i, avail - i, little);
    if (total == 0) continue;
    if (i + total > avail) {
      if (eof) continue;
      if (i > 0) {
        ctx_.stats->skipped_bytes += i;
        return ParseStep::skip(i);
      }
      return ParseStep::need(total);
    }
    uint32_t trailing =
        little ? base::load_le32(p + i + total - 4) : base::load_be32(p + i + total - 4);
    if (trailing != total) continue;
    state_ = State::kBlocks;
    if (i > 0) {
      ctx_.stats->skipped_bytes += i;
      return ParseStep::skip(i);
    }
    return parse_block(p, avail, eof, offset);
  }
}

}  // namespace snapflow::pcap
