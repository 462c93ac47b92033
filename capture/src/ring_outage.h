// RingOutage: capture keeps running, and counting, while the ring's filesystem is full.
//
// A full filesystem (ENOSPC or EDQUOT on a segment, index, checksum or metadata write, or on a
// new segment's preallocation: ErrorCode::kNoSpace) makes the ring writer's error sticky. Rather
// than stopping capture, the spooler's writer thread enters an outage episode:
//   - it logs once that the ring is full and what it is doing;
//   - every batch that arrives meanwhile is not appended but counted (packets_not_stored,
//     bytes_not_stored; once per batch, never per packet) and its buffer goes back at once, so
//     the capture threads never wait on the disk;
//   - once a second it reopens the writer (RingWriter::reopen: the ring recovers to its last
//     durable commit, as after a crash) and writes again; the episode ends, with one log line,
//     at the first commit that makes new records durable after that (so with no traffic it
//     stays open). A write that fails again meanwhile stays in the same episode (no log line
//     per retry).
// Records appended before the failure but lost with it (not durable, not recovered) are counted
// as not stored too: the writer's head when the failure was seen minus the recovered head. The
// writer is reopened right away for that (recovery only shrinks files), so the counters add up
// during the outage too.
// Other errors are not expected to heal (EIO, EROFS, a bug) and stay fatal, as before.
//
// Not thread-safe: the spooler's writer thread only.
#pragma once

#include <cstdint>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/capture/status.h"
#include "snapflow/pcap/record.h"
#include "snapflow/ring/writer.h"

namespace snapflow::capture {

class RingOutage {
 public:
  RingOutage(ring::RingWriter& writer, CaptureStatus& status, const base::Logger& log,
             int64_t retry_interval_ns);

  // True while writes are suspended (batches are counted, not appended).
  bool suspended() const { return suspended_; }
  // True from the failure until the first successful commit after it.
  bool in_episode() const { return in_episode_; }

  // The writer failed with `error` while appending a batch, `not_appended` packets (and wire
  // bytes) of which were not appended. For kNoSpace: counts them, suspends writing and returns
  // true. Otherwise returns false and changes nothing (the caller fails).
  bool begin(const base::Error& error, uint64_t not_appended_packets,
             uint64_t not_appended_wire_bytes, int64_t now_ns);
  // While suspended: a batch that is not stored.
  void discard(const pcap::PacketBatch& batch);
  // While suspended, at most once per retry interval: reopens the writer. Errors other than
  // kNoSpace are returned (fatal); kNoSpace keeps the outage going.
  base::Status retry(int64_t now_ns);
  // Records were appended (writing works as far as the page cache goes).
  void appended() { appended_since_reopen_ = true; }
  // A commit succeeded: ends the episode (one log line) if one was open and the commit made
  // records appended since the reopen durable (a commit of nothing proves nothing).
  void committed(int64_t now_ns);
  // At shutdown during an outage: counts what the failure lost, as far as known.
  void finish();

 private:
  void count_lost_since_failure();

  ring::RingWriter& writer_;
  CaptureStatus& status_;
  const base::Logger& log_;
  int64_t retry_interval_ns_;
  bool suspended_ = false;
  bool in_episode_ = false;
  bool appended_since_reopen_ = false;
  bool reopened_ = false;  ///< the writer was reopened since the last failure
  int64_t began_ns_ = 0;
  int64_t next_retry_ns_ = 0;
  ring::RingPosition head_at_failure_;  ///< writer head when the failure was seen
  uint64_t episode_packets_ = 0;        ///< not stored in this episode
  uint64_t episode_bytes_ = 0;
  std::string cause_;
};

}  // namespace snapflow::capture
