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

}  // namespace snapflow::extract
