#include "snapflow/capture/spooler.h"

#include <algorithm>
#include <chrono>

#include "ring_outage.h"
#include "snapflow/base/time.h"
#include "snapflow/queue/backoff.h"
#include "snapflow/ring/cursor.h"

namespace snapflow::capture {

// The outage state lives in its own file (ring_outage.h); a subclass only to keep it out of
// the public header.
class Spooler::Outage : public RingOutage {
  using RingOutage::RingOutage;
};

struct Spooler::SourceLane {
  SourceLane(std::unique_ptr<PacketSource> s, uint32_t batches)
      : source(std::move(s)), filled(batches), free(batches), pool(batches) {}
  std::unique_ptr<PacketSource> source;
  queue::SpscRing<pcap::PacketBatch*> filled;  ///< capture thread -> writer thread
  queue::SpscRing<pcap::PacketBatch*> free;    ///< writer thread -> capture thread
  std::vector<pcap::PacketBatch> pool;
  pcap::PacketBatch* held = nullptr;  ///< writer thread: popped, not yet appended
};

Spooler::Spooler(std::vector<std::unique_ptr<PacketSource>> sources, ring::RingWriter& writer,
                 CaptureStatus& status, SpoolerOptions options, const base::Logger& log)
    : writer_(writer),
      status_(status),
      options_(options),
      log_(log),
      captured_base_(writer.committed_position()),
      outage_(std::make_unique<Outage>(writer, status, log, base::kNsPerSec)) {
  for (auto& source : sources) {
    auto lane = std::make_unique<SourceLane>(std::move(source), options_.batches_per_source);
    for (auto& batch : lane->pool) {
      prepare_batch(batch, options_.batch_storage_bytes, options_.batch_max_packets);
      pcap::PacketBatch* p = &batch;
      lane->free.try_push(p);  // capacity == pool size: cannot fail
    }
    lanes_.push_back(std::move(lane));
  }
  // Counts survive restarts of the daemon: this run adds to what the ring's file says.
  auto earlier = ring::load_capture_totals(writer_.layout().dir);
  if (earlier.ok() && earlier->has_value()) {
    totals_base_ = **earlier;
    totals_base_.pending_packets = 0;  // a gauge; whatever was pending then is gone or spooled
  } else if (!earlier.ok()) {
    log_.warning("capture totals start from zero: " + earlier.error().to_string());
  }
}

void Spooler::publish_consumer_lag(const std::vector<ring::SegmentInfo>& segments) {
  if (segments.empty()) return;
  auto cursors = ring::CursorStore(writer_.layout().dir).list();
  if (!cursors.ok()) return;  // a cursor being replaced; next second
  const ring::RingPosition newest = segments.back().end();
  std::vector<ConsumerLag> lags;
  for (const auto& [name, cursor] : *cursors) {
    ConsumerLag lag;
    lag.name = name;
    if (newest.packets > cursor.position.packets) {
      lag.packets = newest.packets - cursor.position.packets;
      lag.bytes = newest.wire_bytes - cursor.position.wire_bytes;
      lag.seconds = cursor.last_ts_ns > 0
                        ? std::max<int64_t>(0, segments.back().last_ts_ns - cursor.last_ts_ns) /
                              base::kNsPerSec
                        : 0;
    }
    lags.push_back(std::move(lag));
  }
  status_.set_consumers(std::move(lags));
}

void Spooler::save_capture_totals(const SourceStats& sources) {
  constexpr auto r = std::memory_order_relaxed;
  const uint64_t spooled = status_.packets_captured.load(r);
  // Received but not stored because the ring's filesystem was full (ring_outage.h): lost
  // before the ring, like the kernel's drops.
  const uint64_t not_stored = status_.packets_not_stored.load(r);
  ring::CaptureTotals t = totals_base_;
  t.seen_packets += sources.packets_received + sources.packets_dropped;
  t.dropped_packets += sources.packets_dropped + not_stored;
  t.spooled_packets += spooled;
  t.spooled_bytes += status_.bytes_captured.load(r);
  // Handed over by the sources but not yet in the ring (counted by the source before the batch
  // reaches the ring writer; packets_captured counts them once their commit is durable).
  const uint64_t accounted = spooled + not_stored;
  t.pending_packets =
      sources.packets_received > accounted ? sources.packets_received - accounted : 0;
  t.updated_ns = base::now_realtime_ns();
  if (auto saved = ring::save_capture_totals(writer_.layout().dir, t); !saved.ok()) {
    if (!totals_warned_) log_.warning("capture totals not saved: " + saved.error().to_string());
    totals_warned_ = true;
  }
}

Spooler::~Spooler() {
  if (running_) {
    auto st = stop();
    if (!st.ok()) log_.error("spooler: " + st.error().to_string());
  }
}

void Spooler::start() {
  running_ = true;
  writer_running_.store(true, std::memory_order_release);
  capture_threads_running_.store(static_cast<uint32_t>(lanes_.size()), std::memory_order_relaxed);
  for (auto& lane : lanes_) {
    capture_threads_.emplace_back([this, l = lane.get()] { capture_loop(*l); });
  }
  writer_thread_ = std::thread([this] { writer_loop(); });
}

base::Status Spooler::stop() {
  if (!running_) return {};
  running_ = false;
  stopping_.store(true, std::memory_order_release);
  for (auto& lane : lanes_) lane->source->request_stop();
  for (auto& t : capture_threads_) t.join();
  capture_threads_.clear();
  writer_thread_.join();
  auto err = error();
  if (err) return *err;
  return {};
}

void Spooler::fail(base::Error error) {
  std::lock_guard lock(error_mutex_);
  if (!first_error_) {
    log_.error(error.to_string());
    first_error_ = std::move(error);
    failed_.store(true, std::memory_order_release);
  }
}

std::optional<base::Error> Spooler::error() const {
  std::lock_guard lock(error_mutex_);
  return first_error_;
}

uint64_t Spooler::request_commit() {
  // acq_rel: the ticket orders after everything this thread did; the writer acquire-reads it.
  return commit_requests_.fetch_add(1, std::memory_order_acq_rel) + 1;
}

bool Spooler::wait_for_commit(uint64_t ticket, int64_t timeout_ns) const {
  const int64_t deadline = base::now_monotonic_ns() + timeout_ns;
  while (commits_served_.load(std::memory_order_acquire) < ticket) {
    if (!is_running()) return true;
    if (base::now_monotonic_ns() >= deadline || has_failed()) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

void Spooler::capture_loop(SourceLane& lane) {
  queue::Backoff backoff;
  pcap::PacketBatch* batch = nullptr;
  while (!stopping_.load(std::memory_order_acquire)) {
    if (!batch && !lane.free.try_pop(batch)) {
      // Every batch is with the writer: let the kernel/NIC buffer absorb the burst.
      backoff.idle();
      continue;
    }
    backoff.reset();
    const int64_t deadline = base::now_monotonic_ns() + options_.flush_interval_ns;
    auto n = lane.source->next_batch(*batch, deadline);
    if (!n) {
      fail(std::move(n).error().context("capture thread " + lane.source->name()));
      break;
    }
    if (*n == 0) continue;
    uint64_t bytes = 0;
    for (const auto& r : batch->records) bytes += r.captured_length;
    status_.bytes_pending.fetch_add(bytes, std::memory_order_relaxed);
    lane.filled.try_push(batch);  // total batches == capacity: cannot fail
    batch = nullptr;
  }
  // A source may still hold packets it accepted before the stop (the forwarder's queued
  // capture copies): take them until it has none, so nothing it counted is lost.
  while (!has_failed()) {
    if (!batch && !lane.free.try_pop(batch)) {
      backoff.idle();
      continue;
    }
    auto n = lane.source->next_batch(*batch, base::now_monotonic_ns());
    if (!n) {
      fail(std::move(n).error().context("capture thread " + lane.source->name()));
      break;
    }
    if (*n == 0) break;
    uint64_t bytes = 0;
    for (const auto& r : batch->records) bytes += r.captured_length;
    status_.bytes_pending.fetch_add(bytes, std::memory_order_relaxed);
    lane.filled.try_push(batch);  // total batches == capacity: cannot fail
    batch = nullptr;
  }
  if (batch) lane.free.try_push(batch);
  // release: every push above happens-before the writer seeing the count drop.
  capture_threads_running_.fetch_sub(1, std::memory_order_release);
}

bool Spooler::drain_once() {
  // Merge: among the lanes with a waiting batch, append the one that starts earliest.
  SourceLane* best = nullptr;
  for (auto& lane : lanes_) {
    if (!lane->held) lane->filled.try_pop(lane->held);
    if (lane->held &&
        (!best || lane->held->records.front().ts_ns < best->held->records.front().ts_ns)) {
      best = lane.get();
    }
  }
  if (!best) return false;
  pcap::PacketBatch* batch = best->held;
  best->held = nullptr;
  uint64_t captured = 0;
  for (const auto& r : batch->records) captured += r.captured_length;
  bool ok = true;
  if (outage_->suspended()) {
    outage_->discard(*batch);  // the ring is full: counted, not stored
  } else {
    const uint64_t head_before = writer_.head_position().packets;
    auto st = writer_.append_batch(batch->records);
    if (st.ok()) outage_->appended();
    if (!st.ok()) {
      // The records not appended are counted by the outage, or the failure is fatal.
      const auto appended = static_cast<size_t>(writer_.head_position().packets - head_before);
      uint64_t rest_wire = 0;
      for (size_t i = appended; i < batch->records.size(); ++i) {
        rest_wire += batch->records[i].wire_length;
      }
      if (!outage_->begin(st.error(), batch->records.size() - appended, rest_wire,
                          base::now_monotonic_ns())) {
        fail(std::move(st).error().context("ring writer"));
        ok = false;
      }
    }
  }
  status_.bytes_pending.fetch_sub(captured, std::memory_order_relaxed);
  best->free.try_push(batch);
  return ok;
}

void Spooler::update_captured() {
  const ring::RingPosition committed = writer_.committed_position();
  constexpr auto r = std::memory_order_relaxed;
  // Monotonic: a recovery that lost committed data (a disk that lied) never lowers them.
  if (committed.packets > captured_base_.packets + status_.packets_captured.load(r)) {
    status_.packets_captured.store(committed.packets - captured_base_.packets, r);
    status_.bytes_captured.store(committed.wire_bytes - captured_base_.wire_bytes, r);
  }
}

bool Spooler::commit(bool wait, int64_t now_ns) {
  if (outage_->suspended()) return true;  // nothing can be made durable now
  auto st = wait ? writer_.commit() : writer_.commit_async();
  if (!st.ok()) {
    if (outage_->begin(st.error(), 0, 0, now_ns)) return true;
    fail(std::move(st).error().context("ring commit"));
    return false;
  }
  if (wait) {
    outage_->committed(now_ns);
    update_captured();
  }
  return true;
}

void Spooler::publish_stats(int64_t now_ns) {
  SourceStats total;
  LinkInfo link;
  for (auto& lane : lanes_) {
    SourceStats s = lane->source->stats();
    total.packets_received += s.packets_received;
    total.packets_dropped += s.packets_dropped;
    total.packets_errors += s.packets_errors;
    LinkInfo l = lane->source->link();
    link.up = link.up || l.up;
    link.speed_mbps = std::max(link.speed_mbps, l.speed_mbps);
  }
  constexpr auto r = std::memory_order_relaxed;
  save_capture_totals(total);
  status_.packets_received.store(total.packets_received, r);
  status_.packets_dropped_source.store(total.packets_dropped, r);
  status_.packets_errors.store(total.packets_errors, r);
  status_.link_up.store(link.up, r);
  status_.link_speed_mbps.store(link.speed_mbps, r);
  update_captured();
  auto [bps, pps] =
      rates_.sample(now_ns, status_.bytes_captured.load(r), status_.packets_captured.load(r));
  status_.bps.store(bps, r);
  status_.pps.store(pps, r);
  auto segments = ring::list_segments(writer_.layout());
  if (segments) {
    uint64_t disk = 0;
    for (const auto& seg : *segments) disk += seg.committed_bytes;
    status_.bytes_disk.store(disk, r);
    status_.ring_bytes.store(writer_.layout().segment_bytes * writer_.layout().segment_count, r);
    publish_consumer_lag(*segments);
  }
}

void Spooler::writer_loop() {
  queue::Backoff backoff;
  uint64_t served_requests = 0;
  int64_t next_commit = base::now_monotonic_ns() + options_.flush_interval_ns;
  int64_t next_stats = 0;
  while (!has_failed()) {
    const bool worked = drain_once();
    const int64_t now = base::now_monotonic_ns();
    if (auto st = outage_->retry(now); !st.ok()) {
      fail(std::move(st).error());
      break;
    }
    const uint64_t requests = commit_requests_.load(std::memory_order_acquire);
    if (requests != served_requests) {
      // Someone waits (capture start/stop): the commit must be durable before we answer.
      // While the ring is full the answer is the last durable commit.
      if (!commit(true, now)) break;
      served_requests = requests;
      commits_served_.store(requests, std::memory_order_release);
      next_commit = now + options_.flush_interval_ns;
    } else if (now >= next_commit) {
      // The periodic flush need not wait for the disk: the ring's sync thread makes it durable
      // while we keep draining (a blocking commit here halves the ring's write rate). During
      // an outage episode it waits, so the episode ends as soon as writing works again.
      if (!commit(outage_->in_episode(), now)) break;
      next_commit = now + options_.flush_interval_ns;
    }
    if (now >= next_stats) {
      publish_stats(now);
      next_stats = now + base::kNsPerSec;
    }
    if (worked) {
      backoff.reset();
      continue;
    }
    if (capture_threads_running_.load(std::memory_order_acquire) == 0) {
      // The capture threads are gone; one more pass catches their last pushes.
      if (drain_once()) continue;
      break;
    }
    backoff.idle();
  }
  // The last commit; during an outage, one more try to write first.
  if (!has_failed() && outage_->suspended()) {
    if (auto st = outage_->retry(INT64_MAX); !st.ok()) fail(std::move(st).error());
  }
  if (!has_failed()) (void)commit(true, base::now_monotonic_ns());
  if (outage_->in_episode()) {
    outage_->finish();
    fail(base::make_error(base::ErrorCode::kNoSpace,
                          "stopped while the ring's filesystem was full (see packets_not_stored)"));
  }
  commits_served_.store(commit_requests_.load(std::memory_order_acquire),
                        std::memory_order_release);
  writer_running_.store(false, std::memory_order_release);
  publish_stats(base::now_monotonic_ns());
}

}  // namespace snapflow::capture
