// FormatReader<Format>: the batch driver shared by classic PCAP and PCAPNG.
//
// Each next_batch() fills the caller's PacketBatch::storage with large read(2) calls and asks
// Format (non-virtually, so the per-record loop inlines) what each piece of it is. Records
// point into that storage. Bytes that begin a record but do not fit before the end of the
// storage are copied to carry_ and placed at the front of the next batch's storage: only that
// tail is ever copied, and only once per batch. When a single record is larger than the
// storage, the storage grows to hold it (the only allocation after warm-up).
//
// Reads are sized from the average record so far and the packets still wanted, so a small
// max_packets does not read (and then carry over) megabytes it cannot use.
#pragma once

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "input_file.h"
#include "parse_step.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::pcap {

inline constexpr size_t kMinReadBytes = 64 * 1024;
inline constexpr size_t kMinBatchBytes = 64;  // tests use tiny batches to force straddling

template <typename Format>
class FormatReader final : public PacketReader {
 public:
  // prefix: bytes already read from input (magic detection); they are parsed first.
  FormatReader(InputFile input, const ReaderOptions& options, std::vector<std::byte> prefix)
      : input_(std::move(input)),
        options_(options),
        format_(ParseContext{&input_.name(), &options_, &stats_}),
        carry_(std::move(prefix)) {
    options_.batch_bytes = std::max(options_.batch_bytes, kMinBatchBytes);
  }

  base::Result<size_t> next_batch(PacketBatch& batch, size_t max_packets) override;
  const ReaderStats& stats() const override { return stats_; }
  const std::string& name() const override { return input_.name(); }
  std::optional<uint64_t> size_bytes() const override { return input_.size_bytes(); }

 private:
  size_t read_size(size_t room, size_t wanted_packets) const;
  bool stepped_back(int64_t ts_ns) const {
    const int64_t limit = options_.new_part_after_step_back_ns;
    if (limit <= 0 || ts_ns >= part_newest_ns_) return false;
    // Unsigned: the difference of any two int64 time stamps fits.
    const uint64_t behind = static_cast<uint64_t>(part_newest_ns_) - static_cast<uint64_t>(ts_ns);
    return behind > static_cast<uint64_t>(limit);
  }

  InputFile input_;
  ReaderOptions options_;
  ReaderStats stats_;
  Format format_;
  std::vector<std::byte> carry_;  ///< unparsed bytes left from the previous batch
  uint64_t carry_offset_ = 0;     ///< input offset of carry_[0]
  bool eof_ = false;
  bool finished_ = false;
  bool part_pending_ = true;    ///< the next record starts a part (first record, or after a skip)
  int64_t part_newest_ns_ = 0;  ///< newest time stamp of the current part
  /// A record parsed but left for the next batch, because it begins a part (the clock stepped
  /// back). Its bytes are the first of carry_; parsing them again would count it twice.
  std::optional<ParseStep> parsed_ahead_;
  InputId input_id_{};  ///< fingerprint of the input's first record
  // Sticky: once reached, every later call returns it. When it is found while the batch
  // already holds records, those records are returned first.
  std::optional<base::Error> error_;
};

template <typename Format>
size_t FormatReader<Format>::read_size(size_t room, size_t wanted_packets) const {
  // Average record size so far (2 KiB before the first record), 25 % headroom.
  uint64_t avg = stats_.records ? stats_.input_bytes / stats_.records + 1 : 2048;
  uint64_t estimate = avg + avg / 4;
  uint64_t want = wanted_packets > (UINT64_MAX / estimate) ? UINT64_MAX : wanted_packets * estimate;
  want = std::max<uint64_t>(want, kMinReadBytes);
  return static_cast<size_t>(std::min<uint64_t>(want, room));
}

