// verify_segment(): a scrub of one segment with the ring's own reader, so it finds exactly
// what a consumer would skip.
#include "snapflow/ring/checksum.h"
#include "snapflow/ring/reader.h"

namespace snapflow::ring {

base::Result<SegmentVerification> verify_segment(const RingLayout& layout, uint32_t slot) {
  const std::string where = "verify segment slot " + std::to_string(slot) + " of " + layout.dir;
  auto info = read_segment_info(layout, slot);
  if (!info.ok()) return std::move(info).error().context(where);
  SegmentVerification out;
  out.segment_seq = info->seq;
  out.has_checksums = info->has_checksums();
  if (info->state == SegmentState::kEmpty || info->committed_bytes <= kSegmentHeaderBytes) {
    return out;
  }
  auto reader = RingReader::open(layout.dir);
  if (!reader.ok()) return std::move(reader).error().context(where);
  RingReader& r = **reader;
  r.seek(info->start());
  const RingPosition end = info->end();
  pcap::PacketBatch batch;
  while (r.position().segment_seq == info->seq && r.position().offset < end.offset) {
    auto st = r.next_batch(batch, 4096);
    if (!st.ok()) return std::move(st).error().context(where);
    if (*st == ReadStatus::kRecords) {
      out.records += batch.size();
    } else if (*st == ReadStatus::kCorrupt) {
      out.damage.push_back(r.last_corruption());
    } else {
      break;  // kEnd (reused meanwhile: checked below) or kGap (likewise)
    }
  }
  auto after = read_segment_info(layout, slot);
  if (!after.ok()) return std::move(after).error().context(where);
  if (after->seq != info->seq) {
    return base::make_error(base::ErrorCode::kUnavailable,
                            "segment " + std::to_string(info->seq) + " was reused while verified")
        .context(where);
  }
  out.bytes_checked = info->has_checksums() ? info->committed_bytes : 0;
  return out;
}

}  // namespace snapflow::ring
