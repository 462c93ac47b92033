// The libmicrohttpd callbacks of the API server, all run by the event loop: admission at
// accept, connection accounting, and the per-request checks that come before a handler
// (method, no body, authentication rate limit, credentials, route), then the handler itself on
// the thread its route asks for (see api.h and api_server_impl.h).
#include <cstring>

#include "api_handlers.h"
#include "api_server_impl.h"
#include "snapflow/base/time.h"
#include "snapflow/capture/api_security.h"
#include "snapflow/capture/auth.h"

namespace snapflow::capture {
namespace {

constexpr size_t kMaxQueryArgs = 32;
constexpr size_t kStreamBlockBytes = 64 * 1024;  ///< HTTP/1.0 (unchunked) transfers only

ApiServer::Impl& impl_of(void* cls) {
  return *static_cast<ApiServer::Impl*>(cls);
}

ConnectionTable::Entry* entry_of(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
  return info ? static_cast<ConnectionTable::Entry*>(info->socket_context) : nullptr;
}

AddressKey client_key(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  return address_key(info ? info->client_addr : nullptr);
}

// Headers every answer carries: the security headers, and "never cache" unless the handler
// says otherwise (API answers are live data; static assets revalidate).
void add_common_headers(MHD_Response* response, const ApiResponse& answer) {
  for (const HttpField& f : security_headers()) {
    MHD_add_response_header(response, f.name.c_str(), f.value.c_str());
  }
  if (!answer.content_type.empty()) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, answer.content_type.c_str());
  }
  bool cache_control = false;
  for (const HttpField& f : answer.headers) {
    MHD_add_response_header(response, f.name.c_str(), f.value.c_str());
    cache_control = cache_control || f.name == MHD_HTTP_HEADER_CACHE_CONTROL;
  }
  if (!cache_control) {
    MHD_add_response_header(response, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  }
  if (!answer.download_name.empty()) {
    const std::string disposition = "attachment; filename=\"" + answer.download_name + "\"";
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition.c_str());
  }
}

