// The route table of the capture API and the helpers its handlers share; no HTTP library here
// (the server is api_server.cc and the api_*.cc beside it).
#include <algorithm>
#include <array>

#include "api_handlers.h"
#include "routes_forward.h"

namespace snapflow::capture {
namespace {

constexpr size_t kMaxStreamNameBytes = 64;

// One row per endpoint. runs: where the handler may run (see api.h); changes_state: refused from
// cross-site browser requests.
constexpr std::array kRoutes = {
    ApiRoute{"/sysmaster/status", RouteRuns::kEventLoop, false, &route_status},
    ApiRoute{"/sysmaster/capture_start", RouteRuns::kWorker, true, &route_capture_start},
    ApiRoute{"/sysmaster/capture_stop", RouteRuns::kWorker, true, &route_capture_stop},
    ApiRoute{"/sysmaster/csrf_token", RouteRuns::kEventLoop, false, &route_csrf_token},
    ApiRoute{"/plain/list", RouteRuns::kEventLoop, false, &route_list},
    ApiRoute{"/pcap/single", RouteRuns::kDownloadSlot, false, &route_single},
    ApiRoute{"/pcap/splittime", RouteRuns::kDownloadSlot, false, &route_splittime},
    ApiRoute{"/plain/view", RouteRuns::kEventLoop, false, &route_view},
    ApiRoute{"/plain/split", RouteRuns::kDownloadSlot, false, &route_split},
    ApiRoute{"/ring/bandwidth", RouteRuns::kWorker, false, &route_bandwidth},
    ApiRoute{"/filter/check", RouteRuns::kWorker, false, &route_filter_check},
    ApiRoute{"/ui", RouteRuns::kEventLoop, false, &route_ui},
    ApiRoute{"/ui/", RouteRuns::kEventLoop, false, &route_ui},
    // The cloud capture modes (routes_forward.h). Changes fsync the rules file: the worker.
    ApiRoute{"/forward/rules", RouteRuns::kEventLoop, false, &route_forward_rules},
    ApiRoute{"/forward/history", RouteRuns::kEventLoop, false, &route_forward_history},
    ApiRoute{"/forward/status", RouteRuns::kEventLoop, false, &route_forward_status},
    ApiRoute{"/forward/rule_add", RouteRuns::kWorker, true, &route_forward_rule_add},
    ApiRoute{"/forward/rule_del", RouteRuns::kWorker, true, &route_forward_rule_del},
    ApiRoute{"/forward/rule_mode", RouteRuns::kWorker, true, &route_forward_rule_mode},
    ApiRoute{"/mirror/sessions", RouteRuns::kEventLoop, false, &route_mirror_sessions},
};

}  // namespace

std::span<const ApiRoute> api_routes() {
  return kRoutes;
}

const ApiRoute* find_route(std::string_view path) {
  auto it = std::find_if(kRoutes.begin(), kRoutes.end(), [&](const ApiRoute& r) {
    return r.path == path || (r.path.ends_with('/') && path.starts_with(r.path));
  });
  return it == kRoutes.end() ? nullptr : &*it;
}

ApiResponse handle_request(const ApiRequest& request, ApiContext& context) {
  const ApiRoute* route = find_route(request.path);
  if (route == nullptr) return text_response(404, "no such endpoint");
  const bool allowed = request.method == "GET" || request.method == "HEAD" ||
                       (request.method == "POST" && route->changes_state);
  if (!allowed) {
    ApiResponse r = text_response(
        405, route->changes_state ? "only GET and POST are supported" : "only GET is supported");
    r.headers.push_back({"Allow", route->changes_state ? "GET, HEAD, POST" : "GET, HEAD"});
    return r;
  }
  return route->handler(request, context);
}

ApiResponse text_response(int status, std::string body) {
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

ApiResponse status_json_response(int http_status, bool ok, std::string_view message) {
  ApiResponse r;
  r.status = http_status;
  r.content_type = "application/json";
  r.body = std::string("{\"Status\":") + (ok ? "true" : "false") + ",\"Str\":\"" +
           json_escape(message) + "\"}\n";
  return r;
}

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

bool is_valid_stream_name(std::string_view name) {
  if (name.empty() || name.size() > kMaxStreamNameBytes || name.front() == '.') return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace snapflow::capture
