#include "forward_source.h"

#include <pthread.h>
#include <sched.h>

#include <cstdio>

#include "snapflow/base/time.h"
#include "snapflow/queue/backoff.h"

namespace snapflow::capture {

ForwarderSource::ForwarderSource(std::unique_ptr<Datapath> datapath, forward::RuleStore& rules,
                                 const CaptureConfig& config, const base::Logger& log)
    : datapath_(std::move(datapath)),
      rules_(rules),
      log_(log),
      pool_(kForwarderBatches),
      filled_(kForwarderBatches),
      free_(kForwarderBatches) {
  (void)config;
  for (auto& batch : pool_) {
    prepare_batch(batch);
    pcap::PacketBatch* p = &batch;
    free_.try_push(p);  // capacity == pool size: cannot fail
  }
}

base::Result<std::unique_ptr<ForwarderSource>> ForwarderSource::start(
    std::unique_ptr<Datapath> datapath, forward::Ports ports, forward::RuleStore& rules,
    const CaptureConfig& config, const base::Logger& log) {
  if (ports.size() != datapath->port_count()) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            std::to_string(ports.size()) + " forward-port settings for " +
                                std::to_string(datapath->port_count()) + " datapath ports");
  }
  SNAPFLOW_TRY_STATUS(datapath->describe(ports), "forwarder ports");
  auto reader = rules.register_reader();
  if (!reader) {
    return base::make_error(base::ErrorCode::kUnavailable, "no free rule-table reader slot");
  }
  std::unique_ptr<ForwarderSource> source(
      new ForwarderSource(std::move(datapath), rules, config, log));
  forward::EngineOptions options;
  options.snaplen = config.snaplen;
  options.icmp_errors_per_s = config.forward.icmp_per_second;
  auto* sink = static_cast<forward::CaptureSink*>(source.get());
  source->engine_ = std::make_unique<forward::ForwardEngine>(std::move(ports), std::move(reader),
                                                             *sink, *source->datapath_, options);
  source->thread_ = std::thread([s = source.get()] { s->run(); });
  return source;
}

ForwarderSource::~ForwarderSource() {
  request_stop();
  if (thread_.joinable()) thread_.join();
}

void ForwarderSource::run() {
  // Named for top -H, perf and scripts/bench-forward.sh, which reads its CPU time.
  pthread_setname_np(pthread_self(), "sf-forward");
  if (const int cpu = datapath_->cpu(); cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (pthread_setaffinity_np(pthread_self(), sizeof set, &set) != 0) {
      log_.warning("forwarder: cannot pin the datapath thread to CPU " + std::to_string(cpu));
    } else {
      log_.info("forwarder: datapath thread on CPU " + std::to_string(cpu));
    }
  }
  auto result = datapath_->run(*engine_, *this);
  if (!result.ok()) {
    log_.error(result.error().to_string());
    error_ = std::move(result).error();
  }
  hand_over();
  // release: error_ and every push above happen-before next_batch sees finished_.
  finished_.store(true, std::memory_order_release);
}

void ForwarderSource::request_stop() {
  stop_requested_.store(true, std::memory_order_release);
  datapath_->request_stop();
}

std::byte* ForwarderSource::reserve(uint32_t bytes) {
  if (current_ != nullptr &&
      (current_->records.size() >= kBatchMaxPackets || used_ + bytes > current_->storage.size())) {
    hand_over();
  }
  if (current_ == nullptr) {
    if (!free_.try_pop(current_)) {
      // Every batch is with the spooler: capture is behind. Forwarding goes on.
      capture_dropped_.store(capture_dropped_.load(std::memory_order_relaxed) + 1,
                             std::memory_order_relaxed);
      return nullptr;
    }
    current_->clear();
    used_ = 0;
  }
  pending_ = current_->storage.data() + used_;
  return pending_;
}

void ForwarderSource::commit(int64_t ts_ns, uint32_t captured_bytes, uint32_t wire_bytes) {
  if (current_->records.empty()) current_first_ns_ = last_poll_ns_;
  pcap::PacketRecord& r = current_->records.emplace_back();
  r.ts_ns = ts_ns;
  r.data = pending_;
  r.captured_length = captured_bytes;
  r.wire_length = wire_bytes;
  r.link_type = pcap::kLinkEthernet;
  used_ += captured_bytes;
}

void ForwarderSource::hand_over() {
  if (current_ == nullptr) return;
  if (current_->records.empty()) {
    free_.try_push(current_);
  } else {
    filled_.try_push(current_);  // pool size == capacity: cannot fail
  }
  current_ = nullptr;
  used_ = 0;
}

