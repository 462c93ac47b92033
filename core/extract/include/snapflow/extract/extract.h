// PCAP retrieval from the ring: a time window (and optionally a named capture and a filter)
// streamed as a nanosecond PCAP or a PCAPNG, pulled chunk by chunk.
//
// Two steps, so that a caller can answer before streaming (an HTTP handler: 400, 404, 416):
//   plan_extract()   validates the request, compiles the filter, and finds the window's first
//                    and last record boundaries with RingIndex (O(log) reads and two bounded
//                    scans: the first byte does not depend on how much data lies before the
//                    window). The plan carries the exact unfiltered totals -- packets and the
//                    PCAP size, header included -- and says whether the window lies outside
//                    the ring (or capture), with the times that are available.
//   Extractor        next_chunk(buffer) fills the caller's buffer with the next bytes of the
//                    file: the header, then whole records in ring order. Unfiltered PCAP is
//                    read straight into the caller's buffer (one pread per chunk, no copy);
//                    PCAPNG and filtered output go through an internal 1 MiB read buffer.
//
// Window semantics: the records between the first with ts >= Start and the first with
// ts >= Stop, in ring order -- exactly the records with Start <= ts < Stop when timestamps are
// non-decreasing, as the capture writes them (ring/window.h). With StreamName the window is
// also clipped to that capture's [start, stop) positions; without Start/Stop it is the whole
// capture (or ring).
//
// Overwrites: a record is only ever emitted after the bytes were read and the segment's
// metadata still named the same generation afterwards, so an emitted record is never torn or
// from a newer lap. Records the writer overwrote before they could be read are skipped and
// counted (ExtractStats::lost_*); the stream continues at the oldest surviving record.
//
// An Extractor is not thread-safe; it blocks on disk reads only (each call reads at most about
// the buffer's size). Any number may run at once, in any process, alongside the writer.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/extract/ring_index.h"
#include "snapflow/filter/filter.h"

namespace snapflow::extract {

enum class OutputFormat : uint8_t {
  kPcap,    ///< classic PCAP, nanosecond magic (0xa1b23c4d), the ring's link type and snaplen
  kPcapng,  ///< PCAPNG: SHB, one IDB (if_tsresol = 9), one EPB per record
};

base::Result<OutputFormat> parse_output_format(std::string_view name);  ///< "pcap" | "pcapng"

struct ExtractRequest {
  std::optional<int64_t> start_ns;  ///< absent: from the start of the capture / ring
  std::optional<int64_t> stop_ns;   ///< absent: to its end
  std::string stream;               ///< named capture; empty = the whole ring
  std::string filter;               ///< fmadio Filter= text; empty = none
  std::string bpf;                  ///< tcpdump FilterBPF= text; empty = none
  OutputFormat format = OutputFormat::kPcap;
};

struct ExtractLimits {
  filter::FilterLimits filter;
  int64_t max_window_ns = 0;  ///< longest Stop - Start accepted; 0 = no limit
};

// The request's text parameters as they arrive in a URL or on a command line (absent =
// nullopt); times go through filter::parse_time_ns(). Errors (kInvalidArgument) name the
// parameter: "Start: invalid time 'x': ...", "Stop must be after Start".
struct RequestText {
  std::optional<std::string_view> start = std::nullopt;
  std::optional<std::string_view> stop = std::nullopt;
  std::optional<std::string_view> stream = std::nullopt;
  std::optional<std::string_view> filter = std::nullopt;
  std::optional<std::string_view> bpf = std::nullopt;
  std::optional<std::string_view> format = std::nullopt;
};
base::Result<ExtractRequest> make_request(const RequestText& text, const ExtractLimits& limits);

// Where a window falls and what it holds (unfiltered).
struct ExtractPlan {
  ExtractRequest request;
  ring::RingPosition start;  ///< first record of the window
  ring::RingPosition stop;   ///< first record after it (or the end)
  uint64_t packets = 0;      ///< records in [start, stop)
  uint64_t pcap_bytes = 0;   ///< size of that PCAP: 24 + Σ (16 + captured)
  // The window misses every record of the ring or capture: nothing to serve (HTTP 416).
  // available_* are then the first and last times that could be served (0, 0 when none).
  bool outside = false;
  int64_t available_first_ns = 0;
  int64_t available_last_ns = 0;
  std::shared_ptr<const filter::PacketFilter> filter;  ///< compiled; keeps everything if empty

