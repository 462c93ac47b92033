#include "snapflow/filter/bpf.h"

#include <pcap/pcap.h>

#include <cstring>

#include "snapflow/pcap/record.h"
#include "text_util.h"

namespace snapflow::filter {
namespace {

// pcap_open_dead() takes a DLT_* value; LINKTYPE_* (what files and the ring store) equals it for
// every link type snapflow handles except raw IP (LINKTYPE_RAW 101 = DLT_RAW).
int dlt_of(uint16_t link_type) {
  return link_type == pcap::kLinkRaw ? DLT_RAW : static_cast<int>(link_type);
}

}  // namespace

struct BpfFilter::Program {
  bpf_program code{};
  ~Program() { pcap_freecode(&code); }
};

BpfFilter::BpfFilter(std::unique_ptr<Program> program, std::string text)
    : program_(std::move(program)), text_(std::move(text)) {}
BpfFilter::BpfFilter(BpfFilter&&) noexcept = default;
BpfFilter& BpfFilter::operator=(BpfFilter&&) noexcept = default;
BpfFilter::~BpfFilter() = default;

base::Result<BpfFilter> BpfFilter::compile(std::string_view expression, uint16_t link_type,
                                           uint32_t snaplen, size_t max_bytes) {
  const std::string shown = "BPF filter '" + printable(expression, 80) + "'";
  if (expression.size() > max_bytes) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            shown + ": longer than " + std::to_string(max_bytes) + " bytes");
  }
  if (std::memchr(expression.data(), 0, expression.size()) != nullptr) {
    return base::make_error(base::ErrorCode::kInvalidArgument, shown + ": contains a NUL byte");
  }
  pcap_t* dead = pcap_open_dead(dlt_of(link_type), static_cast<int>(snaplen));
  if (dead == nullptr) {
    return base::make_error(base::ErrorCode::kInternal, "pcap_open_dead failed");
  }
  auto program = std::make_unique<Program>();
  const std::string text(expression);
  const int rc = pcap_compile(dead, &program->code, text.c_str(), 1, PCAP_NETMASK_UNKNOWN);
  std::string why = rc == 0 ? std::string() : printable(pcap_geterr(dead), 200);
  pcap_close(dead);
  if (rc != 0) {
    return base::make_error(base::ErrorCode::kInvalidArgument, shown + ": " + why);
  }
  return BpfFilter(std::move(program), text);
}

bool BpfFilter::matches(std::span<const std::byte> frame, uint32_t wire_length) const {
  pcap_pkthdr header{};
  header.caplen = static_cast<bpf_u_int32>(frame.size());
  header.len = wire_length;
  return pcap_offline_filter(&program_->code, &header,
                             reinterpret_cast<const u_char*>(frame.data())) != 0;
}

size_t BpfFilter::instruction_count() const {
  return program_->code.bf_len;
}

}  // namespace snapflow::filter
