// AF_PACKET datapath: the forwarder on ordinary Linux interfaces, no DPDK needed.
//
// Each port is one packet socket with a TPACKET_V2 receive ring and a TPACKET_V2 transmit
// ring in one mmap (PACKET_MMAP). V2 rather than V3 on purpose: V3 hands blocks to user space
// only when they fill or their retire timer (>= 1 ms) fires, which would add up to a
// millisecond per hop to a forwarder at low rates; V2 frames are visible as soon as the kernel
// writes them (libpcap's immediate mode makes the same choice). Frames are processed in place
// in the receive ring (the engine rewrites them there), copied once into a transmit slot, and
// the transmit ring is kicked with one send() per burst, so the steady state makes one
// syscall per burst and port, plus poll() when idle. PACKET_QDISC_BYPASS skips the qdisc layer
// on transmit; PACKET_IGNORE_OUTGOING keeps our own transmissions out of the receive ring.
//
// The interfaces must carry no kernel IP configuration for the forwarder's addresses (the
// forwarder answers ARP/ND for them itself) and the kernel must not forward between them
// (net.ipv4.ip_forward=0 in that namespace): docs/aws.md and docs/capture.md say how.
#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <thread>

#include "forward_datapath.h"
#include "snapflow/base/time.h"
#include "snapflow/capture/cloud_config.h"
#include "snapflow/capture/config.h"
#include "source_impl.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

constexpr uint32_t kBurst = 64;
constexpr uint32_t kTxKickEvery = 32;       ///< queued frames before an early send()
constexpr int kSpinPollsBeforeSleep = 64;   ///< empty polls answered by a pause hint
constexpr int kIdlePollMs = 5;              ///< poll() timeout when idle: bounds hook latency
constexpr int64_t kEmitWaitNs = 2'000'000;  ///< how long a built frame may wait for a TX slot
constexpr int64_t kStatsEveryNs = 1'000'000'000;
// Offset of packet data in a V2 transmit slot (the kernel's tp_hdrlen - sizeof sockaddr_ll).
constexpr size_t kTxDataOffset = TPACKET_ALIGN(sizeof(tpacket2_hdr));

std::string errno_text(std::string_view what) {
  return std::string(what) + ": " + std::strerror(errno);
}

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

struct Port {
  std::string ifname;
  int ifindex = 0;
  int fd = -1;
  std::byte* map = nullptr;
  size_t map_bytes = 0;
  uint32_t frame_bytes = 0;
  std::byte* rx_ring = nullptr;
  uint32_t rx_frames = 0;
  uint32_t rx_next = 0;
  std::byte* tx_ring = nullptr;
  uint32_t tx_frames = 0;
  uint32_t tx_next = 0;
  uint32_t tx_queued = 0;        ///< SEND_REQUEST frames not yet kicked
  bool filter_outgoing = false;  ///< PACKET_IGNORE_OUTGOING unavailable: skip them ourselves
  forward::MacAddress mac{};
  uint32_t mtu = 1500;

  tpacket2_hdr* rx_slot(uint32_t i) const {
    return reinterpret_cast<tpacket2_hdr*>(rx_ring + size_t{i} * frame_bytes);
  }
  tpacket2_hdr* tx_slot(uint32_t i) const {
    return reinterpret_cast<tpacket2_hdr*>(tx_ring + size_t{i} * frame_bytes);
  }
  ~Port() {
    if (map) ::munmap(map, map_bytes);
    if (fd >= 0) ::close(fd);
  }
};

class AfPacketDatapath final : public Datapath {
 public:
  AfPacketDatapath(std::vector<std::unique_ptr<Port>> ports, int stop_fd, int cpu)
      : ports_(std::move(ports)), stop_fd_(stop_fd), cpu_(cpu) {
    name_ = "forward:afpacket:";
    for (size_t i = 0; i < ports_.size(); ++i) name_ += (i ? "," : "") + ports_[i]->ifname;
  }
  ~AfPacketDatapath() override { ::close(stop_fd_); }

