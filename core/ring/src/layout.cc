// ring.meta (the ring's fixed geometry), config validation and the segment listing.
#include <fcntl.h>
#include <sys/random.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "file_util.h"
#include "key_value_text.h"
#include "segment_meta.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {
namespace {

constexpr std::string_view kRingMetaName = "ring.meta";
constexpr std::string_view kRingMetaFirstLine = "snapflow-ring 1";

base::Error invalid(std::string message) {
  return base::make_error(base::ErrorCode::kInvalidArgument, std::move(message));
}

std::string slot_name(const std::string& dir, uint32_t slot, const char* ext) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "/seg-%05u.%s", slot, ext);
  return dir + buf;
}

std::string encode_layout(const RingLayout& l) {
  return std::string(kRingMetaFirstLine) + "\nsegment_bytes=" + std::to_string(l.segment_bytes) +
         "\nsegment_count=" + std::to_string(l.segment_count) +
         "\nlink_type=" + std::to_string(l.link_type) + "\nsnaplen=" + std::to_string(l.snaplen) +
         "\nring_id=" + std::to_string(l.ring_id) + "\n";
}

// A random id for a new ring, so documents of a ring that was deleted and created again never
// share ids with the old one's (record numbers restart at 1).
base::Result<uint64_t> random_ring_id() {
  uint64_t id = 0;
  while (id == 0) {
    if (::getrandom(&id, sizeof id, 0) != static_cast<ssize_t>(sizeof id)) {
      return base::make_error(base::ErrorCode::kIo, "getrandom: " + std::string(strerror(errno)));
    }
  }
  return id;
}

base::Result<RingLayout> decode_layout(const std::string& dir, std::string_view text) {
  RingLayout l;
  l.dir = dir;
  auto bad = [&](std::string_view why) {
    return base::make_error(base::ErrorCode::kFormat, dir + "/ring.meta: " + std::string(why));
  };
  if (text.substr(0, kRingMetaFirstLine.size()) != kRingMetaFirstLine) return bad("bad magic");
  size_t found = 0;
  KeyValueLines lines(text);
  std::string_view key;
  std::string_view val;
  while (lines.next(key, val)) {
    uint64_t v = 0;
    if (!parse_whole_number(val, v)) return bad("bad value");
    if (key == "segment_bytes") {
      l.segment_bytes = v, ++found;
    } else if (key == "segment_count") {
      l.segment_count = static_cast<uint32_t>(v), ++found;
    } else if (key == "link_type") {
      l.link_type = static_cast<uint16_t>(v), ++found;
    } else if (key == "snaplen") {
      l.snaplen = static_cast<uint32_t>(v), ++found;
    } else if (key == "ring_id") {
      l.ring_id = v;  // optional: rings created before it existed have id 0
    }
  }
  if (found != 4 || l.segment_count < 2 || l.segment_bytes < 2 * kDirectIoAlignment) {
    return bad("missing or invalid fields");
  }
  return l;
}

}  // namespace

std::string RingLayout::segment_path(uint32_t slot) const {
  return slot_name(dir, slot, "pcap");
}
std::string RingLayout::meta_path(uint32_t slot) const {
  return slot_name(dir, slot, "meta");
}
std::string RingLayout::index_path(uint32_t slot) const {
  return slot_name(dir, slot, "idx");
}
std::string RingLayout::sum_path(uint32_t slot) const {
  return slot_name(dir, slot, "sum");
}

base::Status validate(const RingConfig& c) {
  if (c.dir.empty()) return invalid("ring dir: empty");
  if (c.segment_bytes < 2 * kDirectIoAlignment || c.segment_bytes % kDirectIoAlignment != 0) {
    return invalid("segment_bytes: must be a multiple of 4096 and at least 8192");
  }
  if (c.segment_count < 2) return invalid("segment_count: must be at least 2");
  if (c.write_block_bytes < kDirectIoAlignment || c.write_block_bytes % kDirectIoAlignment != 0) {
    return invalid("write_block_bytes: must be a positive multiple of 4096");
  }
  if (c.io_blocks < 2 || c.io_blocks > kMaxIoBlocks) {
    return invalid("io_blocks: must be between 2 and " + std::to_string(kMaxIoBlocks));
  }
  if (c.commit_interval_ns < 0) return invalid("commit_interval_ns: must not be negative");
  if (c.snaplen == 0 || c.snaplen + 16 + kSegmentHeaderBytes > c.segment_bytes) {
    return invalid("snaplen: must be positive and a full record must fit in one segment");
  }
  if (c.index_interval_ns <= 0) return invalid("index_interval_ns: must be positive");
  if (c.index_interval_bytes == 0) return invalid("index_interval_bytes: must be positive");
  const size_t sum = c.checksum_block_bytes;
  if (sum != 0 &&
      (sum < kMinChecksumBlockBytes || sum > kMaxChecksumBlockBytes || (sum & (sum - 1)) != 0)) {
    return invalid("checksum_block_bytes: must be 0 (none) or a power of two from 512 to 16 MiB");
  }
  return base::ok_status();
}

