// The PCAP pieces the ring writes and validates: the 24-byte nanosecond file header at the
// start of each segment and the 16-byte record headers. Private to the ring.
#pragma once

#include <cstddef>
#include <cstdint>

#include "snapflow/base/bytes.h"
#include "snapflow/base/time.h"

namespace snapflow::ring {

inline constexpr uint32_t kPcapNsMagic = 0xa1b23c4d;
inline constexpr size_t kRecordHeaderBytes = 16;
// Upper bound on a record's wire length accepted by recovery and readers (jumbo/TSO frames
// fit; garbage rarely does).
inline constexpr uint32_t kMaxWireLength = 1u << 20;

inline void write_file_header(std::byte* out, uint16_t link_type, uint32_t snaplen) {
  base::store_le32(out + 0, kPcapNsMagic);
  base::store_le16(out + 4, 2);  // version 2.4
  base::store_le16(out + 6, 4);
  base::store_le32(out + 8, 0);   // thiszone
  base::store_le32(out + 12, 0);  // sigfigs
  base::store_le32(out + 16, snaplen);
  base::store_le32(out + 20, link_type);
}

inline bool file_header_matches(const std::byte* in, uint16_t link_type, uint32_t snaplen) {
  return base::load_le32(in) == kPcapNsMagic && base::load_le16(in + 4) == 2 &&
         base::load_le16(in + 6) == 4 && base::load_le32(in + 16) == snaplen &&
         base::load_le32(in + 20) == link_type;
}

inline void write_record_header(std::byte* out, int64_t ts_ns, uint32_t captured, uint32_t wire) {
  base::store_le32(out + 0, static_cast<uint32_t>(ts_ns / base::kNsPerSec));
  base::store_le32(out + 4, static_cast<uint32_t>(ts_ns % base::kNsPerSec));
  base::store_le32(out + 8, captured);
  base::store_le32(out + 12, wire);
}

struct RecordHeader {
  int64_t ts_ns = 0;
  uint32_t captured = 0;
  uint32_t wire = 0;
};

// Decodes and validates a record header: 1 <= captured <= snaplen, captured <= wire <=
// kMaxWireLength, nanoseconds < 1e9. All-zero bytes (unwritten, padding) are invalid.
inline bool read_record_header(const std::byte* in, uint32_t snaplen, RecordHeader& out) {
  const uint32_t sec = base::load_le32(in + 0);
  const uint32_t nsec = base::load_le32(in + 4);
  out.captured = base::load_le32(in + 8);
  out.wire = base::load_le32(in + 12);
  out.ts_ns = static_cast<int64_t>(sec) * base::kNsPerSec + nsec;
  return nsec < base::kNsPerSec && out.captured >= 1 && out.captured <= snaplen &&
         out.captured <= out.wire && out.wire <= kMaxWireLength;
}

}  // namespace snapflow::ring