MHD_Result queue_answer(MHD_Connection* connection, const ApiResponse& answer) {
  MHD_Response* response = MHD_create_response_from_buffer(
      answer.body.size(), const_cast<char*>(answer.body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  add_common_headers(response, answer);
  MHD_Result ret = MHD_queue_response(connection, static_cast<unsigned>(answer.status), response);
  MHD_destroy_response(response);
  return ret;
}

MHD_Result queue_text(MHD_Connection* connection, int status, std::string body) {
  return queue_answer(connection, text_response(status, std::move(body)));
}

// libmicrohttpd's content reader and its release, for streamed answers. cls owns one reference
// to the Download.
ssize_t read_download(void* cls, uint64_t, char* buf, size_t max) {
  return (*static_cast<std::shared_ptr<Download>*>(cls))->read(buf, max);
}

void release_download(void* cls) {
  auto* download = static_cast<std::shared_ptr<Download>*>(cls);
  (*download)->abandon();
  delete download;
}

MHD_Result queue_stream(MHD_Connection* connection, const ApiResponse& answer,
                        const std::shared_ptr<Download>& download) {
  auto* ref = new std::shared_ptr<Download>(download);
  MHD_Response* response = MHD_create_response_from_callback(
      MHD_SIZE_UNKNOWN, kStreamBlockBytes, &read_download, ref, &release_download);
  if (!response) {
    release_download(ref);
    return MHD_NO;
  }
  download->set_response(response);
  add_common_headers(response, answer);
  std::string trailer;
  for (const std::string& name : download->trailer_names()) {
    trailer += (trailer.empty() ? "" : ", ") + name;
  }
  if (!trailer.empty()) MHD_add_response_header(response, "Trailer", trailer.c_str());
  MHD_Result ret = MHD_queue_response(connection, static_cast<unsigned>(answer.status), response);
  MHD_destroy_response(response);
  return ret;
}

// Answers a request whose handler ran off the loop (called again after the resume).
MHD_Result finish_deferred(MHD_Connection* connection, RequestState& state) {
  DeferredCall& call = *state.call;
  if (!call.answered.load(std::memory_order_acquire)) return MHD_YES;  // not ours yet
  if (call.download) return queue_stream(connection, call.answer, call.download);
  return queue_answer(connection, call.answer);
}

// Runs the route's handler where the route asks; queues the answer or suspends the connection.
MHD_Result dispatch(ApiServer::Impl& impl, MHD_Connection* connection, RequestState& state,
                    const ApiRoute& route, ApiRequest request) {
  if (route.runs == RouteRuns::kEventLoop) {
    return queue_answer(connection, handle_request(request, impl.context));
  }
  auto call = std::make_shared<DeferredCall>();
  call->connection = connection;
  call->route = &route;
  call->request = std::move(request);
  state.call = call;
  // Suspended before the hand-over: the runner may resume it at once.
  MHD_suspend_connection(connection);
  const bool taken =
      route.runs == RouteRuns::kWorker ? impl.worker->submit(call) : impl.downloads->submit(call);
  if (!taken) {
    if (route.runs == RouteRuns::kWorker) {
      impl.worker_refused.fetch_add(1, std::memory_order_relaxed);
      call->answer = busy_response("the API's worker queue is full", 2);
    } else {
      impl.downloads_refused.fetch_add(1, std::memory_order_relaxed);
      call->answer = busy_response("all " + std::to_string(impl.options.max_downloads) +
                                       " download slots are busy (--api-max-downloads)",
                                   10);
    }
    if (impl.stopping.load()) call->answer = busy_response("the server is stopping", 5);
    call->answered.store(true, std::memory_order_release);
    MHD_resume_connection(connection);
  }
  return MHD_YES;
}

MHD_Result refuse_credentials(MHD_Connection* connection) {
  static constexpr char kBody[] = "authentication required\n";
  MHD_Response* response = MHD_create_response_from_buffer(
      sizeof kBody - 1, const_cast<char*>(kBody), MHD_RESPMEM_PERSISTENT);
  if (!response) return MHD_NO;
  ApiResponse plain;
  add_common_headers(response, plain);
  MHD_Result ret = MHD_queue_basic_auth_fail_response(connection, "snapflow", response);
  MHD_destroy_response(response);
  return ret;
}

// Authentication: true (and *user set) when the request may go on; otherwise the request was
// answered (429 or 401) and *result is what to return to libmicrohttpd.
bool authenticate(ApiServer::Impl& impl, MHD_Connection* connection, RequestState& state,
                  std::string* user, MHD_Result* result) {
  if (!impl.options.require_auth) return true;
  const AddressKey key = client_key(connection);
  const int64_t now = base::now_monotonic_ns();
  if (int64_t wait_ns = impl.throttle->blocked_for_ns(key, now); wait_ns > 0) {
    // Before looking at the credentials: the answer must not depend on them.
    const int64_t seconds = (wait_ns + base::kNsPerSec - 1) / base::kNsPerSec;
    ApiResponse r =
        text_response(429, "too many authentication failures from this address; retry in " +
                               std::to_string(seconds) + " s");
    r.headers.push_back({"Retry-After", std::to_string(seconds)});
    *result = queue_answer(connection, r);
    return false;
  }
  const char* header =
      MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
  const AuthResult auth =
      header ? check_basic_auth(header, impl.options.credentials) : AuthResult::kMissing;
  if (auth == AuthResult::kOk) {
    impl.throttle->record_success(key);
    if (state.entry) impl.connections->mark_authenticated(state.entry);
    *user = impl.options.credentials.user;
    return true;
  }
  if (auth != AuthResult::kMissing) {  // a browser's first try without credentials is no guess
    std::string line = impl.throttle->record_failure(key, now);
    if (!line.empty()) impl.log->warning(line);
  }
  *result = refuse_credentials(connection);
  return false;
}

struct CollectedArgs {
  std::vector<std::pair<std::string, std::string>>* args;
  bool too_many = false;
};

// The _n variant gives lengths, so a decoded %00 cannot silently shorten a value.
MHD_Result collect_arg(void* cls, MHD_ValueKind, const char* key, size_t key_size,
                       const char* value, size_t value_size) {
  auto* collected = static_cast<CollectedArgs*>(cls);
  if (collected->args->size() >= kMaxQueryArgs) {
    collected->too_many = true;
    return MHD_NO;
  }
  collected->args->emplace_back(key ? std::string(key, key_size) : std::string(),
                                value ? std::string(value, value_size) : std::string());
  return MHD_YES;
}

std::string_view header(MHD_Connection* connection, const char* name) {
  const char* value = MHD_lookup_connection_value(connection, MHD_HEADER_KIND, name);
  return value ? std::string_view(value) : std::string_view();
}

// Browser rules for routes that change state (api_security.h): "" or the reason for a 403.
std::string state_change_refusal(ApiServer::Impl& impl, MHD_Connection* connection,
                                 const ApiRequest& request) {
  RequestOrigin origin;
  origin.sec_fetch_site = header(connection, "Sec-Fetch-Site");
  origin.origin = header(connection, "Origin");
  origin.referer = header(connection, "Referer");
  origin.host = header(connection, "Host");
  origin.tls = !impl.options.tls.cert_pem.empty();
  if (std::string why = cross_site_refusal(origin); !why.empty()) return why;
  if (request.method == "POST" && !impl.csrf->verify(header(connection, kCsrfHeader.data()),
                                                     request.user, base::now_realtime_ns())) {
    return "POST needs a valid " + std::string(kCsrfHeader) +
           " header (GET /sysmaster/csrf_token; tokens expire and do not survive a restart)";
  }
  return {};
}

bool has_request_body(MHD_Connection* connection) {
  const char* length =
      MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  const char* encoding =
      MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  return encoding != nullptr || (length != nullptr && std::strcmp(length, "0") != 0);
}

// The first call for a request: its headers are complete.
MHD_Result first_call(ApiServer::Impl& impl, MHD_Connection* connection, const char* url,
                      const char* method, RequestState& state) {
  if (impl.stopping.load(std::memory_order_relaxed)) {
    return queue_answer(connection, busy_response("the server is stopping", 5));
  }
  const std::string_view m = method;
  if (m != "GET" && m != "HEAD" && m != "POST") {
    ApiResponse r = text_response(405, "only GET, HEAD and POST are supported");
    r.headers.push_back({"Allow", "GET, HEAD, POST"});
    return queue_answer(connection, r);
  }
  // Parameters travel in the query string; a body is refused before it is read.
  if (has_request_body(connection)) {
    return queue_text(connection, MHD_HTTP_CONTENT_TOO_LARGE, "request bodies are not accepted");
  }
  ApiRequest request;
  MHD_Result refused = MHD_NO;
  if (!authenticate(impl, connection, state, &request.user, &refused)) return refused;
  const ApiRoute* route = find_route(url);
  if (route == nullptr) return queue_text(connection, 404, "no such endpoint");
  request.method = method;
  request.path = url;
  CollectedArgs collected{&request.args};
  MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND, &collect_arg, &collected);
  if (collected.too_many) {
    return queue_text(connection, 400,
                      "too many query parameters (at most " + std::to_string(kMaxQueryArgs) + ")");
  }
  if (m == "POST" && !route->changes_state) {
    ApiResponse r = text_response(405, "only GET is supported");
    r.headers.push_back({"Allow", "GET, HEAD"});
    return queue_answer(connection, r);
  }
  if (route->changes_state) {
    if (std::string why = state_change_refusal(impl, connection, request); !why.empty()) {
      return queue_text(connection, 403, why);
    }
  }
  request.if_none_match = header(connection, MHD_HTTP_HEADER_IF_NONE_MATCH);
  return dispatch(impl, connection, state, *route, std::move(request));
}

}  // namespace

