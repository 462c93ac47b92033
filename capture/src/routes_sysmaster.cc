// /sysmaster/status, /sysmaster/capture_start, /sysmaster/capture_stop.
#include "api_handlers.h"
#include "snapflow/base/time.h"
#include "snapflow/capture/api_security.h"

namespace snapflow::capture {

ApiResponse route_status(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"format"}); !why.empty()) return text_response(400, why);
  const std::string* format = find_arg(req, "format");
  StatusSnapshot s = context.control.status();
  if (!format || *format == "text") return text_response(200, format_status_text(s));
  if (*format == "json") {
    ApiResponse r = text_response(200, format_status_json(s));
    r.content_type = "application/json";
    return r;
  }
  return text_response(400, "format must be text or json");
}

ApiResponse route_capture_start(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"StreamName"}); !why.empty()) {
    return status_json_response(400, false, why);
  }
  std::string reason;
  const std::string* name = stream_name_arg(req, &reason);
  if (!name) return status_json_response(400, false, reason);
  auto started = context.control.start_capture(*name);
  if (!started) return status_json_response(409, false, started.error().message());
  return status_json_response(200, true, *started);
}

ApiResponse route_capture_stop(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {}); !why.empty()) return status_json_response(400, false, why);
  auto stopped = context.control.stop_capture();
  if (!stopped) return status_json_response(409, false, stopped.error().message());
  return status_json_response(200, true, *stopped);
}

// A token for POSTs from the web UI (api_security.h). JSON, never cached.
ApiResponse route_csrf_token(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {}); !why.empty()) return text_response(400, why);
  if (context.csrf == nullptr) return text_response(500, "no CSRF key");
  const int64_t now = base::now_realtime_ns();
  ApiResponse r;
  r.content_type = "application/json";
  r.body = "{\"Token\":\"" + context.csrf->issue(req.user, now) + "\",\"Header\":\"" +
           std::string(kCsrfHeader) +
           "\",\"ExpiresNs\":" + std::to_string(now + kCsrfTokenLifetimeNs) + "}\n";
  return r;
}

}  // namespace snapflow::capture