void ForwarderSource::poll(int64_t now_ns) {
  last_poll_ns_ = now_ns;
  if (current_ != nullptr && !current_->records.empty() &&
      now_ns - current_first_ns_ >= kForwarderHandoverNs) {
    hand_over();
  }
  if (now_ns >= next_tick_ns_) {
    engine_->tick(now_ns);
    next_tick_ns_ = now_ns + kEngineTickNs;
  }
}

base::Result<size_t> ForwarderSource::next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) {
  batch.clear();
  queue::Backoff backoff;
  pcap::PacketBatch* got = nullptr;
  while (!filled_.try_pop(got)) {
    if (finished_.load(std::memory_order_acquire)) {
      // The datapath has stopped: one more look catches its last push, then report its error.
      if (filled_.try_pop(got)) break;
      if (error_) return *error_;
      return size_t{0};
    }
    if (!stop_requested_.load(std::memory_order_acquire) &&
        base::now_monotonic_ns() >= deadline_ns) {
      return size_t{0};
    }
    backoff.idle();
  }
  std::swap(batch.records, got->records);
  std::swap(batch.storage, got->storage);
  got->clear();
  free_.try_push(got);  // capacity == pool size: cannot fail
  return batch.records.size();
}

SourceStats ForwarderSource::stats() {
  const DatapathStats d = datapath_->stats();
  SourceStats s;
  s.packets_received = d.rx_packets;
  s.bytes_received = d.rx_bytes;
  s.packets_dropped = d.rx_dropped + d.rx_refused + capture_dropped();
  s.packets_errors = d.tx_errors;
  return s;
}

namespace {

// "N ns/packet (T ticks/packet)": the datapath's busy time per received packet.
std::string busy_cost(const DatapathStats& d) {
  if (d.rx_packets == 0 || d.ticks_per_second == 0) return "0 ns/packet";
  const double ticks = static_cast<double>(d.busy_ticks) / static_cast<double>(d.rx_packets);
  char text[96];
  std::snprintf(text, sizeof text, "%.1f ns/packet (%.1f ticks/packet at %llu Hz)",
                ticks * 1e9 / static_cast<double>(d.ticks_per_second), ticks,
                static_cast<unsigned long long>(d.ticks_per_second));
  return text;
}

}  // namespace

std::string ForwarderSource::summary() const {
  using forward::EngineDrop;
  using forward::RuleDrop;
  const forward::EngineCounters& e = engine_->counters();
  const DatapathStats d = datapath_->stats();
  std::string out =
      "forwarder " + name() + ": received " + std::to_string(d.rx_packets) + ", transmitted " +
      std::to_string(d.tx_packets) + ", kernel/NIC dropped " + std::to_string(d.rx_dropped) +
      ", refused " + std::to_string(d.rx_refused) + ", tx errors " + std::to_string(d.tx_errors) +
      ", capture dropped " + std::to_string(capture_dropped()) + ", busy " + busy_cost(d) +
      "; arp answered " + std::to_string(e.arp_requests_answered.get()) + ", echo replies " +
      std::to_string(e.echo_replies_sent.get()) + ", time exceeded " +
      std::to_string(e.time_exceeded_sent.get()) + ", held " + std::to_string(e.held.get()) +
      ", checksums completed " + std::to_string(e.checksums_completed.get()) + "; drops:";
  for (size_t i = 0; i < e.drops.size(); ++i) {
    out += std::string(" ") + to_string(static_cast<EngineDrop>(i)) + "=" +
           std::to_string(e.drops[i].get());
  }
  for (const forward::Rule& r : rules_.list()) {
    const forward::RuleCounters& c = *r.counters;
    out += "\nrule " + std::to_string(r.id) + " " + forward::to_string(r.spec) + ": a_to_b " +
           std::to_string(c.packets[0].get()) + " packets " + std::to_string(c.bytes[0].get()) +
           " bytes, b_to_a " + std::to_string(c.packets[1].get()) + " packets " +
           std::to_string(c.bytes[1].get()) + " bytes, captured " +
           std::to_string(c.captured.get()) + ", capture_dropped " +
           std::to_string(c.capture_dropped.get()) + "; drops:";
    for (size_t i = 0; i < c.drops.size(); ++i) {
      out += std::string(" ") + to_string(static_cast<RuleDrop>(i)) + "=" +
             std::to_string(c.drops[i].get());
    }
  }
  return out;
}

}  // namespace snapflow::capture
