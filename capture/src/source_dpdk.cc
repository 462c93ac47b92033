// DPDK capture source (compiled only when snapflow is built with DPDK; see CMakeLists.txt).
//
// Shape (STYLE.md 5): EAL init from --dpdk-eal-args, one mempool per port on the port's socket,
// port init with every return checked, N RX queues per port with RSS when N > 1. Each (port,
// queue) becomes one PacketSource driven by its own capture thread, which registers itself
// with the EAL (rte_thread_register) so mempool caches work. next_batch() calls
// rte_eth_rx_burst(burst) repeatedly, prefetching packet i+1 while copying packet i into the
// batch storage, and frees each burst's mbufs in bulk. Timestamps come from the TSC, calibrated
// against CLOCK_REALTIME (TscClock) and re-anchored once a second; the EAL-wide state is shared
// by every queue of the process and torn down (ports stopped, EAL cleaned up) with the last one.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mbuf_dyn.h>
#include <rte_mempool.h>
#include <rte_prefetch.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <thread>

#include "dpdk_eal.h"
#include "snapflow/base/time.h"
#include "snapflow/capture/config.h"
#include "snapflow/capture/tsc_clock.h"
#include "snapflow/queue/backoff.h"
#include "source_impl.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

constexpr uint32_t kMaxBurst = 512;
constexpr int64_t kReanchorIntervalNs = base::kNsPerSec;

// EAL and port lifetime, shared by the queue sources of one process.
class DpdkRuntime {
 public:
  ~DpdkRuntime() {
    for (uint16_t port : ports_) {
      rte_eth_dev_stop(port);
      rte_eth_dev_close(port);
    }
    for (rte_mempool* pool : pools_) rte_mempool_free(pool);
    rte_eal_cleanup();
  }
  std::vector<uint16_t> ports_;
  std::vector<rte_mempool*> pools_;
  int timestamp_offset = -1;  ///< mbuf dynfield offset of the RX timestamp (-1: TSC stamps)
  uint64_t timestamp_flag = 0;
  std::vector<uint16_t> hw_timestamp_ports;
};

class DpdkQueueSource final : public PacketSource {
 public:
  DpdkQueueSource(std::shared_ptr<DpdkRuntime> runtime, uint16_t port, uint16_t queue,
                  uint32_t burst, bool owns_port_counters, int timestamp_offset,
                  uint64_t timestamp_flag)
      : timestamp_offset_(timestamp_offset),
        timestamp_flag_(timestamp_flag),
        runtime_(std::move(runtime)),
        port_(port),
        queue_(queue),
        burst_(burst),
        owns_port_counters_(owns_port_counters),
        name_("dpdk:port" + std::to_string(port) + "/q" + std::to_string(queue)),
        clock_(rte_get_tsc_hz(), rte_rdtsc(), base::now_realtime_ns()) {}

  base::Result<size_t> next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) override;
  SourceStats stats() override;
  LinkInfo link() override {
    rte_eth_link l{};
    LinkInfo info;
    if (rte_eth_link_get_nowait(port_, &l) == 0) {
      info.up = l.link_status == RTE_ETH_LINK_UP;
      info.speed_mbps = l.link_speed == RTE_ETH_SPEED_NUM_UNKNOWN ? 0 : l.link_speed;
    }
    return info;
  }
  void request_stop() override {
    // Pairs with the acquire load in next_batch.
    stopping_.store(true, std::memory_order_release);
  }
  const std::string& name() const override { return name_; }
  uint16_t link_type() const override { return pcap::kLinkEthernet; }

 private:
  int timestamp_offset_;
  uint64_t timestamp_flag_;
  std::shared_ptr<DpdkRuntime> runtime_;
  uint16_t port_;
  uint16_t queue_;
  uint32_t burst_;
  bool owns_port_counters_;  ///< queue 0 reports the port-wide drop/error counters
  std::string name_;
  TscClock clock_;
  int64_t next_anchor_ns_ = 0;
  bool thread_registered_ = false;
  std::atomic<bool> stopping_{false};
  // Written once per batch by the capture thread; read by stats() from any thread.
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> bytes_{0};
  std::atomic<uint64_t> oversize_{0};
  queue::Backoff backoff_;
};

