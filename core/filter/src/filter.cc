#include "snapflow/filter/filter.h"

namespace snapflow::filter {

base::Result<PacketFilter> PacketFilter::compile(std::string_view filter, std::string_view bpf,
                                                 uint16_t link_type, uint32_t snaplen,
                                                 const FilterLimits& limits) {
  PacketFilter out;
  out.link_type_ = link_type;
  if (!filter.empty()) {
    auto program = parse_filter(filter, limits);
    if (!program.ok()) return std::move(program).error();
    out.program_ = std::move(*program);
  }
  if (!bpf.empty()) {
    auto compiled = BpfFilter::compile(bpf, link_type, snaplen, limits.max_bytes);
    if (!compiled.ok()) return std::move(compiled).error();
    out.bpf_.emplace(std::move(*compiled));
  }
  return out;
}

}  // namespace snapflow::filter
