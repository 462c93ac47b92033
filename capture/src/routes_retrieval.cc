// Retrieval routes: /pcap/splittime (a time window of the ring or of a named capture, filtered,
// PCAP or PCAPNG), /plain/view (the split modes of a capture or the ring) and /plain/split
// (one split mode's rows, each a /pcap/splittime link). Plus the download they and
// /pcap/single share. All of it is glue over core/extract, the code snapflow-pcap runs.
#include "retrieval.h"
#include "snapflow/extract/render.h"
#include "snapflow/extract/split.h"
#include "snapflow/filter/time_text.h"

namespace snapflow::capture {
namespace {

constexpr std::string_view kCsv = "text/csv; charset=utf-8";
constexpr std::string_view kJson = "application/json";

// format=csv (default) or format=json; false with *why set otherwise.
bool wants_json(const ApiRequest& req, std::string* why) {
  const std::string* format = find_arg(req, "format");
  if (format == nullptr || *format == "csv") return false;
  if (*format == "json") return true;
  *why = "format: csv or json";
  return false;
}

ApiResponse listing(bool json, std::string body) {
  ApiResponse r;
  r.content_type = json ? kJson : kCsv;
  r.body = std::move(body);
  return r;
}

// The optional StreamName: "" for the whole ring; null with *why set when invalid.
const std::string* optional_stream(const ApiRequest& req, std::string* why) {
  static const std::string kWholeRing;
  if (find_arg(req, "StreamName") == nullptr) return &kWholeRing;
  return stream_name_arg(req, why);
}

bool capture_exists(ApiContext& context, const std::string& name) {
  for (const CaptureInfo& c : context.control.list_captures()) {
    if (c.name == name) return true;
  }
  return false;
}

}  // namespace

const RetrievalLimits& retrieval_limits(const ApiContext& context) {
  static const RetrievalLimits kDefaults;
  return context.retrieval != nullptr ? *context.retrieval : kDefaults;
}

ApiResponse error_response(const base::Error& error, std::string_view what) {
  switch (error.code()) {
    case base::ErrorCode::kInvalidArgument:
      return text_response(400, error.message());
    case base::ErrorCode::kNotFound:
      return text_response(404, error.message());
    case base::ErrorCode::kUnavailable: {
      ApiResponse r = text_response(503, std::string(what) + ": " + error.message());
      r.headers.push_back({"Retry-After", "1"});
      return r;
    }
    default:
      return text_response(500, std::string(what) + ": " + error.to_string());
  }
}

std::optional<std::string_view> optional_arg(const ApiRequest& request, std::string_view name) {
  const std::string* value = find_arg(request, name);
  return value ? std::optional<std::string_view>(*value) : std::nullopt;
}

ApiResponse ring_download(std::unique_ptr<extract::RingIndex> index,
                          const extract::RequestText& text, const RetrievalLimits& limits) {
  extract::ExtractLimits bounds;
  bounds.filter.max_bytes = limits.max_filter_bytes;
  bounds.max_window_ns = limits.max_window_ns;
  auto request = extract::make_request(text, bounds);
  if (!request.ok()) return text_response(400, request.error().message());
  auto plan = extract::plan_extract(*index, *request, bounds);
  if (!plan.ok()) return error_response(plan.error(), "plan the download");
  if (plan->outside) {
    ApiResponse r = text_response(416, plan->outside_message());
    r.headers.push_back({"X-Snapflow-Oldest-Ns", std::to_string(plan->available_first_ns)});
    r.headers.push_back({"X-Snapflow-Newest-Ns", std::to_string(plan->available_last_ns)});
    return r;
  }
  const bool pcapng = plan->request.format == extract::OutputFormat::kPcapng;
  const std::string scope = plan->request.stream.empty() ? "ring" : plan->request.stream;
  const std::string name =
      plan->request.start_ns ? scope + "_" + filter::format_compact_second(*plan->request.start_ns)
                             : scope;
  ApiResponse r;
  r.content_type = pcapng ? "application/x-pcapng" : "application/vnd.tcpdump.pcap";
  r.download_name = name + (pcapng ? ".pcapng" : ".pcap");
  // The window's unfiltered totals, known before the first byte (progress bars); the download
  // is exactly this when unfiltered PCAP and nothing is overwritten meanwhile.
  r.headers.push_back({"X-Snapflow-Window-Packets", std::to_string(plan->packets)});
  r.headers.push_back({"X-Snapflow-Window-Pcap-Bytes", std::to_string(plan->pcap_bytes)});
  auto extractor = extract::Extractor::start(std::move(index), std::move(*plan));
  if (!extractor.ok()) return error_response(extractor.error(), "start the download");
  r.stream = std::make_unique<ExtractBody>(std::move(*extractor));
  return r;
}

ApiResponse route_splittime(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"StreamName", "Start", "Stop", "Filter", "FilterBPF", "format"});
      !why.empty()) {
    return text_response(400, why);
  }
  for (std::string_view name : {"Start", "Stop"}) {
    if (find_arg(req, name) == nullptr) {
      return text_response(400, "missing parameter " + std::string(name) +
                                    " (/pcap/splittime takes Start=NS&Stop=NS; /pcap/single "
                                    "serves a whole capture)");
    }
  }
  auto index = context.control.open_ring_index();
  if (!index.ok()) return error_response(index.error(), "open the ring");
  return ring_download(
      std::move(*index),
      {optional_arg(req, "Start"), optional_arg(req, "Stop"), optional_arg(req, "StreamName"),
       optional_arg(req, "Filter"), optional_arg(req, "FilterBPF"), optional_arg(req, "format")},
      retrieval_limits(context));
}

