// DPDK datapath of the forwarder (compiled only with DPDK): one or two ethdev ports, one RX and
// one TX queue each, driven by one thread (registered with the EAL). Frames are forwarded
// zero-copy: the engine rewrites the mbuf's data in place and the mbuf itself is queued for
// transmission on the other port; only capture copies and frames the engine builds (ARP, ND,
// ICMP, released parked packets) are copied. Transmit applies backpressure: a port's queued
// mbufs are all sent before the next receive burst, retrying while the TX ring is full, so an
// overloaded egress shows up as the NIC's receive drops (imissed / rx_nombuf), counted, never
// as silent loss in snapflow. Timestamps: the TSC, calibrated against CLOCK_REALTIME
// (TscClock), one reading per burst, as in the DPDK capture source.
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cstring>

#include "dpdk_eal.h"
#include "forward_datapath.h"
#include "snapflow/base/time.h"
#include "snapflow/capture/cloud_config.h"
#include "snapflow/capture/config.h"
#include "snapflow/capture/tsc_clock.h"
#include "snapflow/queue/backoff.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

constexpr uint32_t kMaxBurst = 512;
constexpr uint32_t kTxCapacity = 2 * kMaxBurst;
constexpr int64_t kReanchorIntervalNs = base::kNsPerSec;

void add_relaxed(std::atomic<uint64_t>& c, uint64_t n) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

struct DpdkPort {
  uint16_t id = 0;
  rte_mempool* pool = nullptr;
  forward::MacAddress mac{};
  uint32_t mtu = 1500;
  std::string name;
  std::array<rte_mbuf*, kTxCapacity> tx{};
  std::array<forward::RuleCounters*, kTxCapacity> tx_rule{};  ///< for counting unsent frames
  uint32_t tx_count = 0;
};

class DpdkDatapath final : public Datapath {
 public:
  DpdkDatapath(std::vector<DpdkPort> ports, uint32_t burst, int cpu)
      : ports_(std::move(ports)),
        burst_(burst),
        cpu_(cpu),
        clock_(rte_get_tsc_hz(), rte_rdtsc(), base::now_realtime_ns()) {
    name_ = "forward:dpdk:";
    for (size_t i = 0; i < ports_.size(); ++i)
      name_ += (i ? "," : "") + std::to_string(ports_[i].id);
  }
  ~DpdkDatapath() override {
    for (auto& p : ports_) {
      for (uint32_t i = 0; i < p.tx_count; ++i) rte_pktmbuf_free(p.tx[i]);
      rte_eth_dev_stop(p.id);
      rte_eth_dev_close(p.id);
    }
    for (auto& p : ports_) rte_mempool_free(p.pool);
    rte_eal_cleanup();
  }

  base::Status describe(forward::Ports& ports) override {
    for (size_t i = 0; i < ports_.size(); ++i) {
      ports[i].mac = ports_[i].mac;
      ports[i].mtu = ports_[i].mtu;
      ports[i].name = ports_[i].name;
    }
    return {};
  }
  base::Status run(forward::ForwardEngine& engine, DatapathHooks& hooks) override;
  void request_stop() override { stopping_.store(true, std::memory_order_release); }
  DatapathStats stats() const override {
    DatapathStats s;
    constexpr auto r = std::memory_order_relaxed;
    s.rx_packets = rx_packets_.load(r);
    s.rx_bytes = rx_bytes_.load(r);
    s.rx_refused = rx_refused_.load(r);
    s.tx_packets = tx_packets_.load(r);
    s.busy_ticks = busy_cycles_.load(r);
    s.ticks_per_second = rte_get_tsc_hz();
    for (const auto& p : ports_) {
      rte_eth_stats es{};
      if (rte_eth_stats_get(p.id, &es) == 0) {
        s.rx_dropped += es.imissed + es.rx_nombuf;
        s.tx_errors += es.oerrors;
      }
    }
    return s;
  }
  LinkInfo link() override {
    LinkInfo all{true, 0};
    for (const auto& p : ports_) {
      rte_eth_link l{};
      if (rte_eth_link_get_nowait(p.id, &l) == 0) {
        all.up = all.up && l.link_status == RTE_ETH_LINK_UP;
        if (l.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN) {
          all.speed_mbps = std::max<uint64_t>(all.speed_mbps, l.link_speed);
        }
      }
    }
    return all;
  }
  const std::string& name() const override { return name_; }
  size_t port_count() const override { return ports_.size(); }
  int cpu() const override { return cpu_; }

