// Routing and validation of the capture API; no HTTP library here (see api_server.cc).
#include <string>

#include "snapflow/base/time.h"
#include "snapflow/capture/api.h"

namespace snapflow::capture {
namespace {

constexpr size_t kMaxStreamNameBytes = 64;

ApiResponse text(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.body = std::move(body);
  if (!r.body.empty() && r.body.back() != '\n') r.body.push_back('\n');
  return r;
}

std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

ApiResponse status_json(int http_status, bool ok, std::string_view message) {
  ApiResponse r;
  r.status = http_status;
  r.content_type = "application/json";
  r.body = std::string("{\"Status\":") + (ok ? "true" : "false") + ",\"Str\":\"" +
           json_escape(message) + "\"}\n";
  return r;
}

// Checks that args hold only names from allowed, each at most once. Returns "" or the reason.
std::string check_args(const ApiRequest& req, std::initializer_list<std::string_view> allowed) {
  for (size_t i = 0; i < req.args.size(); ++i) {
    const auto& name = req.args[i].first;
    bool known = false;
    for (auto a : allowed) known = known || name == a;
    if (!known) {
      std::string shown = name.size() > 64 ? name.substr(0, 64) + "..." : name;
      std::string msg = "unknown parameter '" + json_escape(shown) + "' for " + req.path;
      if (allowed.size() == 0) {
        msg += " (takes no parameters)";
      } else {
        msg += " (allowed:";
        for (auto a : allowed) msg.append(" ").append(a);
        msg += ")";
      }
      return msg;
    }
    for (size_t j = 0; j < i; ++j) {
      if (req.args[j].first == name) return "parameter '" + name + "' given more than once";
    }
  }
  return {};
}

const std::string* find_arg(const ApiRequest& req, std::string_view name) {
  for (const auto& [k, v] : req.args) {
    if (k == name) return &v;
  }
  return nullptr;
}

// Validates the StreamName argument; on failure fills *reason.
const std::string* stream_name_arg(const ApiRequest& req, std::string* reason) {
  const std::string* name = find_arg(req, "StreamName");
  if (!name) {
    *reason = "missing parameter StreamName";
    return nullptr;
  }
  if (!is_valid_stream_name(*name)) {
    *reason =
        "invalid StreamName: use 1-64 characters from A-Z a-z 0-9 . _ - , not starting "
        "with '.'";
    return nullptr;
  }
  return name;
}

ApiResponse route_status(const ApiRequest& req, CaptureControl& control) {
  if (auto why = check_args(req, {"format"}); !why.empty()) return text(400, why);
  const std::string* format = find_arg(req, "format");
  StatusSnapshot s = control.status();
  if (!format || *format == "text") return text(200, format_status_text(s));
  if (*format == "json") {
    ApiResponse r = text(200, format_status_json(s));
    r.content_type = "application/json";
    return r;
  }
  return text(400, "format must be text or json");
}

ApiResponse route_capture_start(const ApiRequest& req, CaptureControl& control) {
  if (auto why = check_args(req, {"StreamName"}); !why.empty()) return status_json(400, false, why);
  std::string reason;
  const std::string* name = stream_name_arg(req, &reason);
  if (!name) return status_json(400, false, reason);
  auto started = control.start_capture(*name);
  if (!started) return status_json(409, false, started.error().message());
  return status_json(200, true, *started);
}

ApiResponse route_capture_stop(const ApiRequest& req, CaptureControl& control) {
  if (auto why = check_args(req, {}); !why.empty()) return status_json(400, false, why);
  auto stopped = control.stop_capture();
  if (!stopped) return status_json(409, false, stopped.error().message());
  return status_json(200, true, *stopped);
}

ApiResponse route_list(const ApiRequest& req, CaptureControl& control) {
  if (auto why = check_args(req, {}); !why.empty()) return text(400, why);
  ApiResponse r;
  r.content_type = "text/csv; charset=utf-8";
  for (const CaptureInfo& c : control.list_captures()) {
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

ApiResponse route_single(const ApiRequest& req, CaptureControl& control) {
  if (auto why = check_args(req, {"StreamName"}); !why.empty()) return text(400, why);
  std::string reason;
  const std::string* name = stream_name_arg(req, &reason);
  if (!name) return text(400, reason);
  auto stream = control.open_capture(*name);
  if (!stream) {
    bool missing = stream.error().code() == base::ErrorCode::kNotFound;
    return text(missing ? 404 : 500, missing ? "no capture named " + *name
                                             : "cannot open capture: " + stream.error().message());
  }
  ApiResponse r;
  r.content_type = "application/vnd.tcpdump.pcap";
  r.stream = std::move(*stream);
  r.download_name = *name + ".pcap";
  return r;
}

}  // namespace

bool is_valid_stream_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxStreamNameBytes || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

ApiResponse handle_request(const ApiRequest& req, CaptureControl& control) {
  using Handler = ApiResponse (*)(const ApiRequest&, CaptureControl&);
  static constexpr std::pair<std::string_view, Handler> kRoutes[] = {
      {"/sysmaster/status", &route_status},
      {"/sysmaster/capture_start", &route_capture_start},
      {"/sysmaster/capture_stop", &route_capture_stop},
      {"/plain/list", &route_list},
      {"/pcap/single", &route_single},
  };
  for (const auto& [path, handler] : kRoutes) {
    if (req.path != path) continue;
    if (req.method != "GET" && req.method != "HEAD") {
      ApiResponse r = text(405, "only GET is supported");
      return r;
    }
    return handler(req, control);
  }
  return text(404, "no such endpoint");
}

}  // namespace snapflow::capture