ApiResponse route_view(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"StreamName", "format"}); !why.empty()) {
    return text_response(400, why);
  }
  std::string why;
  const bool json = wants_json(req, &why);
  if (!why.empty()) return text_response(400, why);
  const std::string* stream = optional_stream(req, &why);
  if (stream == nullptr) return text_response(400, why);
  if (!stream->empty() && !capture_exists(context, *stream)) {
    return text_response(404, "no capture named " + *stream);
  }
  const std::vector<extract::ViewRow> rows = extract::view_rows(*stream);
  return listing(
      json, json ? extract::render_views_json(*stream, rows) : extract::render_views_csv(rows));
}

ApiResponse route_split(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"StreamName", "StreamView", "Start", "Stop", "format"});
      !why.empty()) {
    return text_response(400, why);
  }
  std::string why;
  const bool json = wants_json(req, &why);
  if (!why.empty()) return text_response(400, why);
  const std::string* view = find_arg(req, "StreamView");
  if (view == nullptr) {
    return text_response(400,
                         "missing parameter StreamView (split_1sec ... split_1TB; "
                         "/plain/view lists them)");
  }
  auto mode = extract::parse_split_mode(*view);
  if (!mode.ok()) return text_response(400, "StreamView: " + mode.error().message());
  auto window = extract::make_request(
      {optional_arg(req, "Start"), optional_arg(req, "Stop"), optional_arg(req, "StreamName")}, {});
  if (!window.ok()) return text_response(400, window.error().message());
  auto index = context.control.open_ring_index();
  if (!index.ok()) return error_response(index.error(), "open the ring");
  extract::SplitRequest split;
  split.stream = window->stream;
  split.mode = *mode;
  split.start_ns = window->start_ns;
  split.stop_ns = window->stop_ns;
  split.max_rows = retrieval_limits(context).max_split_rows;
  auto table = extract::compute_splits(**index, split);
  if (!table.ok()) return error_response(table.error(), "split");
  return listing(json,
                 json ? extract::render_splits_json(*table) : extract::render_splits_csv(*table));
}

}  // namespace snapflow::capture
