#include "segment_meta.h"

#include <fcntl.h>

#include <array>

namespace snapflow::ring {
namespace {

constexpr size_t kChecksumOffset = kMetaSlotBytes - 8;
// Bytes 104..119 were zero in the first rings; readers of that time ignore them, so rings with
// checksums stay readable by older versions (they just do not verify).
constexpr size_t kSumLog2Offset = 104;
constexpr size_t kSumFormatOffset = 105;
constexpr uint8_t kSumFormatCrc32c = 1;
constexpr size_t kTailCrcOffset = 108;
constexpr size_t kIndexIntervalOffset = 112;
constexpr uint8_t kMinSumLog2 = 9;
constexpr uint8_t kMaxSumLog2 = 24;

}  // namespace

void encode_meta_slot(const SegmentInfo& info, uint64_t update_counter, std::byte* out) {
  std::memset(out, 0, kMetaSlotBytes);
  base::store_le32(out + 0, kMetaMagic);
  base::store_le32(out + 4, kMetaVersion);
  store_le64(out + 8, update_counter);
  store_le64(out + 16, info.seq);
  base::store_le32(out + 24, static_cast<uint32_t>(info.state));
  base::store_le32(out + 28, info.index_count);
  store_le64(out + 32, info.committed_bytes);
  store_le64(out + 40, static_cast<uint64_t>(info.first_ts_ns));
  store_le64(out + 48, static_cast<uint64_t>(info.last_ts_ns));
  store_le64(out + 56, info.base.packets);
  store_le64(out + 64, info.base.wire_bytes);
  store_le64(out + 72, info.base.record_bytes);
  store_le64(out + 80, info.packets);
  store_le64(out + 88, info.wire_bytes);
  store_le64(out + 96, info.record_bytes);
  if (info.checksum_log2 != 0) {
    out[kSumLog2Offset] = std::byte{info.checksum_log2};
    out[kSumFormatOffset] = std::byte{kSumFormatCrc32c};
    base::store_le32(out + kTailCrcOffset, info.tail_crc);
  }
  store_le64(out + kIndexIntervalOffset, static_cast<uint64_t>(info.index_interval_ns));
  store_le64(out + kChecksumOffset, fnv1a64(out, kChecksumOffset));
}

bool decode_meta_slot(const std::byte* in, SegmentInfo& info, uint64_t& update_counter) {
  if (base::load_le32(in) != kMetaMagic || base::load_le32(in + 4) != kMetaVersion) return false;
  if (base::load_le64(in + kChecksumOffset) != fnv1a64(in, kChecksumOffset)) return false;
  const uint32_t state = base::load_le32(in + 24);
  if (state > static_cast<uint32_t>(SegmentState::kSealed)) return false;
  update_counter = base::load_le64(in + 8);
  info.seq = base::load_le64(in + 16);
  info.state = static_cast<SegmentState>(state);
  info.index_count = base::load_le32(in + 28);
  info.committed_bytes = base::load_le64(in + 32);
  info.first_ts_ns = static_cast<int64_t>(base::load_le64(in + 40));
  info.last_ts_ns = static_cast<int64_t>(base::load_le64(in + 48));
  info.base.segment_seq = info.seq;
  info.base.offset = kSegmentHeaderBytes;
  info.base.packets = base::load_le64(in + 56);
  info.base.wire_bytes = base::load_le64(in + 64);
  info.base.record_bytes = base::load_le64(in + 72);
  info.packets = base::load_le64(in + 80);
  info.wire_bytes = base::load_le64(in + 88);
  info.record_bytes = base::load_le64(in + 96);
  const auto log2 = static_cast<uint8_t>(in[kSumLog2Offset]);
  const bool sums = static_cast<uint8_t>(in[kSumFormatOffset]) == kSumFormatCrc32c &&
                    log2 >= kMinSumLog2 && log2 <= kMaxSumLog2;
  info.checksum_log2 = sums ? log2 : 0;
  info.tail_crc = sums ? base::load_le32(in + kTailCrcOffset) : 0;
  const auto interval = static_cast<int64_t>(base::load_le64(in + kIndexIntervalOffset));
  info.index_interval_ns = interval > 0 ? interval : 0;
  return true;
}

SegmentInfo decode_meta_file(const std::byte* data, size_t size, uint32_t slot,
                             uint64_t* update_counter) {
  SegmentInfo best;
  uint64_t best_counter = 0;
  bool found = false;
  for (size_t s = 0; s < 2 && (s + 1) * kMetaSlotBytes <= size; ++s) {
    SegmentInfo info;
    uint64_t counter = 0;
    if (decode_meta_slot(data + s * kMetaSlotBytes, info, counter) &&
        (!found || counter > best_counter)) {
      best = info;
      best_counter = counter;
      found = true;
    }
  }
  if (!found) best = SegmentInfo{};
  best.slot = slot;
  if (update_counter != nullptr) *update_counter = found ? best_counter : 0;
  return best;
}

base::Result<SegmentMetaFile> SegmentMetaFile::open(const RingLayout& layout, uint32_t slot) {
  SegmentMetaFile file;
  file.path_ = layout.meta_path(slot);
  auto fd = open_file(file.path_, O_RDWR | O_CREAT);
  if (!fd.ok()) return std::move(fd).error();
  file.fd_ = std::move(*fd);
  std::array<std::byte, 2 * kMetaSlotBytes> buf{};
  auto n = pread_full(file.fd_.get(), buf.data(), buf.size(), 0, file.path_);
  if (!n.ok()) return std::move(n).error();
  file.info_ = decode_meta_file(buf.data(), *n, slot, &file.counter_);
  return file;
}

base::Status SegmentMetaFile::write(const SegmentInfo& info) {
  std::array<std::byte, kMetaSlotBytes> buf{};
  const uint64_t next = counter_ + 1;
  encode_meta_slot(info, next, buf.data());
  // Slot chosen by counter parity: the slot holding the current state is never overwritten.
  SNAPFLOW_TRY_STATUS(
      pwrite_full(fd_.get(), buf.data(), buf.size(), (next % 2) * kMetaSlotBytes, path_),
      "segment metadata");
  SNAPFLOW_TRY_STATUS(sync_data(fd_.get(), path_), "segment metadata");
  counter_ = next;
  info_ = info;
  info_.slot = info.slot;
  return base::ok_status();
}

}  // namespace snapflow::ring