template <typename Format>
base::Result<size_t> FormatReader<Format>::next_batch(PacketBatch& batch, size_t max_packets) {
  batch.clear();
  if (error_) return *error_;
  if (finished_ || max_packets == 0) return size_t{0};
  if (batch.records.capacity() < max_packets && max_packets <= (1u << 20))
    batch.records.reserve(max_packets);

  // storage.size() is the usable capacity; it only ever grows, so it is zero-filled once.
  size_t want_size = std::max(options_.batch_bytes, carry_.size());
  if (batch.storage.size() < want_size) batch.storage.resize(want_size);
  std::byte* base = batch.storage.data();
  size_t size = batch.storage.size();
  size_t filled = carry_.size();
  if (filled) std::memcpy(base, carry_.data(), filled);
  carry_.clear();
  uint64_t base_offset = carry_offset_;  // input offset of base[0]
  size_t pos = 0;

  while (batch.records.size() < max_packets) {
    const uint64_t skipped_before = stats_.skipped_records;
    ParseStep step = parsed_ahead_
                         ? *std::exchange(parsed_ahead_, std::nullopt)
                         : format_.parse(base + pos, filled - pos, eof_, base_offset + pos);
    if (step.kind == StepKind::kRecord) [[likely]] {
      if (!part_pending_ && stepped_back(step.ts_ns)) {
        ++stats_.steps_back;
        part_pending_ = true;
        if (!batch.records.empty()) {  // a batch never spans two parts
          parsed_ahead_ = step;
          break;
        }
      }
      part_newest_ns_ = part_pending_ ? step.ts_ns : std::max(part_newest_ns_, step.ts_ns);
      if (batch.records.empty()) {
        batch.first_record_number = format_.record_number();
        batch.starts_part = part_pending_;
        part_pending_ = false;
      }
      PacketRecord& r = batch.records.emplace_back();
      r.ts_ns = step.ts_ns;
      r.data = base + pos + step.data_offset;
      r.captured_length = step.captured_length;
      r.wire_length = step.wire_length;
      r.link_type = step.link_type;
      r.interface_id = step.interface_id;
      if (stats_.records++ == 0) input_id_ = fingerprint_first_record(r);
      stats_.wire_bytes += step.wire_length;
      stats_.captured_bytes += step.captured_length;
      pos += step.bytes;
      stats_.input_bytes = base_offset + pos;
      continue;
    }
    if (step.kind == StepKind::kSkip) {
      pos += step.bytes;
      stats_.input_bytes = base_offset + pos;
      if (stats_.skipped_records != skipped_before) {
        // A bad record was skipped: what follows is a new part (a run that stopped at this
        // record, and one that skipped it, agree on every document before it).
        part_pending_ = true;
        if (!batch.records.empty()) break;
      }
      continue;
    }
    if (step.kind == StepKind::kEnd) {
      finished_ = true;
      break;
    }
    if (step.kind == StepKind::kError) {
      error_ = format_.take_error();
      if (batch.records.empty()) return *error_;
      break;
    }
    // kNeedMore: step.bytes from pos must be present.
    if (eof_) {  // a format bug; never loop on it
      error_ = base::make_error(base::ErrorCode::kInternal,
                                input_.name() + ": parser asked for bytes after end of input");
      if (batch.records.empty()) return *error_;
      break;
    }
    size_t have = filled - pos;
    if (have + (size - filled) < step.bytes) {
      if (!batch.records.empty()) break;  // records pin this storage: carry the tail
      // Nothing points into storage yet: slide the tail to the front, grow if still short.
      if (pos) {
        std::memmove(base, base + pos, have);
        base_offset += pos;
        filled = have;
        pos = 0;
      }
      if (size < step.bytes) {
        batch.storage.resize(step.bytes + kMinReadBytes);
        base = batch.storage.data();
        size = batch.storage.size();
      }
    }
    size_t wanted = std::max<size_t>(max_packets - batch.records.size(), 1);
    size_t n = read_size(size - filled, wanted);
    n = std::max(n, std::min(size - filled, step.bytes - have));
    auto got = input_.read(base + filled, n);
    if (!got.ok()) {
      error_ = std::move(got).error();
      if (batch.records.empty()) return *error_;
      break;
    }
    if (*got == 0) eof_ = true;
    filled += *got;
  }

  carry_.assign(base + pos, base + filled);
  carry_offset_ = base_offset + pos;
  batch.input_id = input_id_;
  return batch.records.size();
}

}  // namespace snapflow::pcap
