// Per-block CRC32C checksums of segment data: the codec of seg-NNNNN.sum entries and the
// writer's incremental builder (docs/ring.md "Checksums"). Private to the ring.
//
// A segment written with checksums is cut into blocks of 2^log2 bytes of its file (header
// included). Every full block has one 32-byte entry in seg-NNNNN.sum: the block's CRC32C and
// the position of the first record that starts inside it (offset and ring-wide counters, so a
// reader that skips a damaged block knows exactly how many records and bytes it skipped). The
// last, partial block has no entry: its CRC32C, over the committed bytes only, is in the
// segment metadata (SegmentInfo::tail_crc), which is written atomically with the committed
// length that defines it. Entries are appended and fdatasynced before the metadata that covers
// their blocks, like the time index.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/ring/checksum.h"
#include "snapflow/ring/time_index.h"

namespace snapflow::ring {

inline constexpr size_t kSumEntryBytes = 32;

// CRC32C (Castagnoli, as iSCSI and ext4 use) by ISA-L, hardware-accelerated where the CPU
// has the crc32 instruction. Chains: crc32c(b, crc32c(a)) == crc32c(a followed by b).
uint32_t crc32c(const std::byte* data, size_t size, uint32_t crc = 0);

void encode_sum_entry(const SumEntry& entry, uint64_t block, std::byte* out);
// False if the entry's own check fails (torn, never written, or not entry `block`).
bool decode_sum_entry(const std::byte* in, uint64_t block, SumEntry& out);

// Reads the entries of blocks [first, max_entries) of a .sum file, each nullopt if its check
// fails; fewer when the file is shorter. A missing file holds none.
base::Result<std::vector<std::optional<SumEntry>>> read_sum_entries(const std::string& path,
                                                                    size_t max_entries,
                                                                    size_t first = 0);
// The valid entries from the start of a .sum file, up to max_entries, stopping at the first
// invalid one (recovery: how many are durable).
base::Result<std::vector<SumEntry>> load_sum_entries(const std::string& path, size_t max_entries);

// Reads the file bytes [from, limit) of fd (from a block boundary; limit a block boundary or the
// committed length) and checks them; returns the offset of the first damaged block, or limit.
base::Result<uint64_t> check_file_range(int fd, const std::string& path,
                                        const SegmentChecksums& sums, uint64_t from,
                                        uint64_t limit);

// The first record that starts in block `block` (of 2^log2 bytes), found by walking record
// headers from `from` (a record start at or before the block's start) up to limit; nullopt if
// none starts there. The bytes walked must have been checked.
base::Result<std::optional<SumEntry>> first_start_in_block(int fd, const std::string& path,
                                                           uint32_t snaplen, const IndexEntry& from,
                                                           uint8_t log2, uint64_t block,
                                                           uint64_t limit);

// Recomputes the entries of blocks first_block .. (end >> log2) - 1 from the segment's bytes
// (walking record headers from `from`, a record start at or before the first block) and writes
// them durably, cutting the .sum file after them; returns the CRC32C of the partial last block
// [end >> log2 << log2, end). Recovery uses it for the rescanned tail of an active segment.
base::Result<uint32_t> rebuild_sum_entries(int data_fd, const std::string& data_path, int sum_fd,
                                           const std::string& sum_path, uint32_t snaplen,
                                           const IndexEntry& from, uint8_t log2,
                                           uint64_t first_block, uint64_t end);

// The writer's side: fed the segment's bytes in file order (in large pieces: once per staging
// block and once per commit, never per record), it finishes one entry per full block and keeps
// the running CRC of the partial one. on_record() is the only per-record call: a compare, and
// a push for the first record that starts in a new block. Not thread-safe (writer thread).
class SumBuilder {
 public:
  // A new segment summed in blocks of 2^log2 bytes; log2 == 0 turns checksums off.
  void start(uint8_t log2);
  // Continues a segment whose committed length is `committed` and whose partial last block
  // has CRC tail_crc; tail_first is the first record starting in that block, if one does.
  void resume(uint8_t log2, uint64_t committed, uint32_t tail_crc,
              std::optional<SumEntry> tail_first);
  bool enabled() const { return log2_ != 0; }
  uint8_t log2() const { return log2_; }

  // A record starts at `offset` with these ring-wide counters before it.
  void on_record(uint64_t offset, uint64_t packets, uint64_t wire_bytes) {
    if (log2_ != 0 && (offset >> log2_) != last_start_block_)
      note_start(offset, packets, wire_bytes);
  }
  // Feeds file bytes [summed(), upto); buf holds the file bytes from buf_offset on (buf_offset
  // <= summed()).
  void feed(const std::byte* buf, uint64_t buf_offset, uint64_t upto);
  uint64_t summed() const { return upto_; }
  // CRC32C of the bytes fed since the last full block (the metadata's tail_crc).
  uint32_t tail_crc() const { return crc_; }
  // Entries finished since the last call, encoded, and the index of the first of them.
  uint64_t pending_first_block() const { return written_; }
  std::vector<std::byte> take_pending();

 private:
  void note_start(uint64_t offset, uint64_t packets, uint64_t wire_bytes);
  void finish_block();

  uint8_t log2_ = 0;
  uint64_t block_ = 0;  ///< block being summed
  uint64_t upto_ = 0;   ///< file bytes fed so far
  uint32_t crc_ = 0;    ///< CRC32C of [block_ << log2_, upto_)
  uint64_t last_start_block_ = UINT64_MAX;
  std::vector<std::pair<uint64_t, SumEntry>> starts_;  ///< first record start per later block
  size_t starts_head_ = 0;
  std::vector<std::byte> pending_;  ///< encoded entries not yet handed to a commit
  uint64_t written_ = 0;            ///< entries handed to commits (blocks before pending_)
};

}  // namespace snapflow::ring
