// The captures catalog: named captures as [start, stop) ranges of the one ring.
//
// A capture is started and stopped at ring positions (normally the writer's committed
// position at that moment) and times; its packet count, wire bytes and PCAP size are exact
// differences of the positions' cumulative counters. The catalog is one text file DIR/catalog
// replaced atomically (write temporary, fsync, rename, fsync dir) on every change.
//
// Thread-safety: not thread-safe; the capture API serialises access. Only one process (the
// capture daemon) should modify a ring's catalog; others may load() it to read.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

struct CaptureEntry {
  std::string name;
  int64_t start_ns = 0;
  int64_t stop_ns = 0;  ///< 0 while active
  RingPosition start;
  RingPosition stop;  ///< meaningful only when !active
  bool active = false;

  uint64_t packets() const { return stop.packets - start.packets; }
  uint64_t wire_bytes() const { return stop.wire_bytes - start.wire_bytes; }
  // Size of the capture served as one PCAP file: file header + records.
  uint64_t pcap_bytes() const {
    return kSegmentHeaderBytes + stop.record_bytes - start.record_bytes;
  }
  friend bool operator==(const CaptureEntry&, const CaptureEntry&) = default;
};

class CaptureCatalog {
 public:
  // Loads DIR/catalog (an absent file is an empty catalog).
  static base::Result<CaptureCatalog> open(const std::string& ring_dir);

  // Starts capture `name` at position `at` (time ts_ns). Fails if the name is invalid or
  // already used, or if another capture is active (one capture at a time, as fmadio).
  base::Status start(std::string_view name, const RingPosition& at, int64_t ts_ns);
  // Stops the active capture at `at`. kNotFound if none is active.
  base::Status stop(const RingPosition& at, int64_t ts_ns);
  base::Status remove(std::string_view name);

  // After recovery: positions beyond `head` are clamped to it and an active capture is
  // closed at head (its writer died). Returns how many entries changed; persists if any did.
  base::Result<size_t> clamp_to(const RingPosition& head, int64_t head_ts_ns);

  const std::vector<CaptureEntry>& list() const { return entries_; }
  const CaptureEntry* find(std::string_view name) const;
  const CaptureEntry* active() const;

 private:
  explicit CaptureCatalog(std::string ring_dir) : dir_(std::move(ring_dir)) {}
  base::Status persist() const;

  std::string dir_;
  std::vector<CaptureEntry> entries_;
};

std::string encode_catalog(const std::vector<CaptureEntry>& entries);
base::Result<std::vector<CaptureEntry>> decode_catalog(std::string_view text);

}  // namespace snapflow::ring
