#include "block_sums.h"

#include <fcntl.h>
#include <isa-l/crc.h>
#include <unistd.h>

#include <algorithm>
#include <climits>

#include "file_util.h"
#include "segment_scan.h"

namespace snapflow::ring {
namespace {

constexpr size_t kEntryCheckOffset = kSumEntryBytes - 4;

}  // namespace

uint32_t crc32c(const std::byte* data, size_t size, uint32_t crc) {
  // ISA-L works on the raw register (no pre/post inversion) and takes an int length.
  uint32_t raw = ~crc;
  auto* p = reinterpret_cast<unsigned char*>(const_cast<std::byte*>(data));
  while (size > 0) {
    const int n = size > INT_MAX ? INT_MAX : static_cast<int>(size);
    raw = crc32_iscsi(p, n, raw);
    p += n;
    size -= static_cast<size_t>(n);
  }
  return ~raw;
}

void encode_sum_entry(const SumEntry& e, uint64_t block, std::byte* out) {
  base::store_le32(out + 0, e.crc);
  base::store_le32(out + 4, e.first_record);
  store_le64(out + 8, e.packets);
  store_le64(out + 16, e.wire_bytes);
  base::store_le32(out + 24, 0);
  // Seeded with the block number: an entry copied to the wrong place fails its check.
  std::byte seed[8];
  store_le64(seed, block);
  base::store_le32(out + kEntryCheckOffset, crc32c(out, kEntryCheckOffset, crc32c(seed, 8)));
}

bool decode_sum_entry(const std::byte* in, uint64_t block, SumEntry& e) {
  std::byte seed[8];
  store_le64(seed, block);
  if (base::load_le32(in + kEntryCheckOffset) != crc32c(in, kEntryCheckOffset, crc32c(seed, 8))) {
    return false;
  }
  e.crc = base::load_le32(in + 0);
  e.first_record = base::load_le32(in + 4);
  e.packets = base::load_le64(in + 8);
  e.wire_bytes = base::load_le64(in + 16);
  return true;
}

base::Result<std::vector<std::optional<SumEntry>>> read_sum_entries(const std::string& path,
                                                                    size_t max_entries,
                                                                    size_t first) {
  std::vector<std::optional<SumEntry>> out;
  if (max_entries <= first) return out;
  auto fd = open_file(path, O_RDONLY);
  if (!fd.ok()) {
    if (fd.error().code() == base::ErrorCode::kNotFound) return out;
    return std::move(fd).error();
  }
  std::vector<std::byte> buf((max_entries - first) * kSumEntryBytes);
  auto n = pread_full(fd->get(), buf.data(), buf.size(), first * kSumEntryBytes, path);
  if (!n.ok()) return std::move(n).error();
  const size_t count = *n / kSumEntryBytes;
  out.resize(count);
  for (size_t i = 0; i < count; ++i) {
    SumEntry e;
    if (decode_sum_entry(buf.data() + i * kSumEntryBytes, first + i, e)) out[i] = e;
  }
  return out;
}

base::Result<std::vector<SumEntry>> load_sum_entries(const std::string& path, size_t max_entries) {
  auto all = read_sum_entries(path, max_entries);
  if (!all.ok()) return std::move(all).error();
  std::vector<SumEntry> out;
  out.reserve(all->size());
  for (const auto& e : *all) {
    if (!e) break;
    out.push_back(*e);
  }
  return out;
}

base::Result<uint32_t> rebuild_sum_entries(int data_fd, const std::string& data_path, int sum_fd,
                                           const std::string& sum_path, uint32_t snaplen,
                                           const IndexEntry& from, uint8_t log2,
                                           uint64_t first_block, uint64_t end) {
  // The builder does the work, fed the file as the writer would have fed it.
  SumBuilder builder;
  const uint64_t start = first_block << log2;
  builder.resume(log2, start, 0, std::nullopt);
  uint64_t packets = from.packets;
  uint64_t wire = from.wire_bytes;
  auto walked = scan_records(data_fd, data_path, from.offset, end, snaplen,
                             [&](const RecordHeader& h, uint64_t off) {
                               if (off >= start) builder.on_record(off, packets, wire);
                               packets += 1;
                               wire += h.wire;
                               return true;
                             });
  if (!walked.ok()) return std::move(walked).error();
  std::vector<std::byte> buf(size_t{1} << 20);
  for (uint64_t at = start; at < end;) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(buf.size(), end - at));
    auto got = pread_full(data_fd, buf.data(), n, at, data_path);
    if (!got.ok()) return std::move(got).error();
    if (*got < n) {
      return base::make_error(base::ErrorCode::kIo, data_path + ": shorter than recovered");
    }
    builder.feed(buf.data(), at, at + n);
    at += n;
  }
  const std::vector<std::byte> entries = builder.take_pending();
  SNAPFLOW_TRY_STATUS(
      pwrite_full(sum_fd, entries.data(), entries.size(), first_block * kSumEntryBytes, sum_path),
      "rebuild checksums");
  if (::ftruncate(sum_fd, static_cast<off_t>((end >> log2) * kSumEntryBytes)) != 0) {
    return io_error("truncate", sum_path);
  }
  SNAPFLOW_TRY_STATUS(sync_data(sum_fd, sum_path), "rebuild checksums");
  return builder.tail_crc();
}

