// MirrorSource: a capture source that receives VPC Traffic Mirroring (VXLAN) or Gateway Load
// Balancer (Geneve) traffic, as a decorator around any other source (pcap:IFACE or dpdk).
//
// For every batch the wrapped source delivers, each packet is classified (mirror_decap.h) and
// counted under its session: the VNI, named by --mirror-session VNI=NAME (VNIs not named are
// counted under "other"). Mirror packets are stored as received (--mirror-store=outer, the
// default: the VNI stays in every stored packet, so pcap2json's snapflow.tunnel.vni names the
// session) or as the mirrored frame alone (--mirror-store=inner: the record is cut to the inner
// frame in place; Geneve's IP payloads get an Ethernet header from the outer one). Packets that
// are not mirror traffic are counted and, unless --mirror-other=keep, not stored.
//
// Never answering: a kernel that receives UDP to a port nobody listens on answers ICMP port
// unreachable, which on a mirror target would go back into the VPC once per mirrored packet
// (rate-limited, but never useful). With a kernel source (pcap:) and --mirror-sink=true the
// source binds a UDP socket on each mirror port (IPv4 and IPv6) with a socket filter that drops
// everything: the kernel finds a listener, sends no ICMP, and discards the datagrams without
// queueing them (counted by the kernel as UDP InErrors). docs/aws.md gives the equivalent
// nftables rule for those who prefer it.
//
// Thread-safety: as PacketSource; counters() is readable from any thread.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "mirror_decap.h"
#include "snapflow/capture/cloud_config.h"
#include "snapflow/capture/source.h"
#include "snapflow/forward/counters.h"

namespace snapflow::capture {

struct MirrorSessionCounters {
  std::string name;  ///< configured name, or "other"
  uint32_t vni = 0;
  forward::Counter packets;
  forward::Counter bytes;        ///< wire bytes of the received (outer) packets
  forward::Counter inner_bytes;  ///< wire bytes of the mirrored frames
};

class MirrorSource final : public PacketSource {
 public:
  // Wraps inner; binds the sink sockets when sink is true. Fails when a sink cannot be bound
  // for a reason other than the port being taken already.
  static base::Result<std::unique_ptr<MirrorSource>> wrap(std::unique_ptr<PacketSource> inner,
                                                          const MirrorConfig& config, bool sink,
                                                          const base::Logger& log);
  ~MirrorSource() override;

  base::Result<size_t> next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) override;
  SourceStats stats() override { return inner_->stats(); }
  LinkInfo link() override { return inner_->link(); }
  void request_stop() override { inner_->request_stop(); }
  const std::string& name() const override { return name_; }
  uint16_t link_type() const override { return inner_->link_type(); }

  // Counters: per configured session, then "other" (last).
  const std::vector<std::unique_ptr<MirrorSessionCounters>>& sessions() const { return sessions_; }
  uint64_t verdicts(MirrorVerdict v) const { return verdicts_[static_cast<size_t>(v)].get(); }
  std::string summary() const;

 private:
  MirrorSource(std::unique_ptr<PacketSource> inner, const MirrorConfig& config);
  // Classifies, counts, and compacts batch in place; returns the records kept.
  size_t filter(pcap::PacketBatch& batch);
  MirrorSessionCounters& session(uint32_t vni);

  std::unique_ptr<PacketSource> inner_;
  MirrorConfig config_;
  std::string name_;
  std::vector<std::unique_ptr<MirrorSessionCounters>> sessions_;
  std::array<forward::Counter, static_cast<size_t>(MirrorVerdict::kCount)> verdicts_;
  std::vector<int> sink_fds_;
};

}  // namespace snapflow::capture