base::Result<size_t> DpdkQueueSource::next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) {
  if (!thread_registered_) {
    // Gives this std::thread an lcore id so the mempool's per-lcore cache is used.
    if (rte_lcore_id() == LCORE_ID_ANY && rte_thread_register() != 0) {
      return make_error(ErrorCode::kUnavailable, rte_error("rte_thread_register", rte_errno))
          .context(name_);
    }
    thread_registered_ = true;
  }
  batch.clear();
  const size_t max_packets = std::max<size_t>(batch.records.capacity(), burst_);
  size_t used = 0;
  uint64_t bytes = 0;
  uint64_t oversize = 0;
  rte_mbuf* mbufs[kMaxBurst];
  while (!stopping_.load(std::memory_order_acquire)) {
    const uint16_t want =
        static_cast<uint16_t>(std::min<size_t>(burst_, max_packets - batch.records.size()));
    // Each packet needs at most one mbuf chain's bytes; stop early rather than overflow storage.
    if (want == 0 || batch.storage.size() - used < size_t{want} * RTE_MBUF_DEFAULT_BUF_SIZE) break;
    const uint16_t n = rte_eth_rx_burst(port_, queue_, mbufs, want);
    if (__builtin_expect(n == 0, 0)) {
      if (!batch.empty()) break;
      const int64_t now = base::now_monotonic_ns();
      if (now >= deadline_ns) break;
      backoff_.idle();
      continue;
    }
    backoff_.reset();
    const uint64_t tsc = rte_rdtsc();
    const int64_t now_ns = clock_.to_ns(tsc);
    if (now_ns >= next_anchor_ns_) {
      clock_.re_anchor(tsc, base::now_realtime_ns());
      next_anchor_ns_ = now_ns + kReanchorIntervalNs;
    }
    rte_prefetch0(rte_pktmbuf_mtod(mbufs[0], void*));
    for (uint16_t i = 0; i < n; ++i) {
      if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(mbufs[i + 1], void*));
      const rte_mbuf* m = mbufs[i];
      uint32_t len = m->pkt_len;
      if (batch.storage.size() - used < len) {
        ++oversize;  // cannot happen given the check above; counted, never silent
        continue;
      }
      std::byte* dst = batch.storage.data() + used;
      const void* src = rte_pktmbuf_read(m, 0, len, dst);
      if (src != dst) std::memcpy(dst, src, len);
      pcap::PacketRecord& r = batch.records.emplace_back();
      // Hardware stamp when the PMD set one; else one TSC reading per burst (they arrived
      // together as far as the host can tell).
      r.ts_ns = timestamp_offset_ >= 0 && (m->ol_flags & timestamp_flag_)
                    ? static_cast<int64_t>(
                          *RTE_MBUF_DYNFIELD(m, timestamp_offset_, const rte_mbuf_timestamp_t*))
                    : now_ns;
      r.data = dst;
      r.captured_length = len;
      r.wire_length = len;
      r.link_type = pcap::kLinkEthernet;
      used += len;
      bytes += len;
    }
    rte_pktmbuf_free_bulk(mbufs, n);
  }
  // Single writer (this thread); relaxed suffices for monotonic counters.
  received_.fetch_add(batch.records.size(), std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  if (oversize) oversize_.fetch_add(oversize, std::memory_order_relaxed);
  return batch.records.size();
}

SourceStats DpdkQueueSource::stats() {
  SourceStats s;
  s.packets_received = received_.load(std::memory_order_relaxed);
  s.bytes_received = bytes_.load(std::memory_order_relaxed);
  s.packets_dropped = oversize_.load(std::memory_order_relaxed);
  if (owns_port_counters_) {
    rte_eth_stats es{};
    if (rte_eth_stats_get(port_, &es) == 0) {
      // imissed: dropped by the NIC for lack of RX descriptors; rx_nombuf: no mbuf to refill.
      s.packets_dropped += es.imissed + es.rx_nombuf;
      s.packets_errors = es.ierrors;
    }
  }
  return s;
}

