// BpfFilter: a tcpdump expression (FilterBPF= in PCAP URLs, --bpf in snapflow-pcap), compiled
// by libpcap and run by libpcap's BPF interpreter -- never re-implemented here.
//
// compile() calls pcap_compile() (optimised, netmask unknown) on a pcap_open_dead() handle of
// the capture's link type and snap length, so the program reads exactly the offsets tcpdump
// would on the same capture. matches() is pcap_offline_filter(): const, thread-safe,
// allocation-free. libpcap's own message explains a compile error ("syntax error", "unknown
// host 'x'"); it has no positions to offer.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::filter {

class BpfFilter {
 public:
  // link_type: LINKTYPE_* of the frames (snapflow::pcap::LinkType); max_bytes bounds the text.
  static base::Result<BpfFilter> compile(std::string_view expression, uint16_t link_type,
                                         uint32_t snaplen, size_t max_bytes);

  bool matches(std::span<const std::byte> frame, uint32_t wire_length) const;

  const std::string& text() const { return text_; }
  size_t instruction_count() const;

  BpfFilter(BpfFilter&&) noexcept;
  BpfFilter& operator=(BpfFilter&&) noexcept;
  ~BpfFilter();

 private:
  struct Program;
  BpfFilter(std::unique_ptr<Program> program, std::string text);
  std::unique_ptr<Program> program_;
  std::string text_;
};

}  // namespace snapflow::filter
