// /plain/list and /pcap/single: the named captures and their downloads.
#include "api_handlers.h"
#include "snapflow/base/time.h"

namespace snapflow::capture {

ApiResponse route_list(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {}); !why.empty()) return text_response(400, why);
  ApiResponse r;
  r.content_type = "text/csv; charset=utf-8";
  for (const CaptureInfo& c : context.control.list_captures()) {
    // Names are validated at capture_start, so they need no CSV quoting or URL escaping.
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
  return r;
}

ApiResponse route_single(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"StreamName"}); !why.empty()) return text_response(400, why);
  std::string reason;
  const std::string* name = stream_name_arg(req, &reason);
  if (!name) return text_response(400, reason);
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
