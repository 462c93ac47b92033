// A ring's bandwidth over time from its time index: packets and wire bytes per step, for the
// web UI's chart (GET /ring/bandwidth) and snapflow-pcap bandwidth.
//
// The window [start, stop) is cut into points [t, t + step), t = start + k * step, where
// step = ceil((stop - start) / points) rounded up to a whole millisecond; the last point may
// reach past stop. A point's packets and bytes are differences of the ring's cumulative
// counters at its two boundaries, so the points of a window always sum exactly to the records
// between its first and last boundary, and over the whole ring to the ring's totals.
//
// Where a boundary falls is found from the segments' metadata and time index: the first
// record with ts >= t lies in the index run (the records between two consecutive entries)
// whose entries bracket t. A run of one record, or a boundary before a segment's first record
// or after its last, is exact as is. Otherwise the boundary is placed at the run's end -- the
// index's granularity: the run's records all have timestamps within index_interval_ns (1 ms by
// default) of the run's first one, so a record is at most that much early in the chart --
// and, when all such runs together hold at most exact_scan_bytes, each is read and the
// boundary made exact (BandwidthSeries::exact says which happened). Slow links (small runs)
// and narrow windows are exact; a full busy ring at 10^5 points is at index granularity.
//
// Cost: the segments' metadata, plus per boundary a search in its segment's index read in
// aligned chunks (interpolated, then galloping: about one chunk per boundary when boundaries
// are sparse, each chunk once when they are dense), plus the exact scans. Never the records
// themselves beyond exact_scan_bytes. docs/performance.md has the figures.
//
// Timestamps are assumed non-decreasing, as everywhere in retrieval (ring/window.h). Data the
// capture overwrites while the series is computed may still be counted (it was there when its
// segment was read); a segment reused before it was read counts as empty.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/extract/ring_index.h"

namespace snapflow::extract {

inline constexpr uint32_t kDefaultBandwidthPoints = 1000;
inline constexpr uint32_t kMaxBandwidthPoints = 100'000;
// Exact boundaries cost a read of their index runs; up to this many bytes in all (a few ms from
// the page cache, tens of ms from a disk), otherwise the series stays at index granularity.
inline constexpr uint64_t kDefaultExactScanBytes = uint64_t{8} << 20;
inline constexpr int64_t kBandwidthStepUnitNs = 1'000'000;  ///< steps are whole milliseconds

struct BandwidthRequest {
  std::string stream;                              ///< named capture; empty = the whole ring
  std::optional<int64_t> start_ns = std::nullopt;  ///< default: the oldest record, to the ms
  std::optional<int64_t> stop_ns = std::nullopt;   ///< default: just after the newest record
  uint32_t points = kDefaultBandwidthPoints;       ///< at most this many points
  uint64_t exact_scan_bytes = kDefaultExactScanBytes;
};

// The text parameters (URL Start= Stop= Points= StreamName=, or the CLI's flags); absent =
// nullopt. Errors (kInvalidArgument) name the parameter: "Points: ...", "Stop must be after
// Start". max_points bounds Points (a server's limit).
struct BandwidthText {
  std::optional<std::string_view> start = std::nullopt;
  std::optional<std::string_view> stop = std::nullopt;
  std::optional<std::string_view> points = std::nullopt;
  std::optional<std::string_view> stream = std::nullopt;
};
base::Result<BandwidthRequest> make_bandwidth_request(const BandwidthText& text,
                                                      uint32_t max_points = kMaxBandwidthPoints);

struct BandwidthPoint {
  int64_t t_ns = 0;  ///< the point covers [t_ns, t_ns + step)
  uint64_t packets = 0;
  uint64_t wire_bytes = 0;
};

struct BandwidthSeries {
  std::string stream;
  int64_t start_ns = 0;
  int64_t stop_ns = 0;
  int64_t step_ns = 0;
  int64_t oldest_ns = 0;  ///< first record of the ring (or capture); 0 when it holds none
  int64_t newest_ns = 0;  ///< last record
  std::vector<BandwidthPoint> points;
  bool exact = true;                ///< every boundary exact (else some at index granularity)
  uint64_t inexact_boundaries = 0;  ///< boundaries left at index granularity
  uint64_t scanned_bytes = 0;       ///< record bytes read to make boundaries exact
};

// kInvalidArgument: Stop <= Start, Points outside 1..kMaxBandwidthPoints; kNotFound: no such
// capture; kFormat: corrupt committed data. Blocks on reads of metadata, index and runs.
base::Result<BandwidthSeries> compute_bandwidth(RingIndex& index, const BandwidthRequest& request);

// {"start_ns":..,"stop_ns":..,"step_ns":..,"oldest_ns":..,"newest_ns":..,
//  "points":[[t_ns,packets,bytes],...]} and a newline.
std::string render_bandwidth_json(const BandwidthSeries& series);
// "t_ns,packets,bytes" lines.
std::string render_bandwidth_csv(const BandwidthSeries& series);

}  // namespace snapflow::extract