  bool emit(uint16_t port, const std::byte* frame, size_t length) override {
    DpdkPort& p = ports_[port];
    rte_mbuf* m = rte_pktmbuf_alloc(p.pool);
    if (m == nullptr) return false;
    char* dst = rte_pktmbuf_append(m, static_cast<uint16_t>(length));
    if (dst == nullptr) {
      rte_pktmbuf_free(m);
      return false;
    }
    std::memcpy(dst, frame, length);
    return enqueue(p, m, nullptr);
  }

 private:
  bool enqueue(DpdkPort& p, rte_mbuf* m, forward::RuleCounters* rule) {
    if (p.tx_count == kTxCapacity && !flush(p)) {
      rte_pktmbuf_free(m);
      return false;
    }
    p.tx_rule[p.tx_count] = rule;
    p.tx[p.tx_count++] = m;
    return true;
  }
  // Sends everything queued on p, waiting while the TX ring is full; false only when a stop
  // was requested with frames still queued (they are freed and counted).
  bool flush(DpdkPort& p);

  std::vector<DpdkPort> ports_;
  uint32_t burst_;
  int cpu_;
  std::string name_;
  TscClock clock_;
  forward::ForwardEngine* engine_ = nullptr;  ///< set by run(), for counting unsent frames
  std::atomic<bool> stopping_{false};
  // Written by the datapath thread only; read by stats() from any thread.
  std::atomic<uint64_t> rx_packets_{0}, rx_bytes_{0}, rx_refused_{0}, tx_packets_{0};
  std::atomic<uint64_t> busy_cycles_{0};
  uint64_t tx_wait_cycles_ = 0;  ///< datapath thread only: cycles spent waiting on full TX rings
};

bool DpdkDatapath::flush(DpdkPort& p) {
  uint32_t sent = 0;
  uint64_t wait_start = 0;
  while (sent < p.tx_count) {
    const uint16_t n =
        rte_eth_tx_burst(p.id, 0, p.tx.data() + sent,
                         static_cast<uint16_t>(std::min<uint32_t>(p.tx_count - sent, UINT16_MAX)));
    sent += n;
    if (n != 0) {
      if (wait_start != 0) tx_wait_cycles_ += rte_rdtsc() - wait_start;
      wait_start = 0;
      continue;
    }
    // The TX ring is full: waiting for it is backpressure, not work (kept out of busy time).
    if (wait_start == 0) wait_start = rte_rdtsc();
    if (stopping_.load(std::memory_order_acquire)) {
      for (uint32_t i = sent; i < p.tx_count; ++i) {
        if (engine_) engine_->count_unsent(forward::Outcome{true, 0, p.tx_rule[i]});
        rte_pktmbuf_free(p.tx[i]);
      }
      add_relaxed(tx_packets_, sent);
      p.tx_count = 0;
      return false;
    }
  }
  if (wait_start != 0) tx_wait_cycles_ += rte_rdtsc() - wait_start;
  add_relaxed(tx_packets_, sent);
  p.tx_count = 0;
  return true;
}

