// The SSD ring: a crash-safe, fixed-size FIFO of packets on disk (DESIGN.md §4).
//
// Data flow: capture sources feed one RingWriter thread, which appends records into a staging
// block, writes full blocks sequentially (O_DIRECT where the filesystem allows) and, on
// commit(), makes the data durable and only then publishes the new committed length in the
// segment's metadata. Any number of RingReaders (pcap2json following live, PCAP downloads by
// time window) read concurrently, in this or other processes, and trust nothing beyond the
// committed length.
//
// On disk (docs/ring.md has the byte layouts) a ring is a directory:
//   ring.meta              geometry fixed at creation (segment size and count, link type)
//   seg-NNNNN.pcap         preallocated segment: a nanosecond PCAP up to its committed length
//   seg-NNNNN.meta         two checksummed metadata slots, updated alternately (A/B)
//   seg-NNNNN.idx          time index entries, appended before the metadata that counts them
//   seg-NNNNN.sum          CRC32C per 64 KiB block of the segment file (checksum.h), likewise
//   catalog                named captures as [start, stop) positions (atomic replace)
//   cursors/NAME           named consumer positions (atomic replace)
//   lock                   flock(2)ed by the one writer
// Segments are filled in sequence numbers 1, 2, 3, ...; sequence s lives in slot
// (s - 1) % segment_count, so when the ring is full the oldest segment is reused.
//
// Positions carry ring-wide cumulative counters (packets, wire bytes, record bytes before the
// position). Differences of two positions are exact window totals, and a consumer whose
// segment was overwritten learns exactly how much it lost from the oldest surviving segment.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/base/time.h"
#include "snapflow/pcap/record.h"

namespace snapflow::ring {

enum class RingPolicy : uint8_t {
  kOverwrite,  ///< live capture: reuse the oldest segment; late consumers get a Gap
  kBlock,      ///< lossless: wait until every registered cursor has left the oldest segment
};

inline constexpr uint64_t kDefaultSegmentBytes = uint64_t{256} << 20;
inline constexpr uint32_t kDefaultSegmentCount = 16;
inline constexpr int64_t kDefaultIndexIntervalNs = base::kNsPerMs;
inline constexpr uint64_t kDefaultIndexIntervalBytes = uint64_t{1} << 20;
inline constexpr size_t kDefaultWriteBlockBytes = size_t{4} << 20;
inline constexpr uint32_t kDefaultIoBlocks = 8;
inline constexpr uint32_t kMaxIoBlocks = 64;
inline constexpr uint32_t kDefaultSnaplen = 262144;
inline constexpr size_t kDirectIoAlignment = 4096;
inline constexpr uint64_t kSegmentHeaderBytes = 24;  ///< the PCAP file header of each segment
inline constexpr size_t kDefaultChecksumBlockBytes = size_t{64} << 10;
inline constexpr size_t kMinChecksumBlockBytes = 512;
inline constexpr size_t kMaxChecksumBlockBytes = size_t{16} << 20;

struct RingConfig {
  std::string dir;
  uint64_t segment_bytes = kDefaultSegmentBytes;  ///< multiple of kDirectIoAlignment
  uint32_t segment_count = kDefaultSegmentCount;  ///< >= 2
  RingPolicy policy = RingPolicy::kOverwrite;
  int64_t index_interval_ns = kDefaultIndexIntervalNs;  ///< an index entry at least this often
  uint64_t index_interval_bytes = kDefaultIndexIntervalBytes;  ///< ... and every this many bytes
  uint16_t link_type = pcap::kLinkEthernet;
  uint32_t snaplen = kDefaultSnaplen;
  size_t write_block_bytes = kDefaultWriteBlockBytes;  ///< staging block, multiple of 4096
  // Staging blocks shared by the writer and its write thread (2..64): up to io_blocks - 1 full
  // blocks wait for or are in the disk while the writer fills the next one.
  uint32_t io_blocks = kDefaultIoBlocks;
  // Automatic commits from append(), whichever comes first (0 = off; then only commit() and
  // commit_async() commit). Started without waiting: append() does not block on fdatasync.
  int64_t commit_interval_ns = 0;
  uint64_t commit_interval_bytes = 0;
  bool direct_io = true;  ///< try O_DIRECT; falls back to buffered + fdatasync
  // CRC32C of every block of this many bytes of each new segment (checksum.h): a power of two
  // in [512, 16 MiB], or 0 for none (segments as written before checksums existed).
  size_t checksum_block_bytes = kDefaultChecksumBlockBytes;
  int64_t block_timeout_ns = -1;  ///< kBlock: give up waiting after this long (-1: never)
};

// Checks every field and cross-field constraint; the message names the field.
base::Status validate(const RingConfig& config);

// The geometry of an existing ring, read from DIR/ring.meta.
struct RingLayout {
  std::string dir;
  uint64_t segment_bytes = 0;
  uint32_t segment_count = 0;
  uint16_t link_type = 0;
  uint32_t snaplen = 0;
  uint64_t ring_id = 0;  ///< random at creation; 0 for rings made before ids existed