base::Result<RingLayout> open_ring(const std::string& dir) {
  auto text = read_small_file(dir + "/" + std::string(kRingMetaName), 4096);
  if (!text.ok()) return std::move(text).error().context("open ring " + dir);
  return decode_layout(dir, *text);
}

base::Result<RingLayout> create_ring(const RingConfig& config) {
  SNAPFLOW_TRY_STATUS(validate(config), "create ring " + config.dir);
  auto existing = open_ring(config.dir);
  if (existing.ok()) {
    const RingLayout& l = *existing;
    if (l.segment_bytes != config.segment_bytes || l.segment_count != config.segment_count ||
        l.link_type != config.link_type || l.snaplen != config.snaplen) {
      return invalid("ring " + config.dir +
                     " exists with a different geometry (segment size/count, link type or "
                     "snaplen); use another dir or remove it");
    }
    return existing;
  }
  if (existing.error().code() != base::ErrorCode::kNotFound) return std::move(existing).error();
  SNAPFLOW_TRY_STATUS(make_dir(config.dir), "create ring");
  SNAPFLOW_TRY_STATUS(make_dir(config.dir + "/cursors"), "create ring");
  RingLayout l;
  l.dir = config.dir;
  l.segment_bytes = config.segment_bytes;
  l.segment_count = config.segment_count;
  l.link_type = config.link_type;
  l.snaplen = config.snaplen;
  auto id = random_ring_id();
  if (!id.ok()) return std::move(id).error().context("create ring");
  l.ring_id = *id;
  SNAPFLOW_TRY_STATUS(write_file_atomic(config.dir, std::string(kRingMetaName), encode_layout(l)),
                      "create ring");
  return l;
}

base::Result<SegmentInfo> read_segment_info(const RingLayout& layout, uint32_t slot) {
  const std::string path = layout.meta_path(slot);
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) {
    if (fd.error().code() == base::ErrorCode::kNotFound) {
      SegmentInfo empty;
      empty.slot = slot;
      return empty;
    }
    return std::move(fd).error();
  }
  std::array<std::byte, 2 * kMetaSlotBytes> buf{};
  auto n = pread_full(fd->get(), buf.data(), buf.size(), 0, path);
  if (!n.ok()) return std::move(n).error();
  return decode_meta_file(buf.data(), *n, slot, nullptr);
}

base::Result<std::vector<SegmentInfo>> list_segments(const RingLayout& layout) {
  std::vector<SegmentInfo> out;
  out.reserve(layout.segment_count);
  uint64_t newest = 0;
  for (uint32_t slot = 0; slot < layout.segment_count; ++slot) {
    auto info = read_segment_info(layout, slot);
    if (!info.ok()) return std::move(info).error().context("list segments of " + layout.dir);
    if (info->state == SegmentState::kEmpty || info->seq == 0) continue;
    newest = std::max(newest, info->seq);
    out.push_back(*info);
  }
  // A slot left over from an older generation (e.g. metadata of a slot that a crash kept from
  // being reused) cannot be older than newest - count + 1: drop anything outside that window.
  std::erase_if(out, [&](const SegmentInfo& s) {
    return s.seq + layout.segment_count <= newest || layout.slot_of(s.seq) != s.slot;
  });
  std::sort(out.begin(), out.end(),
            [](const SegmentInfo& a, const SegmentInfo& b) { return a.seq < b.seq; });
  return out;
}

}  // namespace snapflow::ring
