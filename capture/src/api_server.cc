// libmicrohttpd wiring of the capture API: one internal polling thread plus one thread per
// connection (so a PCAP download may block on disk reads without stalling other clients),
// bounded by a total and a per-IP connection limit, an idle timeout, and a per-connection
// memory limit that caps the request line and headers. Requests with a body are refused.
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <cstdarg>
#include <cstring>

#include "snapflow/capture/api.h"
#include "snapflow/capture/auth.h"

namespace snapflow::capture {

struct ApiServer::Impl {
  ApiServerOptions options;
  CaptureControl* control = nullptr;
  const base::Logger* log = nullptr;
  MHD_Daemon* daemon = nullptr;
};

namespace {

// Request line + headers must fit this (MHD answers 414/431 beyond it).
constexpr size_t kConnectionMemoryBytes = 32 * 1024;
constexpr size_t kStreamBlockBytes = 256 * 1024;

MHD_Result queue_text(MHD_Connection* connection, unsigned status, const std::string& body,
                      const char* content_type = "text/plain; charset=utf-8") {
  MHD_Response* response = MHD_create_response_from_buffer(
      body.size(), const_cast<char*>(body.data()), MHD_RESPMEM_MUST_COPY);
  if (!response) return MHD_NO;
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
  MHD_Result ret = MHD_queue_response(connection, status, response);
  MHD_destroy_response(response);
  return ret;
}

struct CollectedArgs {
  std::vector<std::pair<std::string, std::string>>* args;
  bool too_many = false;
};

constexpr size_t kMaxQueryArgs = 32;

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

ssize_t read_stream(void* cls, uint64_t, char* buf, size_t max) {
  auto* stream = static_cast<PcapStream*>(cls);
  auto n = stream->read(reinterpret_cast<std::byte*>(buf), max);
  // An error mid-stream can only be signalled by cutting the connection: the client sees a
  // truncated transfer (curl reports it), never a record cut in half followed by more data.
  if (!n) return MHD_CONTENT_READER_END_WITH_ERROR;
  if (*n == 0) return MHD_CONTENT_READER_END_OF_STREAM;
  return static_cast<ssize_t>(*n);
}

void free_stream(void* cls) {
  delete static_cast<PcapStream*>(cls);
}

MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char*, const char*, size_t* upload_data_size, void** con_cls) {
  auto* impl = static_cast<ApiServer::Impl*>(cls);
  // First call: headers only. Anything with a body is refused without reading it.
  if (*con_cls == nullptr) {
    *con_cls = impl;
    if (std::strcmp(method, "GET") != 0 && std::strcmp(method, "HEAD") != 0) {
      return queue_text(connection, MHD_HTTP_METHOD_NOT_ALLOWED, "only GET is supported\n");
    }
  }
  if (*upload_data_size != 0) {
    *upload_data_size = 0;
    return queue_text(connection, MHD_HTTP_CONTENT_TOO_LARGE, "request bodies are not accepted\n");
  }
  if (impl->options.require_auth) {
    const char* header =
        MHD_lookup_connection_value(connection, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
    AuthResult auth =
        header ? check_basic_auth(header, impl->options.credentials) : AuthResult::kMissing;
    if (auth != AuthResult::kOk) {
      if (auth == AuthResult::kWrong && impl->log) {
        const MHD_ConnectionInfo* info =
            MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        char addr[INET6_ADDRSTRLEN] = "?";
        if (info && info->client_addr && info->client_addr->sa_family == AF_INET) {
          inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(info->client_addr)->sin_addr,
                    addr, sizeof addr);
        }
        impl->log->warning(std::string("api: wrong credentials from ") + addr);
      }
      static constexpr char kBody[] = "authentication required\n";
      MHD_Response* response = MHD_create_response_from_buffer(
          sizeof kBody - 1, const_cast<char*>(kBody), MHD_RESPMEM_PERSISTENT);
      if (!response) return MHD_NO;
      MHD_Result ret = MHD_queue_basic_auth_fail_response(connection, "snapflow", response);
      MHD_destroy_response(response);
      return ret;
    }
  }
  ApiRequest request;
  request.method = method;
  request.path = url;
  CollectedArgs collected{&request.args};
  MHD_get_connection_values_n(connection, MHD_GET_ARGUMENT_KIND, &collect_arg, &collected);
  if (collected.too_many) {
    return queue_text(
        connection, MHD_HTTP_BAD_REQUEST,
        "too many query parameters (at most " + std::to_string(kMaxQueryArgs) + ")\n");
  }
  ApiResponse answer = handle_request(request, *impl->control);
  if (!answer.stream) {
    return queue_text(connection, static_cast<unsigned>(answer.status), answer.body,
                      answer.content_type.c_str());
  }
  PcapStream* stream = answer.stream.release();
  MHD_Response* response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, kStreamBlockBytes,
                                                             &read_stream, stream, &free_stream);
  if (!response) {
    delete stream;
    return MHD_NO;
  }
  MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, answer.content_type.c_str());
  if (!answer.download_name.empty()) {
    std::string disposition = "attachment; filename=\"" + answer.download_name + "\"";
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_DISPOSITION, disposition.c_str());
  }
  MHD_Result ret = MHD_queue_response(connection, static_cast<unsigned>(answer.status), response);
  MHD_destroy_response(response);
  return ret;
}