base::Status DpdkDatapath::run(forward::ForwardEngine& engine, DatapathHooks& hooks) {
  engine_ = &engine;
  // Gives this std::thread an lcore id so the mempools' per-lcore caches are used.
  if (rte_lcore_id() == LCORE_ID_ANY && rte_thread_register() != 0) {
    return make_error(ErrorCode::kUnavailable, rte_error("rte_thread_register", rte_errno))
        .context(name_);
  }
  std::array<rte_mbuf*, kMaxBurst> rx{};
  std::array<rte_mbuf*, kMaxBurst> done{};
  queue::Backoff backoff;
  int64_t next_anchor_ns = 0;
  while (!stopping_.load(std::memory_order_acquire)) {
    bool worked = false;
    const uint64_t iteration_start = rte_rdtsc();
    const uint64_t wait_before = tx_wait_cycles_;
    for (uint16_t pi = 0; pi < ports_.size(); ++pi) {
      const uint16_t n =
          rte_eth_rx_burst(ports_[pi].id, 0, rx.data(), static_cast<uint16_t>(burst_));
      if (n == 0) continue;
      worked = true;
      const uint64_t tsc = rte_rdtsc();
      const int64_t ts_ns = clock_.to_ns(tsc);
      if (ts_ns >= next_anchor_ns) {
        clock_.re_anchor(tsc, base::now_realtime_ns());
        next_anchor_ns = ts_ns + kReanchorIntervalNs;
      }
      uint32_t finished = 0;
      uint64_t bytes = 0;
      engine.begin_batch(base::now_monotonic_ns());
      for (uint16_t i = 0; i < n; ++i) {
        rte_mbuf* m = rx[i];
        if (i + 1 < n) rte_prefetch0(rte_pktmbuf_mtod(rx[i + 1], void*));
        bytes += m->pkt_len;
        if (m->nb_segs != 1) {  // scattered jumbo frame: the engine works on one buffer
          add_relaxed(rx_refused_, 1);
          done[finished++] = m;
          continue;
        }
        forward::RxFrame frame{rte_pktmbuf_mtod(m, std::byte*), m->data_len, pi, ts_ns, false};
        const forward::Outcome out = engine.handle(frame);
        if (out.transmit) {
          if (!enqueue(ports_[out.port], m, out.counters)) engine.count_unsent(out);
        } else {
          done[finished++] = m;
        }
      }
      engine.end_batch();
      if (finished) rte_pktmbuf_free_bulk(done.data(), finished);
      add_relaxed(rx_packets_, n);
      add_relaxed(rx_bytes_, bytes);
    }
    for (auto& p : ports_) {
      if (p.tx_count) flush(p);
    }
    if (worked) {
      add_relaxed(busy_cycles_, rte_rdtsc() - iteration_start - (tx_wait_cycles_ - wait_before));
    }
    hooks.poll(base::now_monotonic_ns());
    if (worked) {
      backoff.reset();
    } else {
      backoff.idle();
    }
  }
  for (auto& p : ports_) {
    if (p.tx_count) flush(p);
  }
  return {};
}

