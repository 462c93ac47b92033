// RING/capture.stats: what the capture daemon counted, over the ring's whole life, so that a
// consumer can account for every packet from the wire to the index (issue 13, item 6;
// docs/formats.md, "Accounting documents").
//
// The daemon replaces the file (write, fsync, rename) about once a second and when it stops;
// on start it adds its own counters to the last file's, so the totals survive restarts. A
// consumer reads it whenever it samples. Counters only grow, except pending (a gauge).
//
// Identity, at every sample: seen = dropped + spooled + pending.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::ring {

struct CaptureTotals {
  uint64_t seen_packets = 0;     ///< arrived at the capture point (handed over + dropped there)
  uint64_t dropped_packets = 0;  ///< lost before the ring: kernel/NIC drops, no free batch,
                                 ///< not stored because the ring's filesystem was full
  uint64_t spooled_packets = 0;  ///< committed to the ring
  uint64_t spooled_bytes = 0;    ///< their wire bytes
  uint64_t pending_packets = 0;  ///< handed over, not yet in the ring (a gauge)
  int64_t updated_ns = 0;        ///< wall clock of the sample (ns since the epoch)

  friend bool operator==(const CaptureTotals&, const CaptureTotals&) = default;
};

std::string encode_capture_totals(const CaptureTotals& totals);
base::Result<CaptureTotals> decode_capture_totals(std::string_view text);

// Durable when it returns ok.
base::Status save_capture_totals(const std::string& ring_dir, const CaptureTotals& totals);
// nullopt when the ring has no such file (no daemon wrote to it since the feature existed).
base::Result<std::optional<CaptureTotals>> load_capture_totals(const std::string& ring_dir);

}  // namespace snapflow::ring