  // "window [A, B) is outside the ring's data (oldest A', newest B')": for outside plans.
  std::string outside_message() const;
};

// kInvalidArgument: bad filter, Stop <= Start, window too long. kNotFound: no such capture.
// kUnavailable: the writer overwrote the lookup's segments repeatedly.
base::Result<ExtractPlan> plan_extract(RingIndex& index, const ExtractRequest& request,
                                       const ExtractLimits& limits = {});

struct ExtractStats {
  uint64_t packets = 0;          ///< records written to the output
  uint64_t bytes = 0;            ///< bytes handed out (header included)
  uint64_t scanned_packets = 0;  ///< records read from the ring (passed the filter or not)
  uint64_t scanned_record_bytes = 0;
  uint64_t lost_packets = 0;  ///< overwritten before they could be read
  uint64_t lost_record_bytes = 0;
  uint64_t gaps = 0;  ///< times the stream jumped over overwritten data
};

struct ExtractorOptions {
  size_t read_buffer_bytes = size_t{1} << 20;  ///< transform path (PCAPNG / filters)
};

class Extractor {
 public:
  // The plan must not be outside (kInvalidArgument otherwise). Takes the index (its cached
  // descriptors are reused).
  static base::Result<std::unique_ptr<Extractor>> start(std::unique_ptr<RingIndex> index,
                                                        ExtractPlan plan,
                                                        const ExtractorOptions& options = {});
  ~Extractor();

  // Writes the next bytes of the file into out (any size >= 1) and returns how many; 0 means
  // the file is complete. Errors are I/O failures and corrupt committed data (kFormat); the
  // caller must then drop the output (its last record may be incomplete).
  base::Result<size_t> next_chunk(std::span<std::byte> out);

  // The same stream in whole units, for servers that send pieces (capture's StreamingBody):
  // appends to out the next bytes up to about target_bytes, ending on a unit boundary (the
  // file header, whole records; one record may overshoot). Returns false when this piece ends
  // the file (it may then be empty). max_scan_bytes bounds the record bytes read from the ring
  // by one call: a narrow filter over a long window then returns (possibly an empty piece,
  // with true) after about that much, so a server can hand out what it has, notice a
  // cancellation, and keep the first byte's latency low.
  base::Result<bool> next_piece(std::vector<std::byte>& out, size_t target_bytes,
                                uint64_t max_scan_bytes = UINT64_MAX);

  bool done() const;
  const ExtractStats& stats() const { return stats_; }
  const ExtractPlan& plan() const { return plan_; }
  const RingIndex& index() const { return *index_; }

  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

 private:
  Extractor(std::unique_ptr<RingIndex> index, ExtractPlan plan, const ExtractorOptions& options);
  base::Status fill(std::span<std::byte> out, size_t& used, uint64_t max_scan_bytes);
  base::Result<bool> current_segment(ring::SegmentInfo& info);
  base::Status skip_overwritten();
  base::Status read_raw(const ring::SegmentInfo& s, std::span<std::byte> out, size_t& used);
  base::Status refill_batch(const ring::SegmentInfo& s);
  base::Status encode_batch(std::span<std::byte> out, size_t& used);
  base::Status read_one_record(const ring::SegmentInfo& s);
  void drain_carry(std::span<std::byte> out, size_t& used);
  uint64_t segment_limit(const ring::SegmentInfo& s) const;
  void read_ahead(int fd, const ring::SegmentInfo& s);

  std::unique_ptr<RingIndex> index_;
  ExtractPlan plan_;
  ExtractorOptions options_;
  ExtractStats stats_;
  bool raw_ = true;  ///< PCAP without filter: read straight into the caller's buffer
  ring::RingPosition pos_;
  std::vector<std::byte> batch_;  ///< transform path: verified record bytes read from pos_
  size_t batch_len_ = 0;
  size_t batch_off_ = 0;          ///< next unprocessed record in batch_
  std::vector<std::byte> carry_;  ///< encoded bytes that did not fit in the caller's buffer
  size_t carry_off_ = 0;
  uint64_t ahead_seq_ = 0;      ///< segment of the read-ahead below
  uint64_t ahead_until_ = 0;    ///< bytes [.., ahead_until_) were asked for (WILLNEED)
  uint64_t dropped_until_ = 0;  ///< bytes below this were dropped from the page cache
};

}  // namespace snapflow::extract
