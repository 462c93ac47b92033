// Recovery: bring a ring back to a consistent state after a crash or power cut.
//
// For every segment whose metadata says "active" (being written when the writer stopped):
//   1. pick the last index entry whose offset holds a valid record header with the entry's
//      timestamp (entries are durable before the metadata that counts them, but the data
//      they point at may be lost in a power cut), or the segment start if none;
//   2. scan records forward from there and keep every complete, valid record -- also those
//      written after the last metadata update (where, uncommitted, a record's time must not
//      step back more than 10 s, against garbage that looks like a header; committed records
//      may jump in time as the capture clock did) -- and stop at the first truncated record or
//      garbage;
//   3. rewrite the index (drop entries past the end, add entries for the rescanned region),
//      recompute the checksums of the blocks past the durable ones, truncate the file to the
//      last complete record, then write the metadata durably.
// If the scan stops inside committed data that is all present but fails its checksums, that is
// damage (bit rot), not a torn tail: the segment keeps its committed state (readers skip the
// damage exactly), loses only its uncommitted tail, and is sealed.
// A segment whose header carries another generation (a crash between reusing the slot and
// truncating it) is reset to empty. Active segments that are not the newest are sealed.
// Finally the captures catalog is clamped to the recovered head (an active capture is
// closed there). RingWriter::open() runs this while holding the ring's lock.
#pragma once

#include <cstdint>
#include <string>

#include "snapflow/base/result.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

inline constexpr int64_t kMaxTimestampBackstepNs = 10 * base::kNsPerSec;

struct RecoveryReport {
  uint32_t segments_checked = 0;         ///< active segments scanned
  uint32_t segments_repaired = 0;        ///< segments whose metadata, index or file changed
  uint64_t records_beyond_metadata = 0;  ///< complete records found past the committed length
  uint64_t records_missing = 0;  ///< records the metadata counted but the file no longer holds
  uint64_t bytes_dropped = 0;    ///< torn-tail bytes cut off (file size - kept length)
  uint64_t index_entries_added = 0;
  uint64_t index_entries_dropped = 0;
  uint64_t catalog_entries_fixed = 0;
  uint32_t segments_damaged = 0;  ///< committed data failed its checksums: kept as committed
                                  ///< (readers skip the damage), sealed, tail cut
  RingPosition head;              ///< end of the newest committed data after recovery
  int64_t head_ts_ns = 0;

  std::string summary() const;
};

// The caller must be the only writer (RingWriter holds DIR/lock). index intervals come from
// config (used for entries added while rescanning).
base::Result<RecoveryReport> recover_ring(const RingLayout& layout, const RingConfig& config);

}  // namespace snapflow::ring
