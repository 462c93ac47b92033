// Live counters of the capture daemon, and their two renderings for GET /sysmaster/status.
//
// Writers: capture threads and the ring writer thread update the atomics once per batch (never
// per packet); the spooler's timer folds source counters and computes rates once a second.
// Readers: API threads take a StatusSnapshot at any time. Every atomic is a monotonic counter or
// a gauge read on its own, so relaxed ordering is enough: no reader infers anything about other
// memory from a counter value. capture_name is the only non-atomic field; a mutex guards it
// (control path only).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace snapflow::capture {

// How far one ring consumer (a cursor: pcap2json --consumer NAME) is behind the ring's end.
struct ConsumerLag {
  std::string name;
  uint64_t packets = 0;  ///< committed records it has not passed
  uint64_t bytes = 0;    ///< their wire bytes
  int64_t seconds = 0;   ///< newest record's time minus the time at its cursor
};

// A counter a capture mode adds to the status (forward_*, mirror_*: the cloud modes).
struct StatusField {
  std::string key;  ///< [a-z0-9_]: safe in a text line and a JSON key
  uint64_t value = 0;
};

struct StatusSnapshot {
  int64_t uptime_s = 0;
  uint64_t packets_received = 0;    ///< seen by the sources (kernel/NIC counters)
  uint64_t packets_dropped = 0;     ///< lost before the ring: kernel/NIC drops + no free batch
  uint64_t packets_errors = 0;      ///< frames received in error (NIC)
  uint64_t packets_captured = 0;    ///< committed (durable) into the ring
  uint64_t bytes_captured = 0;      ///< wire bytes committed into the ring
  uint64_t packets_not_stored = 0;  ///< received but not stored: the ring's filesystem was full
  uint64_t bytes_not_stored = 0;    ///< their wire bytes
  uint64_t ring_outages = 0;        ///< episodes of a full ring filesystem
  bool ring_writable = true;        ///< false during such an episode
  uint64_t bytes_pending = 0;       ///< captured bytes queued for the ring writer
  uint64_t bytes_disk = 0;          ///< bytes the ring currently holds on disk
  uint64_t ring_bytes = 0;          ///< the ring's capacity (segments x segment size)
  bool capture_link = false;
  uint64_t capture_link_speed_mbps = 0;
  uint64_t capture_bps = 0;  ///< bits/s into the ring over the last second
  uint64_t capture_pps = 0;  ///< packets/s into the ring over the last second
  std::string capture_name;
  bool capture_active = false;
  std::vector<ConsumerLag> consumers;    ///< by name; refreshed once a second
  std::vector<StatusField> mode_fields;  ///< after the fixed keys, in the mode's order
};

class CaptureStatus {
 public:
  explicit CaptureStatus(int64_t start_monotonic_ns) : start_ns_(start_monotonic_ns) {}

  // Source counters are totals (not deltas): the timer stores the sum over all sources.
  std::atomic<uint64_t> packets_received{0};
  std::atomic<uint64_t> packets_dropped_source{0};
  std::atomic<uint64_t> packets_dropped_queue{0};  ///< capture thread had no free batch
  std::atomic<uint64_t> packets_errors{0};
  std::atomic<uint64_t> packets_captured{0};
  std::atomic<uint64_t> bytes_captured{0};
  std::atomic<uint64_t> bytes_pending{0};
  std::atomic<uint64_t> bytes_disk{0};
  std::atomic<uint64_t> ring_bytes{0};
  std::atomic<uint64_t> packets_not_stored{0};
  std::atomic<uint64_t> bytes_not_stored{0};
  std::atomic<uint64_t> ring_outages{0};
  std::atomic<bool> ring_writable{true};
  std::atomic<bool> link_up{false};
  std::atomic<uint64_t> link_speed_mbps{0};
  std::atomic<uint64_t> bps{0};
  std::atomic<uint64_t> pps{0};

  void set_capture(std::string name, bool active);
  void set_consumers(std::vector<ConsumerLag> consumers);
  // Where StatusSnapshot::mode_fields come from (the cloud capture modes' counters); called by
  // every snapshot(), from API threads, so it must be thread-safe. Unset: no mode fields.
  using ModeFields = std::function<std::vector<StatusField>()>;
  void set_mode_fields(ModeFields source);
  StatusSnapshot snapshot(int64_t now_monotonic_ns) const;

 private:
  int64_t start_ns_;
  mutable std::mutex name_mutex_;
  std::string capture_name_;
  bool capture_active_ = false;
  std::vector<ConsumerLag> consumers_;
  ModeFields mode_fields_;
};

// "uptime, 12\npackets_received, 100\n..." in the fmadio order, then the mode fields, then
// the consumers' lag.
std::string format_status_text(const StatusSnapshot& s);
// {"uptime":12,"packets_received":100,...,"capture_name":"x","capture_active":true}
std::string format_status_json(const StatusSnapshot& s);

// Turns counter samples into per-second rates (used by the spooler timer). Not thread-safe.
class RateMeter {
 public:
  // Returns {bits/s, packets/s} since the previous sample (0,0 on the first).
  std::pair<uint64_t, uint64_t> sample(int64_t now_ns, uint64_t bytes, uint64_t packets);

 private:
  int64_t last_ns_ = 0;
  uint64_t last_bytes_ = 0;
  uint64_t last_packets_ = 0;
};

}  // namespace snapflow::capture
