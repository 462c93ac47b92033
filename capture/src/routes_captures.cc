// /plain/list and /pcap/single: the named captures and their downloads (through core/extract
// like /pcap/splittime, so Filter=, FilterBPF= and format=pcapng apply).
#include "api_handlers.h"
#include "retrieval.h"
#include "snapflow/base/time.h"

namespace snapflow::capture {

// CSV (fmadio's columns, no header) or, with format=json, {"captures":[{"name","size_bytes",
// "packets","start_ns","stop_ns","active"}]}: the shape of `snapflow-pcap list --format json`.
ApiResponse route_list(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"format"}); !why.empty()) return text_response(400, why);
  const std::string* format = find_arg(req, "format");
  if (format && *format != "csv" && *format != "json") {
    return text_response(400, "format must be csv or json");
  }
  const bool json = format && *format == "json";
  ApiResponse r;
  r.content_type = json ? "application/json" : "text/csv; charset=utf-8";
  if (json) r.body = "{\"captures\":[";
  bool first = true;
  for (const CaptureInfo& c : context.control.list_captures()) {
    // Names are validated at capture_start, so they need no CSV quoting or URL escaping.
    if (json) {
      r.body.append(first ? "" : ",")
          .append("{\"name\":\"")
          .append(json_escape(c.name))
          .append("\",\"size_bytes\":")
          .append(std::to_string(c.size_bytes))
          .append(",\"packets\":")
          .append(std::to_string(c.packets))
          .append(",\"start_ns\":")
          .append(std::to_string(c.start_ns))
          .append(",\"stop_ns\":")
          .append(std::to_string(c.stop_ns))
          .append(",\"active\":")
          .append(c.active ? "true" : "false")
          .append("}");
      first = false;
      continue;
    }
    r.body.append(c.name)
        .append(",")
        .append(std::to_string(c.size_bytes))
        .append(",")
        .append(std::to_string(c.packets))
        .append(",")
        .append(base::format_rfc3339_ns(c.start_ns))
        .append(",/pcap/single?StreamName=")
        .append(c.name)
        .append(",/plain/view?StreamName=")
        .append(c.name)
        .append("\n");
  }
  if (json) r.body.append("]}\n");
  return r;
}

ApiResponse route_single(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"StreamName", "Filter", "FilterBPF", "format"}); !why.empty()) {
    return text_response(400, why);
  }
  std::string reason;
  const std::string* name = stream_name_arg(req, &reason);
  if (!name) return text_response(400, reason);
  // The capture through core/extract, as /pcap/splittime serves windows (filters, PCAPNG).
  auto index = context.control.open_ring_index();
  if (index.ok()) {
    return ring_download(std::move(*index),
                         {std::nullopt, std::nullopt, *name, optional_arg(req, "Filter"),
                          optional_arg(req, "FilterBPF"), optional_arg(req, "format")},
                         retrieval_limits(context));
  }
  if (index.error().code() != base::ErrorCode::kUnavailable) {
    return error_response(index.error(), "open the ring");
  }
  // A control without a ring (the API's in-memory test doubles): its records as they come.
  if (find_arg(req, "Filter") || find_arg(req, "FilterBPF") || find_arg(req, "format")) {
    return text_response(501, "Filter, FilterBPF and format need a ring on this server");
  }
  auto records = context.control.open_capture(*name);
  if (!records) {
    const bool missing = records.error().code() == base::ErrorCode::kNotFound;
    return text_response(missing ? 404 : 500,
                         missing ? "no capture named " + *name
                                 : "cannot open capture: " + records.error().message());
  }
  ApiResponse r;
  r.content_type = "application/vnd.tcpdump.pcap";
  r.stream = std::make_unique<PcapBody>(std::move(*records));
  r.download_name = *name + ".pcap";
  return r;
}

}  // namespace snapflow::capture