void SumBuilder::start(uint8_t log2) {
  log2_ = log2;
  block_ = 0;
  upto_ = 0;
  crc_ = 0;
  last_start_block_ = UINT64_MAX;
  starts_.clear();
  starts_head_ = 0;
  pending_.clear();
  written_ = 0;
}

void SumBuilder::resume(uint8_t log2, uint64_t committed, uint32_t tail_crc,
                        std::optional<SumEntry> tail_first) {
  start(log2);
  if (log2 == 0) return;
  block_ = committed >> log2;
  upto_ = committed;
  crc_ = tail_crc;
  written_ = block_;
  if (tail_first) {
    starts_.emplace_back(block_, *tail_first);
    last_start_block_ = block_;
  }
}

void SumBuilder::note_start(uint64_t offset, uint64_t packets, uint64_t wire_bytes) {
  const uint64_t block = offset >> log2_;
  SumEntry e;
  e.first_record = static_cast<uint32_t>(offset - (block << log2_));
  e.packets = packets;
  e.wire_bytes = wire_bytes;
  starts_.emplace_back(block, e);
  last_start_block_ = block;
}

void SumBuilder::finish_block() {
  SumEntry e;
  if (starts_head_ < starts_.size() && starts_[starts_head_].first == block_) {
    e = starts_[starts_head_].second;
    ++starts_head_;
  }
  e.crc = crc_;
  const size_t at = pending_.size();
  pending_.resize(at + kSumEntryBytes);
  encode_sum_entry(e, block_, pending_.data() + at);
  ++block_;
  crc_ = 0;
  // Consumed starts are dropped in bulk: the current block usually has one waiting.
  if (starts_head_ == starts_.size() || starts_head_ >= 64) {
    starts_.erase(starts_.begin(), starts_.begin() + static_cast<std::ptrdiff_t>(starts_head_));
    starts_head_ = 0;
  }
}

void SumBuilder::feed(const std::byte* buf, uint64_t buf_offset, uint64_t upto) {
  if (log2_ == 0) {
    upto_ = upto > upto_ ? upto : upto_;
    return;
  }
  while (upto_ < upto) {
    const uint64_t block_end = (block_ + 1) << log2_;
    const uint64_t stop = upto < block_end ? upto : block_end;
    crc_ = crc32c(buf + (upto_ - buf_offset), static_cast<size_t>(stop - upto_), crc_);
    upto_ = stop;
    if (stop == block_end) finish_block();
  }
}

std::vector<std::byte> SumBuilder::take_pending() {
  std::vector<std::byte> out;
  out.swap(pending_);
  written_ += out.size() / kSumEntryBytes;
  return out;
}

}  // namespace snapflow::ring
