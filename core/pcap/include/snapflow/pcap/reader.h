// Batch readers of capture files: classic PCAP (microsecond and nanosecond magic, both byte
// orders) and PCAPNG (several interfaces and sections, per-interface link type and timestamp
// resolution/offset, EPB/SPB/OPB; unknown blocks skipped), from a path, stdin ("-") or an fd.
//
// Data flow: read(2) in large chunks straight into PacketBatch::storage; records are views of
// that storage. Nothing is allocated per packet. A reader is not thread-safe: one per thread.
//
// Errors: a Result error names the input, the 1-based record number and the byte offset:
//   "trace.pcap: record 1042 at byte 66112: captured length 300000 exceeds limit 262144".
// For PCAPNG the unit is the block ("block 7 at byte 1234"), counting every block from 1.
// When an error happens after records were added to the batch, next_batch returns those
// records first and the error on the following call, so nothing read before a fault is lost.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/pcap/record.h"

namespace snapflow::pcap {

inline constexpr uint32_t kDefaultMaxCapturedLength = 256 * 1024;

struct ReaderOptions {
  uint32_t max_captured_length = kDefaultMaxCapturedLength;  ///< hard cap on any record
  bool skip_bad_records = false;  ///< resynchronise past bad records instead of failing
  size_t batch_bytes = 4 << 20;   ///< storage bytes per batch (one large read)
  /// Accept link types the decoder does not know (is_supported_link_type). Off by default:
  /// such packets could only be counted as undecodable, so an unknown link type is reported
  /// as an error naming it, at the file header (PCAP) or the first packet (PCAPNG).
  bool allow_unknown_link_types = false;
  /// A record this much older than the newest record of its part begins a new part (0: never):
  /// the capture clock stepped back, or captures were concatenated out of order. Without it a
  /// consumer that orders by time would fold everything after the step into its oldest open
  /// interval until the clock caught up (docs/decisions/0007-clock-steps-back.md).
  int64_t new_part_after_step_back_ns = 0;
  /// Readable: a read of a pipe, terminal or socket that is waiting for data ends with
  /// kCancelled (a stop request reaching a reader blocked on an idle stdin). -1: none.
  int cancel_fd = -1;
};

struct ReaderStats {
  uint64_t records = 0;          ///< records returned
  uint64_t wire_bytes = 0;       ///< sum of wire_length over returned records
  uint64_t captured_bytes = 0;   ///< sum of captured_length over returned records
  uint64_t skipped_records = 0;  ///< bad records skipped (skip_bad_records)
  uint64_t skipped_bytes = 0;    ///< input bytes passed over while resynchronising
  uint64_t input_bytes = 0;      ///< bytes consumed from the input so far
  uint64_t steps_back = 0;       ///< parts begun because the clock stepped back
};

class PacketReader {
 public:
  virtual ~PacketReader() = default;

  // Opens a path ("-" means stdin) and detects PCAP or PCAPNG from its magic.
  static base::Result<std::unique_ptr<PacketReader>> open(const std::string& path,
                                                          const ReaderOptions& options = {});
  // Reads from an already open fd (not closed by the reader); name is used in messages.
  static base::Result<std::unique_ptr<PacketReader>> open_fd(int fd, std::string name,
                                                             const ReaderOptions& options = {});

  // Clears batch and fills it with up to max_packets records. Returns how many were added;
  // 0 means end of input. Blocks on the underlying read.
  virtual base::Result<size_t> next_batch(PacketBatch& batch, size_t max_packets) = 0;

  virtual const ReaderStats& stats() const = 0;
  virtual const std::string& name() const = 0;
  // Total input size when known (regular files), for progress reporting.
  virtual std::optional<uint64_t> size_bytes() const = 0;
};

// Which of several files a run reads. Workers that split an archive between them each take a
// shard: a file belongs to shard (hash of its fingerprint) % shard_count, so the split does not
// depend on the order or names the files are given in, and identical copies land together.
struct FileSelection {
  uint32_t shard_index = 0;  ///< 0-based, < shard_count
  uint32_t shard_count = 1;
};

// Which shard of shard_count a file with this fingerprint belongs to.
uint32_t shard_of(const InputId& input_id, uint32_t shard_count);

// Reads several files one after another as one stream. Files are ordered by the timestamp of
// their first record (rotated captures may be given in any order); each file is opened only
// when its turn comes, so any number of files can be given. Files without records and files
// of other shards (selection) are checked, then left out.
base::Result<std::unique_ptr<PacketReader>> open_files(const std::vector<std::string>& paths,
                                                       const ReaderOptions& options = {},
                                                       const FileSelection& selection = {});

}  // namespace snapflow::pcap
