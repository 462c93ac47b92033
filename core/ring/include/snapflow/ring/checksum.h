// Per-block CRC32C checksums of ring segments (docs/ring.md "Checksums").
//
// A segment written with checksums (SegmentInfo::has_checksums()) is cut into blocks of
// checksum_block_bytes (64 KiB by default) of its file. Every full block has an entry in
// seg-NNNNN.sum: its CRC32C and the first record that starts in it (offset and ring-wide
// counters); the CRC32C of the committed part of the last block is in the segment metadata. The
// segment file itself stays a plain PCAP file. Segments written before checksums existed have
// none and are read unverified, as before.
//
// RingReader verifies every block it reads, once per block (not per record), and never returns
// a record that lies in a damaged block: it reports ReadStatus::kCorrupt with the exact extent
// (RingReader::last_corruption()) and resumes at the first record that starts in an intact block
// after the damage. Code that reads segment files itself (core/extract) uses SegmentChecksums
// and measure_damage() below to do the same; verify_segment() scrubs one whole segment.
//
// Thread-safety: a SegmentChecksums is one reader's cache (not shared); the free functions are
// thread-safe and read only.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

inline constexpr uint32_t kNoRecordStartInBlock = 0xffffffffu;

// One full block's entry in seg-NNNNN.sum.
struct SumEntry {
  uint32_t crc = 0;                               ///< CRC32C of the block's bytes
  uint32_t first_record = kNoRecordStartInBlock;  ///< offset in the block of the first record
                                                  ///< that starts in it (none: a record spans it)
  uint64_t packets = 0;                           ///< ring-wide records before that record
  uint64_t wire_bytes = 0;                        ///< ring-wide wire bytes before it

  bool has_record_start() const { return first_record != kNoRecordStartInBlock; }
};

// Data a reader skipped because the bytes holding it do not match their checksums. The records
// in [from, to) were skipped; their totals (lost) are exact differences of ring-wide counters.
// lost.start_ns is the last timestamp read before the damage (or the segment's first, if none);
// lost.end_ns the timestamp of the record at `to` when it lies in verified bytes, otherwise the
// segment's largest timestamp. The damaged bytes are [file_offset, file_offset + file_bytes) of
// the segment file (whole blocks; the last one cut at the committed length).
struct Corruption {
  uint64_t segment_seq = 0;
  uint64_t file_offset = 0;
  uint64_t file_bytes = 0;
  RingPosition from;
  RingPosition to;
  Gap lost;
};

// The checksums of one segment, for a reader. Entries are loaded up to the committed length of
// the SegmentInfo given to load()/refresh(); refresh() again after the segment grew.
class SegmentChecksums {
 public:
  SegmentChecksums() = default;  ///< none: every check passes, enabled() is false

  // Reads the entries of info's segment (none when it has no checksums). Blocks on I/O.
  static base::Result<SegmentChecksums> load(const RingLayout& layout, const SegmentInfo& info);
  // Catches up with a newer SegmentInfo of the same segment (same seq): more committed data.
  base::Status refresh(const SegmentInfo& info);

  bool enabled() const { return log2_ != 0; }
  uint64_t segment_seq() const { return seq_; }
  uint64_t block_bytes() const { return enabled() ? uint64_t{1} << log2_ : 0; }
  uint64_t block_of(uint64_t file_offset) const { return file_offset >> log2_; }
  // Full blocks of the committed data (blocks with an entry; the partial tail has none).
  uint64_t full_blocks() const { return committed_ >> log2_; }
  // Entry of full block b < full_blocks(); nullptr when the .sum file lacks it (damaged).
  const SumEntry* entry(uint64_t block) const {
    return block < entries_.size() && entries_[block] ? &*entries_[block] : nullptr;
  }

  // Checks the file bytes data = [file_offset, file_offset + data.size()) of the segment.
  // file_offset must be a multiple of block_bytes(), and the range must end at a block boundary
  // or at the committed length (the partial last block is checked against the tail CRC).
  // Returns the offset of the first block that does not match (or has no entry), or
  // file_offset + data.size() when every block matches. Always the end when !enabled().
  uint64_t first_bad(uint64_t file_offset, std::span<const std::byte> data) const;

 private:
  std::string path_;
  uint64_t seq_ = 0;
  uint8_t log2_ = 0;
  uint64_t committed_ = 0;
  uint32_t tail_crc_ = 0;
  std::vector<std::optional<SumEntry>> entries_;  ///< nullopt: the entry is damaged
};

// The extent a reader must skip: `from` is the record it stands at (in info's segment), the
// first block that failed its check starts at bad_offset (at or after from's block). Reads and
// checks the following blocks from fd (open on the segment file) until a block that matches
// and has a record start, using the time index for the partial last block; `to` is that record
// (or the segment's end). from_ts_ns is the last timestamp the reader saw (0: none).
base::Result<Corruption> measure_damage(const RingLayout& layout, const SegmentInfo& info,
                                        const SegmentChecksums& sums, int fd,
                                        const RingPosition& from, int64_t from_ts_ns,
                                        uint64_t bad_offset);

struct SegmentVerification {
  uint64_t segment_seq = 0;
  bool has_checksums = false;
  uint64_t records = 0;            ///< records read intact
  uint64_t bytes_checked = 0;      ///< committed bytes covered by checksums
  std::vector<Corruption> damage;  ///< every damaged extent, in file order
};

// Reads one committed segment (the slot's current generation) from start to end, checking every
// block: a scrub. kUnavailable if the slot is reused meanwhile. Blocks on I/O.
base::Result<SegmentVerification> verify_segment(const RingLayout& layout, uint32_t slot);

}  // namespace snapflow::ring
