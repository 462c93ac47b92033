// ForwarderSource: the L3 forwarder as a capture source, so its capture copies reach the ring
// through the same spooler as every other source.
//
//   datapath thread: [ports] -> Datapath::run -> ForwardEngine -> [ports]
//                                                     |
//                                   CaptureSink: copies into the current batch
//                                                     |   full or 5 ms old
//                                                     v
//                         filled SpscRing --> next_batch() (capture thread) --> spooler
//                         free SpscRing   <--  (batch buffers swapped, not copied)
//
// Forwarding never waits for capture: when every batch of the pool is with the spooler (the
// ring writer fell behind), capture copies are counted as capture_dropped per rule and the
// packets are forwarded anyway. next_batch() hands a filled batch over by swapping the batch
// buffers with the spooler's (no copy). After request_stop() the datapath stops, its last
// partial batch is queued, and next_batch() keeps returning the queued batches until none is
// left, so every copy the engine counted as captured reaches the ring.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "forward_datapath.h"
#include "snapflow/capture/config.h"
#include "snapflow/capture/source.h"
#include "snapflow/forward/engine.h"
#include "snapflow/forward/rule_store.h"
#include "snapflow/queue/spsc_ring.h"

namespace snapflow::capture {

inline constexpr uint32_t kForwarderBatches = 8;            ///< power of two
inline constexpr int64_t kForwarderHandoverNs = 5'000'000;  ///< a partial batch waits at most this
inline constexpr int64_t kEngineTickNs = 100'000'000;

class ForwarderSource final : public PacketSource,
                              private forward::CaptureSink,
                              private DatapathHooks {
 public:
  // Starts the datapath thread. rules must outlive the source.
  static base::Result<std::unique_ptr<ForwarderSource>> start(std::unique_ptr<Datapath> datapath,
                                                              forward::Ports ports,
                                                              forward::RuleStore& rules,
                                                              const CaptureConfig& config,
                                                              const base::Logger& log);
  ~ForwarderSource() override;

  base::Result<size_t> next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) override;
  SourceStats stats() override;
  LinkInfo link() override { return datapath_->link(); }
  void request_stop() override;
  const std::string& name() const override { return datapath_->name(); }
  uint16_t link_type() const override { return pcap::kLinkEthernet; }

  // Counters as text lines (engine, datapath, every rule), for the daemon's log.
  std::string summary() const;
  const forward::EngineCounters& engine_counters() const { return engine_->counters(); }
  const auto& parse_counters() const { return engine_->parse_counters(); }
  DatapathStats datapath_stats() const { return datapath_->stats(); }
  uint64_t capture_dropped() const { return capture_dropped_.load(std::memory_order_relaxed); }

 private:
  ForwarderSource(std::unique_ptr<Datapath> datapath, forward::RuleStore& rules,
                  const CaptureConfig& config, const base::Logger& log);
  // forward::CaptureSink (datapath thread)
  std::byte* reserve(uint32_t bytes) override;
  void commit(int64_t ts_ns, uint32_t captured_bytes, uint32_t wire_bytes) override;
  // DatapathHooks (datapath thread)
  void poll(int64_t now_ns) override;
  void hand_over();
  void run();

  std::unique_ptr<Datapath> datapath_;
  forward::RuleStore& rules_;
  const base::Logger& log_;
  std::unique_ptr<forward::ForwardEngine> engine_;
  std::vector<pcap::PacketBatch> pool_;
  queue::SpscRing<pcap::PacketBatch*> filled_;  ///< datapath thread -> capture thread
  queue::SpscRing<pcap::PacketBatch*> free_;    ///< capture thread -> datapath thread
  // Datapath thread only:
  pcap::PacketBatch* current_ = nullptr;
  size_t used_ = 0;
  std::byte* pending_ = nullptr;
  int64_t last_poll_ns_ = 0;
  int64_t current_first_ns_ = 0;
  int64_t next_tick_ns_ = 0;
  std::thread thread_;
  // release-stored by the datapath thread when run() returned (after its last push);
  // acquire-loaded by next_batch, which then drains what is left.
  std::atomic<bool> finished_{false};
  std::atomic<bool> stop_requested_{false};
  std::atomic<uint64_t> capture_dropped_{0};  ///< single writer: the datapath thread
  std::optional<base::Error> error_;          ///< written before finished_ is released
};

}  // namespace snapflow::capture
