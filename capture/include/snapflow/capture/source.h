// Capture sources: where packets come from before they reach the SSD ring.
//
// Data flow: one capture thread per source calls next_batch() in a loop; each call fills a
// whole pcap::PacketBatch (records point into batch.storage) and costs one virtual call, never
// one per packet. The thread then pushes the batch pointer into its own SpscRing, which the ring
// writer thread (spooler.h) drains into the RingWriter. Sources are picked by name at startup
// (make_sources): "pcap:IFACE" (libpcap, always built) or "dpdk" (only when snapflow was built
// with DPDK; see source_dpdk.cc). A DPDK configuration with several ports/RX queues yields one
// PacketSource per queue, so every source is single-threaded and owns its state.
//
// Thread-safety: next_batch() is called by exactly one thread. stats(), link() and
// request_stop() may be called from any thread at any time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/pcap/record.h"

namespace snapflow::capture {

struct CaptureConfig;

// Counters since the source was opened. received counts packets handed to snapflow; dropped
// counts packets the kernel or NIC had to discard (buffer full, no mbufs); errors counts frames
// the NIC received in error.
struct SourceStats {
  uint64_t packets_received = 0;
  uint64_t bytes_received = 0;  ///< wire bytes of received packets
  uint64_t packets_dropped = 0;
  uint64_t packets_errors = 0;
};

struct LinkInfo {
  bool up = false;
  uint64_t speed_mbps = 0;  ///< 0 when unknown
};

class PacketSource {
 public:
  virtual ~PacketSource() = default;
  PacketSource() = default;
  PacketSource(const PacketSource&) = delete;
  PacketSource& operator=(const PacketSource&) = delete;

  // Clears batch and fills it with the packets available before deadline_ns (monotonic clock,
  // base::now_monotonic_ns()). Returns as soon as at least one packet is in the batch and no
  // more are immediately available, or the batch is full. Returns 0 when the deadline passed
  // with no packet, when request_stop() was called, or when a finite source (a replayed file)
  // is idle; 0 is never an error. Errors (interface gone, driver failure) are Result errors.
  virtual base::Result<size_t> next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) = 0;

  // Thread-safe snapshot of the counters; may query the kernel/NIC.
  virtual SourceStats stats() = 0;
  virtual LinkInfo link() = 0;
  // Thread-safe; makes a blocked or future next_batch() return 0 promptly.
  virtual void request_stop() = 0;

  virtual const std::string& name() const = 0;
  virtual uint16_t link_type() const = 0;  ///< pcap::LinkType of every record
};

// Storage sizes of the batches a capture thread cycles through.
inline constexpr size_t kBatchStorageBytes = 4 << 20;
inline constexpr size_t kBatchMaxPackets = 2048;

// Prepares a batch for use with a source: storage sized once, records reserved once.
void prepare_batch(pcap::PacketBatch& batch, size_t storage_bytes = kBatchStorageBytes,
                   size_t max_packets = kBatchMaxPackets);

// Opens the sources named by config.source. Opening needs privileges (raw sockets, NIC access);
// the caller drops them afterwards. Names of the registered backends: available_sources().
base::Result<std::vector<std::unique_ptr<PacketSource>>> make_sources(const CaptureConfig& config,
                                                                      const base::Logger& log);
std::vector<std::string_view> available_sources();

}  // namespace snapflow::capture
