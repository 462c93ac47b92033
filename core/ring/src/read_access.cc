// Read-only accessors for readers outside the ring unit that manage their own file handles:
// the metadata and record-header decoders of segment_meta.h and record_format.h, unchanged.
#include "record_format.h"
#include "segment_meta.h"
#include "snapflow/ring/ring.h"

namespace snapflow::ring {

SegmentInfo decode_segment_meta(std::span<const std::byte> file_bytes, uint32_t slot) {
  return decode_meta_file(file_bytes.data(), file_bytes.size(), slot, nullptr);
}

bool parse_record_header(const std::byte* header, uint32_t snaplen, int64_t& ts_ns,
                         uint32_t& captured, uint32_t& wire) {
  RecordHeader h;
  const bool ok = read_record_header(header, snaplen, h);
  ts_ns = h.ts_ns;
  captured = h.captured;
  wire = h.wire;
  return ok;
}

}  // namespace snapflow::ring

static_assert(snapflow::ring::kSegmentMetaFileBytes == 2 * snapflow::ring::kMetaSlotBytes);