  base::Status describe(forward::Ports& ports) override {
    for (size_t i = 0; i < ports_.size(); ++i) {
      ports[i].mac = ports_[i]->mac;
      ports[i].mtu = ports_[i]->mtu;
      ports[i].name = ports_[i]->ifname;
    }
    return {};
  }
  base::Status run(forward::ForwardEngine& engine, DatapathHooks& hooks) override;
  void request_stop() override {
    // Pairs with the acquire load in run(); the eventfd wakes a poll in progress.
    stopping_.store(true, std::memory_order_release);
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
  }
  DatapathStats stats() const override {
    DatapathStats s;
    constexpr auto r = std::memory_order_relaxed;
    s.rx_packets = rx_packets_.load(r);
    s.rx_bytes = rx_bytes_.load(r);
    s.rx_dropped = rx_dropped_.load(r);
    s.rx_refused = rx_refused_.load(r);
    s.tx_packets = tx_packets_.load(r);
    s.tx_errors = tx_errors_.load(r);
    s.busy_ticks = busy_ns_.load(r);
    s.ticks_per_second = 1'000'000'000;
    return s;
  }
  LinkInfo link() override {
    LinkInfo all{true, 0};
    for (const auto& p : ports_) {
      LinkInfo l = read_link_info(p->ifname);
      all.up = all.up && l.up;
      all.speed_mbps = std::max(all.speed_mbps, l.speed_mbps);
    }
    return all;
  }
  const std::string& name() const override { return name_; }
  size_t port_count() const override { return ports_.size(); }
  int cpu() const override { return cpu_; }

  bool emit(uint16_t port, const std::byte* frame, size_t length) override {
    return queue_tx(*ports_[port], frame, length, base::now_monotonic_ns() + kEmitWaitNs);
  }

 private:
  // Copies a frame into the next transmit slot of port, waiting (kicking the ring) until
  // deadline_ns for one to be free. deadline 0: wait until stop is requested.
  bool queue_tx(Port& port, const std::byte* frame, size_t length, int64_t deadline_ns);
  void kick(Port& port);
  void read_kernel_drops();

  std::vector<std::unique_ptr<Port>> ports_;
  int stop_fd_;
  int cpu_;
  std::string name_;
  std::atomic<bool> stopping_{false};
  // Written by the datapath thread only; read by stats() from any thread.
  std::atomic<uint64_t> rx_packets_{0}, rx_bytes_{0}, rx_dropped_{0}, rx_refused_{0};
  std::atomic<uint64_t> tx_packets_{0}, tx_errors_{0};
  std::atomic<uint64_t> busy_ns_{0};
};

