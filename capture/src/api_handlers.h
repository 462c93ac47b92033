// The capture API's route handlers (rows of the table in api_routes.cc) and the helpers they
// share for validating query parameters and shaping answers. Private to snapflow::capture.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "snapflow/capture/api.h"

namespace snapflow::capture {

// Answers.
ApiResponse text_response(int status, std::string body);  ///< text/plain, newline-terminated
ApiResponse status_json_response(int http_status, bool ok, std::string_view message);
std::string json_escape(std::string_view s);

// Query parameters. check_args: only names from allowed, each at most once; "" or the reason.
std::string check_args(const ApiRequest& request, std::initializer_list<std::string_view> allowed);
const std::string* find_arg(const ApiRequest& request, std::string_view name);
// The validated StreamName argument, or null with *reason set.
const std::string* stream_name_arg(const ApiRequest& request, std::string* reason);

// /sysmaster/* (routes_sysmaster.cc)
ApiResponse route_status(const ApiRequest& request, ApiContext& context);
ApiResponse route_capture_start(const ApiRequest& request, ApiContext& context);
ApiResponse route_capture_stop(const ApiRequest& request, ApiContext& context);
ApiResponse route_csrf_token(const ApiRequest& request, ApiContext& context);
// /plain/list, /pcap/single (routes_captures.cc)
ApiResponse route_list(const ApiRequest& request, ApiContext& context);
ApiResponse route_single(const ApiRequest& request, ApiContext& context);
// /pcap/splittime, /plain/view, /plain/split (routes_retrieval.cc)
ApiResponse route_splittime(const ApiRequest& request, ApiContext& context);
ApiResponse route_view(const ApiRequest& request, ApiContext& context);
ApiResponse route_split(const ApiRequest& request, ApiContext& context);
// /ring/bandwidth, /filter/check (routes_ring.cc)
ApiResponse route_bandwidth(const ApiRequest& request, ApiContext& context);
ApiResponse route_filter_check(const ApiRequest& request, ApiContext& context);
// /ui and /ui/... (routes_ui.cc)
ApiResponse route_ui(const ApiRequest& request, ApiContext& context);

}  // namespace snapflow::capture