  uint32_t slot_of(uint64_t segment_seq) const {
    return static_cast<uint32_t>((segment_seq - 1) % segment_count);
  }
  std::string segment_path(uint32_t slot) const;
  std::string meta_path(uint32_t slot) const;
  std::string index_path(uint32_t slot) const;
  std::string sum_path(uint32_t slot) const;  ///< per-block checksums (checksum.h)
};

// Creates the ring directory and ring.meta (durably) if absent, otherwise checks that the
// existing geometry matches config. Returns the layout.
base::Result<RingLayout> create_ring(const RingConfig& config);
// Opens an existing ring's layout (kNotFound if DIR/ring.meta is missing).
base::Result<RingLayout> open_ring(const std::string& dir);

// A place in the ring's record stream: the record starting at byte `offset` of segment
// `segment_seq`, plus ring-wide totals of everything before it.
struct RingPosition {
  uint64_t segment_seq = 0;   ///< 0 = before the first segment (empty ring)
  uint64_t offset = 0;        ///< byte offset inside the segment file
  uint64_t packets = 0;       ///< records before this position, since the ring was created
  uint64_t wire_bytes = 0;    ///< sum of wire lengths before this position
  uint64_t record_bytes = 0;  ///< sum of (16 + captured length) before this position

  friend bool operator==(const RingPosition&, const RingPosition&) = default;
};

// Data a consumer lost because its segment was reused. Lost records have timestamps after
// start_ns (the last record the consumer saw; 0 if none) and before end_ns (the first record
// it resumes at). Totals are exact: they are differences of ring-wide cumulative counters.
struct Gap {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  uint64_t packets = 0;
  uint64_t wire_bytes = 0;
  uint64_t record_bytes = 0;
};

enum class SegmentState : uint32_t { kEmpty = 0, kActive = 1, kSealed = 2 };

// The durable metadata of one segment (what its .meta file says).
struct SegmentInfo {
  uint32_t slot = 0;
  uint64_t seq = 0;
  SegmentState state = SegmentState::kEmpty;
  uint64_t committed_bytes = 0;  ///< file bytes readers may trust (header included); 0 = none
  uint32_t index_count = 0;      ///< durable index entries
  int64_t first_ts_ns = 0;
  int64_t last_ts_ns = 0;
  RingPosition base;     ///< position of the segment's first record (its cumulative totals)
  uint64_t packets = 0;  ///< committed records in this segment
  uint64_t wire_bytes = 0;
  uint64_t record_bytes = 0;
  // Checksums (checksum.h): blocks of 2^checksum_log2 bytes, 0 = none (segments written before
  // they existed); tail_crc is the CRC32C of the committed bytes after the last full block.
  uint8_t checksum_log2 = 0;
  uint32_t tail_crc = 0;
  // The time-index interval the segment was written with (0: unknown, older segments). Records
  // between two index entries are earlier than the first one's time + this interval, whatever
  // order the timestamps come in, which lets time lookups handle clocks that jump back.
  int64_t index_interval_ns = 0;

  bool has_checksums() const { return checksum_log2 != 0; }
  RingPosition start() const { return base; }
  RingPosition end() const {
    return {seq, committed_bytes < kSegmentHeaderBytes ? kSegmentHeaderBytes : committed_bytes,
            base.packets + packets, base.wire_bytes + wire_bytes, base.record_bytes + record_bytes};
  }
};

// Reads every slot's durable metadata and returns the segments that hold a live generation,
// oldest first. Thread-safe; reads only.
base::Result<std::vector<SegmentInfo>> list_segments(const RingLayout& layout);
// The metadata of one slot (state kEmpty when the slot was never used).
base::Result<SegmentInfo> read_segment_info(const RingLayout& layout, uint32_t slot);

// For readers that keep a segment's files open (core/extract) instead of calling the functions
// above: how many bytes of a .meta file to read, and what they say (as read_segment_info()
// decodes them; fewer bytes, e.g. a short or absent file, mean fewer valid slots).
inline constexpr size_t kSegmentMetaFileBytes = 256;
SegmentInfo decode_segment_meta(std::span<const std::byte> file_bytes, uint32_t slot);

// One 16-byte record header of a segment, validated as the ring's readers and recovery do
// (1 <= captured <= snaplen, captured <= wire <= 1 MiB, nanoseconds < 1e9). False: not a
// record (torn, padding, garbage); the outputs are then unspecified.
bool parse_record_header(const std::byte* header, uint32_t snaplen, int64_t& ts_ns,
                         uint32_t& captured, uint32_t& wire);

}  // namespace snapflow::ring