void add_relaxed(std::atomic<uint64_t>& c, uint64_t n) {
  c.store(c.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}

void AfPacketDatapath::kick(Port& port) {
  if (port.tx_queued == 0) return;
  // MSG_DONTWAIT: the kernel sends every SEND_REQUEST slot now and returns; slots come back
  // (TP_STATUS_AVAILABLE) as the frames are released.
  if (::send(port.fd, nullptr, 0, MSG_DONTWAIT) < 0 && errno != EAGAIN && errno != ENOBUFS) {
    add_relaxed(tx_errors_, 1);
  }
  port.tx_queued = 0;
}

bool AfPacketDatapath::queue_tx(Port& port, const std::byte* frame, size_t length,
                                int64_t deadline_ns) {
  if (length > port.frame_bytes - kTxDataOffset) {
    add_relaxed(tx_errors_, 1);
    return false;
  }
  tpacket2_hdr* slot = port.tx_slot(port.tx_next);
  uint32_t status = __atomic_load_n(&slot->tp_status, __ATOMIC_ACQUIRE);
  int spins = 0;
  while (status != TP_STATUS_AVAILABLE && status != TP_STATUS_WRONG_FORMAT) {
    // Every slot is queued or in flight: push what is queued and wait for the kernel.
    kick(port);
    if (stopping_.load(std::memory_order_acquire)) return false;
    if (deadline_ns != 0 && base::now_monotonic_ns() >= deadline_ns) return false;
    if (++spins > kSpinPollsBeforeSleep) {
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    } else {
      cpu_relax();
    }
    status = __atomic_load_n(&slot->tp_status, __ATOMIC_ACQUIRE);
  }
  if (status == TP_STATUS_WRONG_FORMAT) add_relaxed(tx_errors_, 1);  // an earlier frame refused
  std::memcpy(reinterpret_cast<std::byte*>(slot) + kTxDataOffset, frame, length);
  slot->tp_len = static_cast<uint32_t>(length);
  slot->tp_snaplen = static_cast<uint32_t>(length);
  // Release: the frame bytes are visible before the kernel sees the request.
  __atomic_store_n(&slot->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
  port.tx_next = port.tx_next + 1 == port.tx_frames ? 0 : port.tx_next + 1;
  add_relaxed(tx_packets_, 1);
  if (++port.tx_queued >= kTxKickEvery) kick(port);
  return true;
}

void AfPacketDatapath::read_kernel_drops() {
  for (auto& p : ports_) {
    tpacket_stats st{};
    socklen_t len = sizeof st;
    // Reading resets the kernel's counters: accumulate.
    if (::getsockopt(p->fd, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) {
      add_relaxed(rx_dropped_, st.tp_drops);
    }
  }
}

base::Status AfPacketDatapath::run(forward::ForwardEngine& engine, DatapathHooks& hooks) {
  std::array<forward::RxFrame, kBurst> frames;
  std::array<tpacket2_hdr*, kBurst> slots;
  int idle_polls = 0;
  int64_t next_stats = base::now_monotonic_ns() + kStatsEveryNs;
  std::vector<pollfd> fds;
  for (const auto& p : ports_) fds.push_back({p->fd, POLLIN, 0});
  fds.push_back({stop_fd_, POLLIN, 0});

  while (!stopping_.load(std::memory_order_acquire)) {
    bool worked = false;
    const int64_t iteration_start = base::now_monotonic_ns();
    for (uint16_t pi = 0; pi < ports_.size(); ++pi) {
      Port& port = *ports_[pi];
      uint32_t n = 0, taken = 0, received = 0;
      uint64_t bytes = 0;
      while (taken < kBurst) {
        tpacket2_hdr* hdr = port.rx_slot(port.rx_next);
        const uint32_t status = __atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE);
        if (!(status & TP_STATUS_USER)) break;
        slots[taken++] = hdr;
        port.rx_next = port.rx_next + 1 == port.rx_frames ? 0 : port.rx_next + 1;
        const auto* sll = reinterpret_cast<const sockaddr_ll*>(
            reinterpret_cast<const std::byte*>(hdr) + TPACKET_ALIGN(sizeof(tpacket2_hdr)));
        if (port.filter_outgoing && sll->sll_pkttype == PACKET_OUTGOING) continue;
        ++received;
        bytes += hdr->tp_len;
        // A frame larger than its slot (a GSO super-frame from a local sender, or beyond
        // the MTU) cannot be forwarded whole; a stripped VLAN tag means a tagged frame on
        // a port the forwarder treats as untagged.
        if (hdr->tp_snaplen < hdr->tp_len || (status & TP_STATUS_VLAN_VALID)) {
          add_relaxed(rx_refused_, 1);
          continue;
        }
        frames[n++] =
            forward::RxFrame{reinterpret_cast<std::byte*>(hdr) + hdr->tp_mac, hdr->tp_snaplen, pi,
                             static_cast<int64_t>(hdr->tp_sec) * base::kNsPerSec + hdr->tp_nsec,
                             (status & TP_STATUS_CSUMNOTREADY) != 0};
      }
      if (taken == 0) continue;
      worked = true;
      add_relaxed(rx_packets_, received);
      add_relaxed(rx_bytes_, bytes);
      if (n > 0) {
        engine.begin_batch(base::now_monotonic_ns());
        for (uint32_t i = 0; i < n; ++i) {
          const forward::Outcome out = engine.handle(frames[i]);
          if (out.transmit &&
              !queue_tx(*ports_[out.port], frames[i].data, frames[i].length, /*deadline=*/0)) {
            engine.count_unsent(out);  // only when stopping
          }
        }
        engine.end_batch();
      }
      for (uint32_t i = 0; i < taken; ++i) {
        // Release: our reads and in-place writes are done before the kernel reuses the slot.
        __atomic_store_n(&slots[i]->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      }
    }
    for (auto& p : ports_) kick(*p);
    const int64_t now = base::now_monotonic_ns();
    if (worked) add_relaxed(busy_ns_, static_cast<uint64_t>(now - iteration_start));
    hooks.poll(now);
    if (now >= next_stats) {
      read_kernel_drops();
      next_stats = now + kStatsEveryNs;
    }
    if (worked) {
      idle_polls = 0;
      continue;
    }
    if (++idle_polls < kSpinPollsBeforeSleep) {
      cpu_relax();
      continue;
    }
    for (auto& f : fds) f.revents = 0;
    if (::poll(fds.data(), fds.size(), kIdlePollMs) < 0 && errno != EINTR) {
      return make_error(ErrorCode::kIo, errno_text("poll")).context(name_);
    }
    for (size_t i = 0; i < ports_.size(); ++i) {
      if (fds[i].revents & (POLLERR | POLLNVAL)) {
        return make_error(ErrorCode::kIo, "interface went away (POLLERR)")
            .context(ports_[i]->ifname);
      }
    }
  }
  for (auto& p : ports_) kick(*p);
  read_kernel_drops();
  return {};
}

base::Result<std::unique_ptr<Port>> open_port(const std::string& ifname, uint32_t ring_frames,
                                              const base::Logger& log) {
  auto port = std::make_unique<Port>();
  port->ifname = ifname;
  const std::string where = "forward port " + ifname;
  port->ifindex = static_cast<int>(::if_nametoindex(ifname.c_str()));
  if (port->ifindex == 0) {
    return make_error(ErrorCode::kNotFound, errno_text("if_nametoindex")).context(where);
  }
  // Protocol 0: the socket receives nothing until bind() below, after the rings exist.
  port->fd = ::socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (port->fd < 0)
    return make_error(ErrorCode::kIo, errno_text("socket(AF_PACKET)")).context(where);

  ifreq ifr{};
  std::strncpy(ifr.ifr_name, ifname.c_str(), IFNAMSIZ - 1);
  if (::ioctl(port->fd, SIOCGIFHWADDR, &ifr) != 0) {
    return make_error(ErrorCode::kIo, errno_text("SIOCGIFHWADDR")).context(where);
  }
  if (ifr.ifr_hwaddr.sa_family != 1 /* ARPHRD_ETHER */) {
    return make_error(ErrorCode::kUnsupported, "not an Ethernet interface").context(where);
  }
  std::memcpy(port->mac.data(), ifr.ifr_hwaddr.sa_data, 6);
  if (::ioctl(port->fd, SIOCGIFMTU, &ifr) != 0) {
    return make_error(ErrorCode::kIo, errno_text("SIOCGIFMTU")).context(where);
  }
  port->mtu = static_cast<uint32_t>(ifr.ifr_mtu);

  int version = TPACKET_V2;
  if (::setsockopt(port->fd, SOL_PACKET, PACKET_VERSION, &version, sizeof version) != 0) {
    return make_error(ErrorCode::kIo, errno_text("PACKET_VERSION V2")).context(where);
  }
  int one = 1;
  if (::setsockopt(port->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) != 0) {
    port->filter_outgoing = true;  // kernels before 4.20: filter by sll_pkttype instead
  }
  if (::setsockopt(port->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) != 0) {
    log.warning(where + ": " + errno_text("PACKET_QDISC_BYPASS") + " (transmit through the qdisc)");
  }
  // A malformed transmit frame is marked TP_STATUS_WRONG_FORMAT and skipped, not retried forever.
  if (::setsockopt(port->fd, SOL_PACKET, PACKET_LOSS, &one, sizeof one) != 0) {
    return make_error(ErrorCode::kIo, errno_text("PACKET_LOSS")).context(where);
  }

  // Slots hold the frame header, the link header, an MTU-sized packet and a VLAN tag's room.
  const uint32_t needed =
      static_cast<uint32_t>(TPACKET_ALIGN(TPACKET2_HDRLEN) + 16 + 18) + port->mtu;
  port->frame_bytes = std::max<uint32_t>(2048, std::bit_ceil(needed));
  const uint32_t block = std::max<uint32_t>(port->frame_bytes, 4096);
  const uint32_t per_block = block / port->frame_bytes;
  tpacket_req req{};
  req.tp_block_size = block;
  req.tp_frame_size = port->frame_bytes;
  req.tp_block_nr = std::max<uint32_t>(1, ring_frames / per_block);
  req.tp_frame_nr = req.tp_block_nr * per_block;
  port->rx_frames = req.tp_frame_nr;
  if (::setsockopt(port->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) != 0) {
    return make_error(ErrorCode::kIo, errno_text("PACKET_RX_RING")).context(where);
  }
  tpacket_req tx = req;
  tx.tp_block_nr = std::max<uint32_t>(1, req.tp_block_nr / 2);
  tx.tp_frame_nr = tx.tp_block_nr * per_block;
  port->tx_frames = tx.tp_frame_nr;
  if (::setsockopt(port->fd, SOL_PACKET, PACKET_TX_RING, &tx, sizeof tx) != 0) {
    return make_error(ErrorCode::kIo, errno_text("PACKET_TX_RING")).context(where);
  }
  const size_t rx_bytes = size_t{req.tp_block_size} * req.tp_block_nr;
  const size_t tx_bytes = size_t{tx.tp_block_size} * tx.tp_block_nr;
  port->map_bytes = rx_bytes + tx_bytes;
  void* map = ::mmap(nullptr, port->map_bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE,
                     port->fd, 0);
  if (map == MAP_FAILED) return make_error(ErrorCode::kIo, errno_text("mmap rings")).context(where);
  port->map = static_cast<std::byte*>(map);
  port->rx_ring = port->map;
  port->tx_ring = port->map + rx_bytes;

  sockaddr_ll addr{};
  addr.sll_family = AF_PACKET;
  addr.sll_protocol = htons(ETH_P_ALL);
  addr.sll_ifindex = port->ifindex;
  if (::bind(port->fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    return make_error(ErrorCode::kIo, errno_text("bind")).context(where);
  }
  // IPv6 neighbour solicitations go to solicited-node multicast groups.
  packet_mreq mreq{};
  mreq.mr_ifindex = port->ifindex;
  mreq.mr_type = PACKET_MR_ALLMULTI;
  if (::setsockopt(port->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mreq, sizeof mreq) != 0) {
    log.warning(where + ": " + errno_text("PACKET_MR_ALLMULTI") +
                " (IPv6 neighbour discovery may miss solicitations)");
  }
  log.info(where + ": mac " + forward::to_string(port->mac) + ", mtu " + std::to_string(port->mtu) +
           ", " + std::to_string(port->rx_frames) + " rx / " + std::to_string(port->tx_frames) +
           " tx slots of " + std::to_string(port->frame_bytes) + " bytes");
  return port;
}

}  // namespace

base::Result<std::unique_ptr<Datapath>> open_afpacket_datapath(const CaptureConfig& config,
                                                               const base::Logger& log) {
  std::vector<std::unique_ptr<Port>> ports;
  for (const std::string& ifname : forward_interfaces(config)) {
    auto port = open_port(ifname, config.forward.ring_frames, log);
    if (!port) return std::move(port).error();
    ports.push_back(std::move(*port));
  }
  const int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) return make_error(ErrorCode::kIo, errno_text("eventfd"));
  return std::unique_ptr<Datapath>(
      new AfPacketDatapath(std::move(ports), stop_fd, config.forward.cpu));
}

}  // namespace snapflow::capture
