// Encoders of the served file formats: classic nanosecond PCAP (records copied verbatim from
// the ring, whose segments are that format) and PCAPNG (SHB, one IDB with if_tsresol = 9, one
// EPB per record). Both little-endian, written explicitly so the ring's little-endian records
// and the file header always agree. Private.
#pragma once

#include <cstddef>
#include <cstdint>

#include "snapflow/extract/extract.h"

namespace snapflow::extract {

inline constexpr size_t kRecordHeaderBytes = 16;

size_t file_header_size(OutputFormat format);
void encode_file_header(OutputFormat format, uint16_t link_type, uint32_t snaplen, std::byte* out);

// Bytes one ring record (16-byte header + captured bytes) takes in the output.
inline size_t encoded_record_size(OutputFormat format, uint32_t captured) {
  if (format == OutputFormat::kPcap) return kRecordHeaderBytes + captured;
  return 32 + ((static_cast<size_t>(captured) + 3) & ~size_t{3});  // EPB: 28 + data + pad + 4
}

// Encodes one ring record (its 16-byte header at record, data after it) into out, which holds
// encoded_record_size() bytes.
void encode_record(OutputFormat format, const std::byte* record, int64_t ts_ns, uint32_t captured,
                   uint32_t wire, std::byte* out);

}  // namespace snapflow::extract
