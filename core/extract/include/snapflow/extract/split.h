// Split views: a capture (or the whole ring, or a window of either) cut into consecutive
// pieces by wall-clock interval or by size, listed from the index alone with the exact size and
// packet count of each piece's download, and the /pcap/splittime URL that serves it.
//
//   split_1sec ... split_1hour   pieces are [k*I, (k+1)*I) in UTC, aligned to multiples of the
//                                interval since the epoch; empty intervals are not listed.
//   split_1MB ... split_1TB      pieces of whole records, each PCAP at most N bytes (N = 10^6,
//                                10^7, ... 10^12, header included) -- except that a piece
//                                never ends between two records with the same timestamp (its
//                                URL is a time window), so one can exceed N only when more than
//                                N bytes share one timestamp.
// Each row's size is what its URL serves today (24 + the records, unfiltered PCAP); records
// the ring overwrites later make the download smaller, never different.
//
// Cost: one index lookup (O(log) reads plus one bounded scan) per row boundary, and time
// views skip empty intervals in one step, so a view costs O(rows), not O(ring).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/extract/extract.h"
#include "snapflow/extract/ring_index.h"

namespace snapflow::extract {

struct SplitMode {
  std::string_view name;    ///< "split_1sec"
  int64_t interval_ns = 0;  ///< time views
  uint64_t max_bytes = 0;   ///< size views
};

std::span<const SplitMode> split_modes();  ///< all thirteen, time views first
base::Result<SplitMode> parse_split_mode(std::string_view name);

inline constexpr size_t kDefaultMaxSplitRows = 100'000;

struct SplitRequest {
  std::string stream;  ///< named capture; empty = the whole ring
  SplitMode mode;
  std::optional<int64_t> start_ns = std::nullopt;  ///< optional window within the capture / ring
  std::optional<int64_t> stop_ns = std::nullopt;
  size_t max_rows = kDefaultMaxSplitRows;
};

struct SplitRow {
  std::string
      name;  ///< STREAM_20261123_000001 (time) or STREAM_000042 (size); ring_... without a stream
  int64_t start_ns = 0;  ///< the URL's Start
  int64_t stop_ns = 0;   ///< the URL's Stop
  uint64_t packets = 0;
  uint64_t pcap_bytes = 0;  ///< 24 + Σ (16 + captured): the download's size
  std::string url;          ///< /pcap/splittime?[StreamName=X&]Start=NS&Stop=NS
  ring::RingPosition start;
  ring::RingPosition stop;
};

struct SplitTable {
  std::string stream;
  SplitMode mode;
  std::vector<SplitRow> rows;
  uint64_t packets = 0;  ///< over all rows (= the capture's / window's packets)
};

// kNotFound for an unknown capture; kInvalidArgument for a bad window or more than max_rows.
base::Result<SplitTable> compute_splits(RingIndex& index, const SplitRequest& request);

struct ViewRow {
  std::string_view mode;  ///< "split_1sec"
  std::string link;       ///< /plain/split?[StreamName=X&]StreamView=split_1sec
};
std::vector<ViewRow> view_rows(std::string_view stream);

// The /pcap/splittime link of a window ([start, stop), optional capture).
std::string splittime_url(std::string_view stream, int64_t start_ns, int64_t stop_ns);

}  // namespace snapflow::extract