ApiResponse busy_response(std::string_view what, uint32_t retry_after_s) {
  ApiResponse r = text_response(503, std::string(what) + "; retry later");
  r.headers.push_back({"Retry-After", std::to_string(retry_after_s)});
  return r;
}

MHD_Result accept_policy(void* cls, const sockaddr* addr, socklen_t) {
  const Admission admission = impl_of(cls).connections->admit(address_key(addr));
  return admission == Admission::kAccept || admission == Admission::kAcceptAfterEviction ? MHD_YES
                                                                                         : MHD_NO;
}

void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                   MHD_ConnectionNotificationCode code) {
  ApiServer::Impl& impl = impl_of(cls);
  if (code == MHD_CONNECTION_NOTIFY_STARTED) {
    const MHD_ConnectionInfo* fd =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    *socket_context = impl.connections->add(client_key(connection), fd ? fd->connect_fd : -1,
                                            base::now_monotonic_ns());
  } else if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
    impl.connections->remove(static_cast<ConnectionTable::Entry*>(*socket_context));
    *socket_context = nullptr;
  }
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char*, const char*, size_t* upload_data_size, void** con_cls) {
  ApiServer::Impl& impl = impl_of(cls);
  auto* state = static_cast<RequestState*>(*con_cls);
  if (state == nullptr) {
    state = new RequestState;
    *con_cls = state;
    state->entry = entry_of(connection);
    if (state->entry) impl.connections->begin_request(state->entry);
    return first_call(impl, connection, url, method, *state);
  }
  if (*upload_data_size != 0) {  // only reachable if a client sends a body we did not announce
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (state->call) return finish_deferred(connection, *state);
  return MHD_YES;
}

void on_completed(void* cls, MHD_Connection*, void** con_cls, MHD_RequestTerminationCode) {
  ApiServer::Impl& impl = impl_of(cls);
  auto* state = static_cast<RequestState*>(*con_cls);
  if (state == nullptr) return;
  if (state->entry) impl.connections->end_request(state->entry, base::now_monotonic_ns());
  if (state->call && state->call->download) state->call->download->abandon();
  delete state;
  *con_cls = nullptr;
}

}  // namespace snapflow::capture
