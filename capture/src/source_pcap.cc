// libpcap capture source: any Linux interface through PF_PACKET TPACKET_V3 (libpcap's default
// on Linux), immediate mode, a large kernel buffer, nanosecond timestamps and the kernel's drop
// counter. Packets are copied once, from the kernel's mmap ring into the batch storage.
//
// Waiting: the pcap handle is non-blocking; next_batch polls its selectable fd together with
// an eventfd that request_stop() signals, so a stop never waits for traffic.
#include <pcap/pcap.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>

#include "snapflow/base/time.h"
#include "snapflow/capture/config.h"
#include "source_impl.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

class PcapSource final : public PacketSource {
 public:
  PcapSource(pcap_t* handle, int stop_fd, std::string name, uint16_t link_type)
      : handle_(handle), stop_fd_(stop_fd), name_(std::move(name)), link_type_(link_type) {}
  ~PcapSource() override {
    pcap_close(handle_);
    ::close(stop_fd_);
  }

  base::Result<size_t> next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) override;
  SourceStats stats() override;
  LinkInfo link() override { return read_link_info(interface_); }
  void request_stop() override {
    // Pairs with the acquire load in next_batch; the eventfd wakes a poll in progress.
    stopping_.store(true, std::memory_order_release);
    pcap_breakloop(handle_);
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(stop_fd_, &one, sizeof one);
  }
  const std::string& name() const override { return name_; }
  uint16_t link_type() const override { return link_type_; }

  std::string interface_;

 private:
  struct Fill {
    pcap::PacketBatch* batch;
    size_t used_bytes;
    size_t max_packets;
    PcapSource* self;
  };
  static void on_packet(u_char* user, const pcap_pkthdr* header, const u_char* bytes);

  pcap_t* handle_;
  int stop_fd_;
  std::string name_;
  uint16_t link_type_;
  std::atomic<bool> stopping_{false};
  // A packet that did not fit the previous batch; it goes first into the next one.
  std::vector<std::byte> overflow_;
  pcap_pkthdr overflow_header_{};
  bool has_overflow_ = false;
  // Written by the capture thread once per batch, read by stats() from any thread.
  std::atomic<uint64_t> received_{0};
  std::atomic<uint64_t> bytes_{0};
  // pcap_stats is not documented thread-safe against pcap_dispatch; serialise it.
  std::mutex stats_mutex_;
};

void PcapSource::on_packet(u_char* user, const pcap_pkthdr* header, const u_char* bytes) {
  auto* fill = reinterpret_cast<Fill*>(user);
  auto& batch = *fill->batch;
  size_t len = header->caplen;
  if (fill->used_bytes + len > batch.storage.size() || batch.records.size() >= fill->max_packets) {
    // The dispatch count keeps this from happening except for a burst of jumbo frames; the
    // caller sized pcap_dispatch so that at least one packet always fits.
    pcap_breakloop(fill->self->handle_);
    fill->self->overflow_.assign(reinterpret_cast<const std::byte*>(bytes),
                                 reinterpret_cast<const std::byte*>(bytes) + len);
    fill->self->overflow_header_ = *header;
    fill->self->has_overflow_ = true;
    return;
  }
  std::byte* dst = batch.storage.data() + fill->used_bytes;
  std::memcpy(dst, bytes, len);
  pcap::PacketRecord& r = batch.records.emplace_back();
  // PCAP_TSTAMP_PRECISION_NANO: tv_usec holds nanoseconds.
  r.ts_ns = static_cast<int64_t>(header->ts.tv_sec) * base::kNsPerSec + header->ts.tv_usec;
  r.data = dst;
  r.captured_length = header->caplen;
  r.wire_length = header->len;
  r.link_type = fill->self->link_type_;
  fill->used_bytes += len;
}

