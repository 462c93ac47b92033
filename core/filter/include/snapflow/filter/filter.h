// core/filter: which packets a PCAP download keeps (DESIGN.md §5; docs/capture.md, "Retrieval").
//
// Two languages, one predicate:
//   * Filter=     fmadio's filter blocks and boolean expressions (parse.h has the grammar):
//                   tcp.port==443                                 (the single-block shortcut)
//                   web:tcp.port==80,443;vm:inner.ipv4.addr==10.0.0.0/8;expr=web&vm
//                 Address, port and protocol blocks test the outer headers; with an `inner.`
//                 prefix the innermost headers of a tunnelled packet (program.h).
//   * FilterBPF=  a tcpdump expression, compiled and run by libpcap (bpf.h).
// PacketFilter::compile() builds either or both once (a packet must pass both); matches() is
// then const, thread-safe and allocation-free, and decodes a packet only as deep as the
// Filter= expression needs. One PacketFilter may be shared by any number of threads.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "snapflow/base/result.h"
#include "snapflow/filter/bpf.h"
#include "snapflow/filter/parse.h"
#include "snapflow/filter/program.h"

namespace snapflow::filter {

class PacketFilter {
 public:
  PacketFilter() = default;  ///< keeps every packet

  // filter: fmadio text (empty = none); bpf: tcpdump text (empty = none). link_type and
  // snaplen describe the frames (the ring's). Errors are kInvalidArgument, one line, and say
  // which of the two failed ("filter position 3 at ..." / "BPF filter '...': ...").
  static base::Result<PacketFilter> compile(std::string_view filter, std::string_view bpf,
                                            uint16_t link_type, uint32_t snaplen,
                                            const FilterLimits& limits = {});

  bool matches(int64_t ts_ns, std::span<const std::byte> frame, uint32_t wire_length) const {
    if (bpf_ && !bpf_->matches(frame, wire_length)) return false;
    return program_.matches(ts_ns, frame, wire_length, link_type_);
  }
  bool keeps_everything() const { return !bpf_ && program_.matches_everything(); }

  const FilterProgram& program() const { return program_; }
  const std::optional<BpfFilter>& bpf() const { return bpf_; }

 private:
  FilterProgram program_;
  std::optional<BpfFilter> bpf_;
  uint16_t link_type_ = 1;
};

}  // namespace snapflow::filter
