// Text forms of the retrieval listings, shared by the capture API (/plain/view, /plain/split,
// ?format=json) and snapflow-pcap (view, split, --format json). docs/capture.md ("Retrieval")
// documents both formats. Pure functions.
//
// CSV (fmadio style: one row per line, no header line, fields never need quoting because
// capture names are [A-Za-z0-9._-]):
//   view:   SplitMode,Link split_1sec,/plain/split?StreamName=x&StreamView=split_1sec split:
//   Name,Size Bytes,Packet Count,URL        x_20261123_000001,81624,1000,/pcap/splittime?...
// JSON: one object; see the functions.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/extract/ring_index.h"
#include "snapflow/extract/split.h"

namespace snapflow::extract {

std::string render_views_csv(const std::vector<ViewRow>& rows);
// {"stream":"x"|null,"views":[{"split_mode":"split_1sec","link":"/plain/split?..."}, ...]}
std::string render_views_json(std::string_view stream, const std::vector<ViewRow>& rows);

std::string render_splits_csv(const SplitTable& table);
// {"stream":"x"|null,"split_mode":"split_1sec","packets":N,"size_bytes":N (Σ rows),
//  "splits":[{"name":..,"start_ns":..,"stop_ns":..,"start":"RFC 3339","stop":"RFC 3339",
//             "size_bytes":..,"packets":..,"url":".."}, ...]}
std::string render_splits_json(const SplitTable& table);

// The captures of a ring with what a download of each serves now (overwritten data is not
// counted): snapflow-pcap list; the same columns as /plain/list without its links.
struct CaptureRow {
  std::string name;
  uint64_t pcap_bytes = 24;
  uint64_t packets = 0;
  int64_t start_ns = 0;
  int64_t stop_ns = 0;  ///< 0 while active
  bool active = false;
};
base::Result<std::vector<CaptureRow>> capture_rows(RingIndex& index);
// name,size_bytes,packets,start (RFC 3339),stop (RFC 3339 or "active")
std::string render_captures_csv(const std::vector<CaptureRow>& rows);
// {"captures":[{"name","size_bytes","packets","start_ns","stop_ns" (0 = active),"active"}]}
std::string render_captures_json(const std::vector<CaptureRow>& rows);

// What a ring holds: snapflow-pcap info.
struct RingInfo {
  std::string dir;
  uint64_t segment_bytes = 0;
  uint32_t segment_count = 0;
  uint16_t link_type = 0;
  uint32_t snaplen = 0;
  uint64_t segments_live = 0;
  uint64_t packets = 0;
  uint64_t pcap_bytes = 24;  ///< the whole ring as one PCAP
  int64_t oldest_ns = 0;     ///< 0 when empty
  int64_t newest_ns = 0;
};
base::Result<RingInfo> ring_info(RingIndex& index);
std::string render_ring_info_text(const RingInfo& info);  ///< "key value" lines
std::string render_ring_info_json(const RingInfo& info);

}  // namespace snapflow::extract
