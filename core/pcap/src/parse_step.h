// The contract between the batch driver (format_reader.h) and a file format (classic PCAP,
// PCAPNG). A format looks at the unparsed bytes the driver has in storage and says what the
// next thing there is: a packet record, bytes to pass over, a need for more bytes, an error or
// the end. The format never reads, allocates or owns packet bytes; the driver never interprets
// them. Keeping I/O and parsing apart is what lets every format work on pipes and straddling
// chunks without code of its own for either.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "snapflow/base/result.h"
#include "snapflow/pcap/reader.h"

namespace snapflow::pcap {

enum class StepKind : uint8_t {
  kRecord,    ///< a packet: bytes consumed, data at data_offset
  kSkip,      ///< pass over `bytes` (headers, non-packet blocks, skipped garbage)
  kNeedMore,  ///< fewer than `bytes` bytes are available from here; only when !eof
  kError,     ///< the format holds an error (take_error()); input cannot continue
  kEnd,       ///< clean end of input
};

struct ParseStep {
  StepKind kind = StepKind::kEnd;
  size_t bytes = 0;
  size_t data_offset = 0;
  int64_t ts_ns = 0;
  uint32_t captured_length = 0;
  uint32_t wire_length = 0;
  uint16_t link_type = 0;
  uint16_t interface_id = 0;

  static ParseStep skip(size_t n) { return {StepKind::kSkip, n}; }
  static ParseStep need(size_t n) { return {StepKind::kNeedMore, n}; }
  static ParseStep error() { return {StepKind::kError, 0}; }
  static ParseStep end() { return {StepKind::kEnd, 0}; }
};

// What a format sees of its reader: the input's name for messages, the options, and the
// counters it maintains itself (skipped records and bytes).
struct ParseContext {
  const std::string* name;
  const ReaderOptions* options;
  ReaderStats* stats;
};

// "name: what": the location prefix is built by the format, which knows its record numbering.
inline base::Error located_error(base::ErrorCode code, const ParseContext& ctx,
                                 std::string_view unit, uint64_t number, uint64_t offset,
                                 std::string_view what) {
  std::string message = *ctx.name;
  message.append(": ")
      .append(unit)
      .append(" ")
      .append(std::to_string(number))
      .append(" at byte ")
      .append(std::to_string(offset))
      .append(": ")
      .append(what);
  return base::make_error(code, std::move(message));
}

}  // namespace snapflow::pcap