base::Result<size_t> PcapSource::next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) {
  batch.clear();
  Fill fill{&batch, 0, std::min(batch.records.capacity(), kBatchMaxPackets), this};
  if (fill.max_packets == 0) fill.max_packets = kBatchMaxPackets;
  if (has_overflow_) {
    has_overflow_ = false;
    on_packet(reinterpret_cast<u_char*>(&fill), &overflow_header_,
              reinterpret_cast<const u_char*>(overflow_.data()));
  }
  while (!stopping_.load(std::memory_order_acquire)) {
    int remaining = static_cast<int>(fill.max_packets - batch.records.size());
    int n = remaining > 0 && !has_overflow_
                ? pcap_dispatch(handle_, remaining, &PcapSource::on_packet,
                                reinterpret_cast<u_char*>(&fill))
                : 0;
    if (n == PCAP_ERROR) {
      return make_error(ErrorCode::kIo, std::string("pcap_dispatch: ") + pcap_geterr(handle_))
          .context(name_);
    }
    // n == PCAP_ERROR_BREAK: the batch filled up or a stop was requested.
    if (n == PCAP_ERROR_BREAK || has_overflow_ || batch.records.size() >= fill.max_packets) break;
    if (n > 0) continue;        // more may be waiting in the kernel ring
    if (!batch.empty()) break;  // nothing more right now: hand over what we have
    int64_t wait_ns = deadline_ns - base::now_monotonic_ns();
    if (wait_ns <= 0) break;
    pollfd fds[2] = {{pcap_get_selectable_fd(handle_), POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    int timeout_ms = static_cast<int>(std::min<int64_t>(wait_ns / base::kNsPerMs + 1, 1000));
    if (::poll(fds, 2, timeout_ms) < 0 && errno != EINTR) {
      return make_error(ErrorCode::kIo, std::string("poll: ") + std::strerror(errno))
          .context(name_);
    }
    if (fds[0].revents & (POLLERR | POLLNVAL)) {
      return make_error(ErrorCode::kIo, "interface went away (POLLERR)").context(name_);
    }
  }
  uint64_t bytes = 0;
  for (const auto& r : batch.records) bytes += r.wire_length;
  // Single writer (the capture thread); relaxed is enough for monotonic counters.
  received_.fetch_add(batch.records.size(), std::memory_order_relaxed);
  bytes_.fetch_add(bytes, std::memory_order_relaxed);
  return batch.records.size();
}

SourceStats PcapSource::stats() {
  SourceStats s;
  s.packets_received = received_.load(std::memory_order_relaxed);
  s.bytes_received = bytes_.load(std::memory_order_relaxed);
  std::lock_guard lock(stats_mutex_);
  pcap_stat ps{};
  if (pcap_stats(handle_, &ps) == 0) {
    // ps_drop: no room in the kernel buffer; ps_ifdrop: dropped by the interface/driver.
    s.packets_dropped = ps.ps_drop + ps.ps_ifdrop;
  }
  return s;
}

base::Result<std::unique_ptr<PacketSource>> open_pcap_source(const CaptureConfig& config,
                                                             std::string_view iface,
                                                             const base::Logger& log) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  std::string name = "pcap:" + std::string(iface);
  pcap_t* handle = pcap_create(std::string(iface).c_str(), errbuf);
  if (!handle)
    return make_error(ErrorCode::kIo, std::string("pcap_create: ") + errbuf).context(name);
  auto fail = [&](std::string_view what, int rc) -> base::Error {
    std::string msg =
        std::string(what) + ": " + (rc == PCAP_ERROR ? pcap_geterr(handle) : pcap_statustostr(rc));
    pcap_close(handle);
    return make_error(ErrorCode::kIo, std::move(msg)).context(name);
  };
  if (int rc = pcap_set_snaplen(handle, static_cast<int>(config.snaplen)); rc != 0) {
    return fail("pcap_set_snaplen", rc);
  }
  if (int rc = pcap_set_promisc(handle, 1); rc != 0) return fail("pcap_set_promisc", rc);
  if (int rc = pcap_set_immediate_mode(handle, 1); rc != 0)
    return fail("pcap_set_immediate_mode", rc);
  if (int rc = pcap_set_buffer_size(
          handle, static_cast<int>(std::min<uint64_t>(config.pcap_buffer_bytes, INT32_MAX)));
      rc != 0) {
    return fail("pcap_set_buffer_size", rc);
  }
  if (int rc = pcap_set_tstamp_precision(handle, PCAP_TSTAMP_PRECISION_NANO); rc != 0) {
    return fail("pcap_set_tstamp_precision(nano)", rc);
  }
  int rc = pcap_activate(handle);
  if (rc < 0) return fail("pcap_activate", rc);
  if (rc > 0) log.warning(name + ": pcap_activate: " + pcap_statustostr(rc));
  // Capture only what arrives: our own transmissions would double-count on a mirror port.
  if (pcap_setdirection(handle, PCAP_D_IN) != 0) {
    log.warning(name + ": cannot restrict to inbound packets: " + pcap_geterr(handle));
  }
  if (!config.bpf_filter.empty()) {
    bpf_program program{};
    if (pcap_compile(handle, &program, config.bpf_filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
      return fail("--bpf-filter=" + config.bpf_filter, PCAP_ERROR);
    }
    int set = pcap_setfilter(handle, &program);
    pcap_freecode(&program);
    if (set != 0) return fail("pcap_setfilter", PCAP_ERROR);
  }
  if (pcap_setnonblock(handle, 1, errbuf) != 0) {
    pcap_close(handle);
    return make_error(ErrorCode::kIo, std::string("pcap_setnonblock: ") + errbuf).context(name);
  }
  int stop_fd = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd < 0) {
    pcap_close(handle);
    return make_error(ErrorCode::kIo, "eventfd failed").context(name);
  }
  int dlt = pcap_datalink(handle);
  // DLT and LINKTYPE values agree for the link types snapflow decodes (Ethernet, SLL, SLL2).
  uint16_t link_type =
      static_cast<uint16_t>(dlt == DLT_EN10MB ? uint16_t{pcap::kLinkEthernet} : dlt);
  auto source = std::make_unique<PcapSource>(handle, stop_fd, name, link_type);
  source->interface_ = iface;
  return std::unique_ptr<PacketSource>(std::move(source));
}

}  // namespace

base::Result<std::vector<std::unique_ptr<PacketSource>>> make_pcap_sources(
    const CaptureConfig& config, const base::Logger& log) {
  std::string_view iface = std::string_view(config.source).substr(5);
  auto source = open_pcap_source(config, iface, log);
  if (!source) return std::move(source).error();
  std::vector<std::unique_ptr<PacketSource>> out;
  out.push_back(std::move(*source));
  return out;
}

}  // namespace snapflow::capture
