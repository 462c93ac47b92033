// The cloud capture modes' routes (rows of the table in api_routes.cc; docs/capture.md "Rules
// API", docs/decisions/0044-rules-http-api.md): the forwarder's rules, their history and
// counters, and the mirror target's sessions, over ApiContext::cloud. Every route answers 404
// when the daemon does not run the mode it is about. Private to snapflow::capture.
#pragma once

#include "snapflow/capture/api.h"

namespace snapflow::capture {

// Reading (event loop): CSV by default, format=json for JSON.
ApiResponse route_forward_rules(const ApiRequest& request, ApiContext& context);
ApiResponse route_forward_history(const ApiRequest& request, ApiContext& context);
ApiResponse route_forward_status(const ApiRequest& request, ApiContext& context);
ApiResponse route_mirror_sessions(const ApiRequest& request, ApiContext& context);
// Changing (worker thread: a change fsyncs the rules file): {"Status":..,"Str":..} answers.
ApiResponse route_forward_rule_add(const ApiRequest& request, ApiContext& context);
ApiResponse route_forward_rule_del(const ApiRequest& request, ApiContext& context);
ApiResponse route_forward_rule_mode(const ApiRequest& request, ApiContext& context);

}  // namespace snapflow::capture