base::Result<DpdkPort> init_port(const CaptureConfig& config, uint16_t port_id,
                                 const base::Logger& log) {
  const std::string where = "forward port " + std::to_string(port_id);
  if (!rte_eth_dev_is_valid_port(port_id)) {
    return make_error(ErrorCode::kNotFound, "no such port (" +
                                                std::to_string(rte_eth_dev_count_avail()) +
                                                " available; check --dpdk-eal-args --vdev/-a)")
        .context(where);
  }
  DpdkPort p;
  p.id = port_id;
  rte_eth_dev_info info{};
  if (int rc = rte_eth_dev_info_get(port_id, &info); rc != 0) {
    return make_error(ErrorCode::kIo, rte_error("rte_eth_dev_info_get", rc)).context(where);
  }
  p.name = std::string("dpdk port ") + std::to_string(port_id) + " (" + info.driver_name + ")";
  uint16_t mtu = 1500;
  if (rte_eth_dev_get_mtu(port_id, &mtu) == 0) p.mtu = mtu;
  rte_ether_addr mac{};
  if (int rc = rte_eth_macaddr_get(port_id, &mac); rc != 0) {
    return make_error(ErrorCode::kIo, rte_error("rte_eth_macaddr_get", rc)).context(where);
  }
  std::memcpy(p.mac.data(), mac.addr_bytes, 6);
  const int socket = rte_eth_dev_socket_id(port_id);
  const uint32_t data_room =
      std::max<uint32_t>(RTE_MBUF_DEFAULT_BUF_SIZE, RTE_PKTMBUF_HEADROOM + p.mtu + 14 + 4 + 4);
  const std::string pool_name = "sf_fwd_p" + std::to_string(port_id);
  p.pool = rte_pktmbuf_pool_create(
      pool_name.c_str(), config.dpdk.mbufs, std::min(256u, config.dpdk.mbufs / 4), 0,
      static_cast<uint16_t>(data_room), socket < 0 ? static_cast<int>(rte_socket_id()) : socket);
  if (p.pool == nullptr) {
    return make_error(ErrorCode::kUnavailable,
                      rte_error("rte_pktmbuf_pool_create", rte_errno) +
                          " (with --no-huge, raise -m or lower --dpdk-mbufs)")
        .context(where);
  }
  rte_eth_conf conf{};
  if (int rc = rte_eth_dev_configure(port_id, 1, 1, &conf); rc != 0) {
    rte_mempool_free(p.pool);
    return make_error(ErrorCode::kIo, rte_error("rte_eth_dev_configure", rc)).context(where);
  }
  uint16_t rx_desc = static_cast<uint16_t>(std::min<uint32_t>(config.dpdk.rx_descriptors, 32768));
  uint16_t tx_desc = rx_desc;
  if (int rc = rte_eth_dev_adjust_nb_rx_tx_desc(port_id, &rx_desc, &tx_desc); rc != 0) {
    rte_mempool_free(p.pool);
    return make_error(ErrorCode::kIo, rte_error("rte_eth_dev_adjust_nb_rx_tx_desc", rc))
        .context(where);
  }
  const unsigned sock = static_cast<unsigned>(socket < 0 ? 0 : socket);
  if (int rc = rte_eth_rx_queue_setup(port_id, 0, rx_desc, sock, nullptr, p.pool); rc != 0) {
    rte_mempool_free(p.pool);
    return make_error(ErrorCode::kIo, rte_error("rte_eth_rx_queue_setup", rc)).context(where);
  }
  if (int rc = rte_eth_tx_queue_setup(port_id, 0, tx_desc, sock, nullptr); rc != 0) {
    rte_mempool_free(p.pool);
    return make_error(ErrorCode::kIo, rte_error("rte_eth_tx_queue_setup", rc)).context(where);
  }
  if (int rc = rte_eth_dev_start(port_id); rc != 0) {
    rte_mempool_free(p.pool);
    return make_error(ErrorCode::kIo, rte_error("rte_eth_dev_start", rc)).context(where);
  }
  // IPv6 neighbour solicitations go to solicited-node multicast groups.
  if (int rc = rte_eth_allmulticast_enable(port_id); rc != 0 && rc != -ENOTSUP) {
    log.warning(where + ": " + rte_error("rte_eth_allmulticast_enable", rc));
  }
  log.info(where + ": " + info.driver_name + ", mac " + forward::to_string(p.mac) + ", mtu " +
           std::to_string(p.mtu) + ", " + std::to_string(rx_desc) + " rx / " +
           std::to_string(tx_desc) + " tx descriptors, " + std::to_string(config.dpdk.mbufs) +
           " mbufs");
  return p;
}

}  // namespace

base::Result<std::unique_ptr<Datapath>> open_dpdk_datapath(const CaptureConfig& config,
                                                           const base::Logger& log) {
  SNAPFLOW_TRY_STATUS(init_eal(config.dpdk, /*keep_affinity=*/true), "forward:dpdk");
  std::vector<DpdkPort> ports;
  for (uint16_t id : config.dpdk.ports) {
    auto p = init_port(config, id, log);
    if (!p) {
      for (auto& q : ports) {
        rte_eth_dev_stop(q.id);
        rte_eth_dev_close(q.id);
        rte_mempool_free(q.pool);
      }
      rte_eal_cleanup();
      return std::move(p).error();
    }
    ports.push_back(std::move(*p));
  }
  log.info("forward:dpdk: TSC " + std::to_string(rte_get_tsc_hz()) + " Hz, burst " +
           std::to_string(config.dpdk.burst));
  // The datapath thread gets a core of its own: --forward-cpu, else the EAL's main lcore.
  const int cpu = config.forward.cpu >= 0 ? config.forward.cpu : main_lcore_cpu();
  return std::unique_ptr<Datapath>(new DpdkDatapath(std::move(ports), config.dpdk.burst, cpu));
}

}  // namespace snapflow::capture
