// Datapath: how the forwarder's frames enter and leave the machine. Two implementations,
// chosen by --source: AF_PACKET rings on Linux interfaces (datapath_afpacket.cc) and a DPDK
// port pair (datapath_dpdk.cc, built only with DPDK). Both run the same ForwardEngine.
//
// A datapath owns its ports (one or two) and runs the forwarding loop on the thread that calls
// run(): receive a burst per port, hand each frame to the engine between begin_batch() and
// end_batch(), transmit what the engine forwards or answers, and call hooks.poll() after every
// burst and at least every few milliseconds when idle (capture batch hand-over, engine timers).
// Transmission applies backpressure rather than loss: when a port's transmit ring is full the
// loop waits for it, so an overloaded egress makes the *receive* rings fill and the kernel or
// NIC drop (and count) there. run() returns when request_stop() is called, or with an error
// when a port fails.
//
// The FrameEmitter side (frames the engine builds) is called from inside the loop only.
// stats() and link() may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "snapflow/base/result.h"
#include "snapflow/capture/source.h"
#include "snapflow/forward/engine.h"

namespace snapflow::capture {

struct DatapathStats {
  uint64_t rx_packets = 0;
  uint64_t rx_bytes = 0;
  uint64_t rx_dropped = 0;  ///< kernel ring full (tp_drops) or NIC (imissed + rx_nombuf)
  uint64_t rx_refused = 0;  ///< frames the datapath could not hand to the engine (oversize,
                            ///< VLAN-stripped, multi-segment)
  uint64_t tx_packets = 0;
  uint64_t tx_errors = 0;  ///< frames the kernel or NIC rejected after we queued them
  // Time the datapath thread spent on iterations that received something (receive, engine,
  // capture copies, transmit), not on empty polls nor waiting for a full transmit ring:
  // busy_ticks / rx_packets is the cost of a packet, the figure dpdk-testpmd
  // --record-core-cycles reports. DPDK: TSC cycles; AF_PACKET:
  // nanoseconds. ticks_per_second converts.
  uint64_t busy_ticks = 0;
  uint64_t ticks_per_second = 0;
};

class DatapathHooks {
 public:
  virtual ~DatapathHooks() = default;
  // now_ns: monotonic. Called on the datapath thread, outside begin_batch/end_batch.
  virtual void poll(int64_t now_ns) = 0;
};

class Datapath : public forward::FrameEmitter {
 public:
  // Fills in each port's MAC address and MTU (ports.size() == number of datapath ports).
  virtual base::Status describe(forward::Ports& ports) = 0;
  virtual base::Status run(forward::ForwardEngine& engine, DatapathHooks& hooks) = 0;
  virtual void request_stop() = 0;
  virtual DatapathStats stats() const = 0;
  virtual LinkInfo link() = 0;
  virtual const std::string& name() const = 0;
  virtual size_t port_count() const = 0;
  // The CPU the datapath thread should run on alone (-1: wherever the scheduler puts it).
  virtual int cpu() const = 0;
};

struct CaptureConfig;

// AF_PACKET datapath on the interfaces named in --source=forward:afpacket:IF0[,IF1].
base::Result<std::unique_ptr<Datapath>> open_afpacket_datapath(const CaptureConfig& config,
                                                               const base::Logger& log);
// DPDK datapath on --dpdk-ports (one or two), EAL from --dpdk-eal-args.
base::Result<std::unique_ptr<Datapath>> open_dpdk_datapath(const CaptureConfig& config,
                                                           const base::Logger& log);

}  // namespace snapflow::capture