base::Status init_port(const CaptureConfig& config, uint16_t port, DpdkRuntime& runtime,
                       const base::Logger& log) {
  const std::string where = "port " + std::to_string(port);
  if (!rte_eth_dev_is_valid_port(port)) {
    return make_error(ErrorCode::kNotFound, "no such port (" +
                                                std::to_string(rte_eth_dev_count_avail()) +
                                                " available; check --dpdk-eal-args --vdev/-a)")
        .context(where);
  }
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port, &info); rc != 0) {
    return make_error(ErrorCode::kIo, rte_error("rte_eth_dev_info_get", rc)).context(where);
  }
  const uint16_t queues = config.dpdk.rx_queues;
  if (queues > info.max_rx_queues) {
    return make_error(ErrorCode::kInvalidArgument, "--dpdk-rx-queues=" + std::to_string(queues) +
                                                       ": " + info.driver_name + " supports " +
                                                       std::to_string(info.max_rx_queues))
        .context(where);
  }
  const int socket = rte_eth_dev_socket_id(port);
  if (socket >= 0 && socket != static_cast<int>(rte_socket_id())) {
    log.warning(where + " is on NUMA node " + std::to_string(socket) +
                ", remote from the main lcore: expect lower throughput");
  }
  const unsigned cache = std::min(256u, config.dpdk.mbufs / 4);
  std::string pool_name = "snapflow_p" + std::to_string(port);
  rte_mempool* pool = rte_pktmbuf_pool_create(
      pool_name.c_str(), config.dpdk.mbufs, cache, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
      socket < 0 ? static_cast<int>(rte_socket_id()) : socket);
  if (!pool) {
    return make_error(
               ErrorCode::kUnavailable,
               rte_error("rte_pktmbuf_pool_create(" + std::to_string(config.dpdk.mbufs) + " mbufs)",
                         rte_errno) +
                   " (with --no-huge, raise -m or lower --dpdk-mbufs)")
        .context(where);
  }
  runtime.pools_.push_back(pool);
  rte_eth_conf conf{};
  if (queues > 1) {
    conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
    conf.rx_adv_conf.rss_conf.rss_hf = RTE_ETH_RSS_IP & info.flow_type_rss_offloads;
    if (conf.rx_adv_conf.rss_conf.rss_hf == 0) {
      return make_error(ErrorCode::kUnsupported,
                        std::string(info.driver_name) + " cannot spread IP traffic by RSS")
          .context(where);
    }
  }
  if (config.dpdk.hw_timestamps) {
    if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_TIMESTAMP) {
      conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_TIMESTAMP;
      if (runtime.timestamp_offset < 0 &&
          rte_mbuf_dyn_rx_timestamp_register(&runtime.timestamp_offset, &runtime.timestamp_flag) !=
              0) {
        return make_error(ErrorCode::kUnavailable,
                          rte_error("rte_mbuf_dyn_rx_timestamp_register", rte_errno))
            .context(where);
      }
      runtime.hw_timestamp_ports.push_back(port);
    } else {
      log.warning(where + ": " + info.driver_name +
                  " has no RX timestamp offload; using TSC timestamps");
    }
  }
  if (int rc = rte_eth_dev_configure(port, queues, 0, &conf); rc != 0) {
    return make_error(ErrorCode::kIo, rte_error("rte_eth_dev_configure", rc)).context(where);
  }
  uint16_t rx_desc = static_cast<uint16_t>(std::min<uint32_t>(config.dpdk.rx_descriptors, 32768));
  uint16_t tx_desc = 0;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port, &rx_desc, &tx_desc); rc != 0) {
    return make_error(ErrorCode::kIo, rte_error("rte_eth_dev_adjust_nb_rx_tx_desc", rc))
        .context(where);
  }
  for (uint16_t q = 0; q < queues; ++q) {
    if (int rc = rte_eth_rx_queue_setup(
            port, q, rx_desc, static_cast<unsigned>(socket < 0 ? 0 : socket), nullptr, pool);
        rc != 0) {
      return make_error(ErrorCode::kIo, rte_error("rte_eth_rx_queue_setup", rc))
          .context(where + " queue " + std::to_string(q));
    }
  }
  if (int rc = rte_eth_dev_start(port); rc != 0) {
    return make_error(ErrorCode::kIo, rte_error("rte_eth_dev_start", rc)).context(where);
  }
  runtime.ports_.push_back(port);
  if (int rc = rte_eth_promiscuous_enable(port); rc != 0 && rc != -ENOTSUP) {
    log.warning(where + ": " + rte_error("rte_eth_promiscuous_enable", rc));
  }
  log.info(where + ": " + info.driver_name + ", " + std::to_string(queues) + " RX queue(s), " +
           std::to_string(rx_desc) + " descriptors, " + std::to_string(config.dpdk.mbufs) +
           " mbufs");
  return {};
}

}  // namespace

base::Result<std::vector<std::unique_ptr<PacketSource>>> make_dpdk_sources(
    const CaptureConfig& config, const base::Logger& log) {
  SNAPFLOW_TRY_STATUS(init_eal(config.dpdk), "dpdk");
  auto runtime = std::make_shared<DpdkRuntime>();
  for (uint16_t port : config.dpdk.ports) {
    SNAPFLOW_TRY_STATUS(init_port(config, port, *runtime, log), "dpdk init");
  }
  std::vector<std::unique_ptr<PacketSource>> sources;
  for (uint16_t port : config.dpdk.ports) {
    for (uint16_t q = 0; q < config.dpdk.rx_queues; ++q) {
      const bool hw =
          std::find(runtime->hw_timestamp_ports.begin(), runtime->hw_timestamp_ports.end(), port) !=
          runtime->hw_timestamp_ports.end();
      sources.push_back(std::make_unique<DpdkQueueSource>(
          runtime, port, q, config.dpdk.burst, q == 0, hw ? runtime->timestamp_offset : -1,
          hw ? runtime->timestamp_flag : 0));
    }
  }
  log.info("dpdk: TSC " + std::to_string(rte_get_tsc_hz()) + " Hz, " +
           std::to_string(sources.size()) + " queue source(s)");
  return sources;
}

}  // namespace snapflow::capture
