#include "ring_outage.h"

#include <cstdio>

namespace snapflow::capture {

RingOutage::RingOutage(ring::RingWriter& writer, CaptureStatus& status, const base::Logger& log,
                       int64_t retry_interval_ns)
    : writer_(writer), status_(status), log_(log), retry_interval_ns_(retry_interval_ns) {}

bool RingOutage::begin(const base::Error& error, uint64_t not_appended_packets,
                       uint64_t not_appended_wire_bytes, int64_t now_ns) {
  if (error.code() != base::ErrorCode::kNoSpace) return false;
  constexpr auto r = std::memory_order_relaxed;
  status_.packets_not_stored.fetch_add(not_appended_packets, r);
  status_.bytes_not_stored.fetch_add(not_appended_wire_bytes, r);
  episode_packets_ += not_appended_packets;
  episode_bytes_ += not_appended_wire_bytes;
  // Where the appended records end; those after the last durable commit may be lost with it.
  const ring::RingPosition head = writer_.head_position();
  if (head.packets > head_at_failure_.packets || !in_episode_) head_at_failure_ = head;
  suspended_ = true;
  next_retry_ns_ = now_ns + retry_interval_ns_;
  // Reopen at once (recovery usually needs no new space) so that what the failure lost is
  // known and counted now, not only when space returns.
  reopened_ = writer_.reopen().ok();
  if (reopened_) count_lost_since_failure();
  if (!in_episode_) {
    in_episode_ = true;
    began_ns_ = now_ns;
    cause_ = error.to_string();
    status_.ring_outages.fetch_add(1, r);
    status_.ring_writable.store(false, r);
    log_.warning("ring full: " + cause_ +
                 "; not storing packets (counted as packets_not_stored) until it can be "
                 "written again, retrying every second");
  }
  return true;
}

void RingOutage::discard(const pcap::PacketBatch& batch) {
  uint64_t wire = 0;
  for (const auto& rec : batch.records) wire += rec.wire_length;
  constexpr auto r = std::memory_order_relaxed;
  status_.packets_not_stored.fetch_add(batch.records.size(), r);
  status_.bytes_not_stored.fetch_add(wire, r);
  episode_packets_ += batch.records.size();
  episode_bytes_ += wire;
}

void RingOutage::count_lost_since_failure() {
  // Appended before the failure, neither durable nor found complete by recovery.
  const ring::RingPosition now = writer_.head_position();
  if (head_at_failure_.packets > now.packets) {
    const uint64_t packets = head_at_failure_.packets - now.packets;
    const uint64_t bytes = head_at_failure_.wire_bytes - now.wire_bytes;
    constexpr auto r = std::memory_order_relaxed;
    status_.packets_not_stored.fetch_add(packets, r);
    status_.bytes_not_stored.fetch_add(bytes, r);
    episode_packets_ += packets;
    episode_bytes_ += bytes;
  }
  head_at_failure_ = now;
}

base::Status RingOutage::retry(int64_t now_ns) {
  if (!suspended_ || now_ns < next_retry_ns_) return base::ok_status();
  next_retry_ns_ = now_ns + retry_interval_ns_;
  if (!reopened_) {
    auto st = writer_.reopen();
    if (!st.ok()) {
      if (st.error().code() == base::ErrorCode::kNoSpace) return base::ok_status();
      return std::move(st).error().context("reopen ring after it was full");
    }
    count_lost_since_failure();
  }
  reopened_ = false;
  suspended_ = false;  // write again; the episode ends at the next successful commit
  appended_since_reopen_ = false;
  return base::ok_status();
}

void RingOutage::committed(int64_t now_ns) {
  if (!in_episode_ || suspended_ || !appended_since_reopen_) return;
  in_episode_ = false;
  status_.ring_writable.store(true, std::memory_order_relaxed);
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.1f", static_cast<double>(now_ns - began_ns_) / 1e9);
  log_.info("ring writable again after " + std::string(seconds) +
            " s: " + std::to_string(episode_packets_) + " packets (" +
            std::to_string(episode_bytes_) + " bytes) not stored while it was full");
  episode_packets_ = 0;
  episode_bytes_ = 0;
}

void RingOutage::finish() {
  if (!in_episode_) return;
  if (suspended_) {
    // Lost for good unless the next start's recovery finds them complete on disk.
    const ring::RingPosition durable = writer_.committed_position();
    if (head_at_failure_.packets > durable.packets) {
      constexpr auto r = std::memory_order_relaxed;
      status_.packets_not_stored.fetch_add(head_at_failure_.packets - durable.packets, r);
      status_.bytes_not_stored.fetch_add(head_at_failure_.wire_bytes - durable.wire_bytes, r);
      episode_packets_ += head_at_failure_.packets - durable.packets;
    }
  }
  log_.warning("stopping while the ring is full: " + std::to_string(episode_packets_) +
               " packets not stored in this episode (" + cause_ + ")");
}

}  // namespace snapflow::capture