// libmicrohttpd's log callback hands us its own printf format and arguments.
__attribute__((format(printf, 2, 0))) void log_mhd(void* cls, const char* format, va_list ap) {
  auto* log = static_cast<const base::Logger*>(cls);
  char line[512];
  std::vsnprintf(line, sizeof line, format, ap);
  std::string text = line;
  while (!text.empty() && text.back() == '\n') text.pop_back();
  log->debug("api: " + text);
}

}  // namespace

base::Result<ApiServerOptions> api_options_from_config(const CaptureConfig& config) {
  auto listen = parse_listen_address(config.api_listen);
  if (!listen) return std::move(listen).error().context("--api-listen=" + config.api_listen);
  ApiServerOptions o;
  o.host = listen->host;
  o.port = listen->port;
  o.require_auth = !config.api_insecure_no_auth;
  o.credentials = config.credentials;
  o.max_connections = config.api_max_connections;
  o.per_ip_connections = config.api_per_ip_connections;
  o.timeout_s = config.api_timeout_s;
  return o;
}

base::Result<std::unique_ptr<ApiServer>> ApiServer::start(const ApiServerOptions& options,
                                                          CaptureControl& control,
                                                          const base::Logger& log) {
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->control = &control;
  impl->log = &log;
  std::string where = "api listen " + options.host + ":" + std::to_string(options.port);
  if (options.require_auth && !options.credentials.present()) {
    return base::make_error(base::ErrorCode::kInvalidArgument, "auth required but no credentials")
        .context(where);
  }
  sockaddr_in v4{};
  sockaddr_in6 v6{};
  sockaddr* addr = nullptr;
  unsigned flags =
      MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
  if (inet_pton(AF_INET, options.host.c_str(), &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons(options.port);
    addr = reinterpret_cast<sockaddr*>(&v4);
  } else if (inet_pton(AF_INET6, options.host.c_str(), &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons(options.port);
    addr = reinterpret_cast<sockaddr*>(&v6);
    flags |= MHD_USE_IPv6;
  } else {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "host must be a numeric IPv4 or IPv6 address")
        .context(where);
  }
  impl->daemon = MHD_start_daemon(
      flags, options.port, nullptr, nullptr, &on_request, impl.get(), MHD_OPTION_EXTERNAL_LOGGER,
      &log_mhd, const_cast<base::Logger*>(&log), MHD_OPTION_SOCK_ADDR, addr,
      MHD_OPTION_CONNECTION_LIMIT, static_cast<unsigned>(options.max_connections),
      MHD_OPTION_PER_IP_CONNECTION_LIMIT, static_cast<unsigned>(options.per_ip_connections),
      MHD_OPTION_CONNECTION_TIMEOUT, static_cast<unsigned>(options.timeout_s),
      MHD_OPTION_CONNECTION_MEMORY_LIMIT, kConnectionMemoryBytes, MHD_OPTION_END);
  if (!impl->daemon) {
    return base::make_error(base::ErrorCode::kIo,
                            std::string("cannot start HTTP server: ") + std::strerror(errno))
        .context(where);
  }
  const MHD_DaemonInfo* info = MHD_get_daemon_info(impl->daemon, MHD_DAEMON_INFO_BIND_PORT);
  uint16_t port = info ? info->port : options.port;
  return std::unique_ptr<ApiServer>(new ApiServer(std::move(impl), port));
}

ApiServer::ApiServer(std::unique_ptr<Impl> impl, uint16_t port)
    : impl_(std::move(impl)), port_(port) {}

ApiServer::~ApiServer() {
  if (impl_ && impl_->daemon) MHD_stop_daemon(impl_->daemon);
}

}  // namespace snapflow::capture
