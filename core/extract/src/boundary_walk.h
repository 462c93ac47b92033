// BoundaryWalk: where many sorted time boundaries fall in a ring, from segment metadata and the
// time index, then (within a byte budget) exactly from the index runs that bracket them. The
// engine of bandwidth.h, which documents the semantics. Private; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/extract/ring_index.h"

namespace snapflow::extract {

// first_ns + k * step_ns, saturated at INT64_MAX.
inline int64_t saturated_time(int64_t first_ns, uint64_t k, uint64_t step_ns) {
  uint64_t offset = 0;
  int64_t t = 0;
  if (__builtin_mul_overflow(k, step_ns, &offset) || offset > static_cast<uint64_t>(INT64_MAX) ||
      __builtin_add_overflow(first_ns, static_cast<int64_t>(offset), &t)) {
    return INT64_MAX;
  }
  return t;
}

// Ring-wide cumulative counters at a record boundary.
struct Cumulative {
  uint64_t packets = 0;
  uint64_t wire_bytes = 0;
};

class BoundaryWalk {
 public:
  BoundaryWalk(RingIndex& index, const RingSpan& span) : index_(index), span_(span) {}

  // Boundary k (k < count) is first_ns + k * step_ns, saturated at INT64_MAX. positions()[k]
  // is then the cumulative count before the first record with ts >= boundary k, or the
  // index run's end where that record lies inside a run of several (see bandwidth.h).
  base::Status place(int64_t first_ns, uint64_t step_ns, size_t count);
  // Replaces the run ends by exact boundaries when the runs hold at most budget bytes in all.
  base::Status make_exact(uint64_t budget_bytes);

  const std::vector<Cumulative>& positions() const { return positions_; }
  bool exact() const { return inexact_ == 0; }
  uint64_t inexact_boundaries() const { return inexact_; }
  uint64_t scanned_bytes() const { return scanned_bytes_; }

 private:
  // The records between two consecutive index entries (or the last entry and the segment's
  // end) that bracket boundaries [first, last).
  struct Run {
    uint64_t seq = 0;
    uint32_t slot = 0;
    uint64_t begin = 0;  ///< file offset of the run's first record
    uint64_t end = 0;    ///< file offset after its last record
    Cumulative base;     ///< before the run's first record
    size_t first = 0;
    size_t last = 0;
  };
  class Entries;

  int64_t boundary(size_t k) const;
  base::Result<size_t> place_in_segment(const ring::SegmentInfo& s, size_t i, size_t count);
  base::Status exact_runs(size_t from, size_t to, std::vector<std::byte>& buffer);

  RingIndex& index_;
  RingSpan span_;
  int64_t first_ns_ = 0;
  uint64_t step_ns_ = 0;
  std::vector<Cumulative> positions_;
  std::vector<Run> runs_;
  uint64_t inexact_ = 0;
  uint64_t scanned_bytes_ = 0;
};

}  // namespace snapflow::extract
