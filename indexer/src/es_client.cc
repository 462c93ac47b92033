#include "snapflow/indexer/es_client.h"

#include <curl/curl.h>
#include <simdjson.h>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <string>

#include "snapflow/base/time.h"

namespace snapflow::indexer {

using base::ErrorCode;
using base::make_error;

namespace {

// curl_global_init is not thread-safe; run it once, before the first handle exists.
void curl_global_once() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
  const std::string_view line(data, size * n);
  constexpr std::string_view kProduct = "x-elastic-product:";
  if (line.size() >= kProduct.size()) {
    bool match = true;
    for (size_t i = 0; i < kProduct.size() && match; ++i) {
      match = std::tolower(static_cast<unsigned char>(line[i])) == kProduct[i];
    }
    if (match) static_cast<HttpResponse*>(user)->elastic_product = true;
  }
  return size * n;
}

// Errors that a later attempt (or another host) may not hit: the server is down, slow or
// restarting. Everything else (TLS, bad URL, auth) is a configuration problem.
bool is_transient(CURLcode code) {
  switch (code) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
      return true;
    default:
      return false;
  }
}

}  // namespace

struct EsClient::Host {
  std::string base_url;
  std::string redacted;
  CURL* curl = nullptr;
  curl_slist* headers_plain = nullptr;
  curl_slist* headers_gzip = nullptr;
  curl_slist* headers_ndjson = nullptr;
  curl_slist* headers_ndjson_gzip = nullptr;
  char error[CURL_ERROR_SIZE] = {};

  ~Host() {
    if (curl != nullptr) curl_easy_cleanup(curl);
    for (auto* h : {headers_plain, headers_gzip, headers_ndjson, headers_ndjson_gzip}) {
      curl_slist_free_all(h);
    }
  }
};

EsClient::EsClient(const IndexerConfig& config, const base::Logger& logger, size_t first_host)
    : config_(config), logger_(logger), pool_(config.hosts.size(), first_host) {}

EsClient::~EsClient() = default;

size_t EsClient::host_count() const {
  return hosts_.size();
}

base::Result<std::unique_ptr<EsClient>> EsClient::create(const IndexerConfig& config,
                                                         const base::Logger& logger,
                                                         size_t first_host) {
  curl_global_once();
  if (config.hosts.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "no Elasticsearch host configured");
  }
  std::unique_ptr<EsClient> client(new EsClient(config, logger, first_host % config.hosts.size()));
  for (const auto& url : config.hosts) {
    auto host = std::make_unique<Host>();
    host->base_url = url;
    host->redacted = redact_url(url);
    host->curl = curl_easy_init();
    if (host->curl == nullptr) return make_error(ErrorCode::kInternal, "curl_easy_init failed");
    // Headers built once; an API key header carries a secret but stays inside curl.
    auto make = [&](std::string_view content_type, bool gzip) {
      curl_slist* list = nullptr;
      list = curl_slist_append(list, ("Content-Type: " + std::string(content_type)).c_str());
      if (gzip) list = curl_slist_append(list, "Content-Encoding: gzip");
      list = curl_slist_append(list, "Expect:");  // no 100-continue round trip
      if (config.has_api_key()) {
        list = curl_slist_append(list, ("Authorization: ApiKey " + config.api_key).c_str());
      }
      return list;
    };
    host->headers_plain = make("application/json", false);
    host->headers_gzip = make("application/json", true);
    host->headers_ndjson = make("application/x-ndjson", false);
    host->headers_ndjson_gzip = make("application/x-ndjson", true);
    client->hosts_.push_back(std::move(host));
  }
  return client;
}

base::Result<HttpResponse> EsClient::send_to(Host& host, const HttpRequest& request) {
  CURL* c = host.curl;
  HttpResponse response;
  const std::string url = host.base_url + std::string(request.path);
  curl_easy_reset(c);  // keeps the connection cache: the keep-alive connection is reused
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(config_.connect_timeout_ns / base::kNsPerMs));
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS,
                   static_cast<long>(config_.request_timeout_ns / base::kNsPerMs));
  curl_easy_setopt(c, CURLOPT_ERRORBUFFER, host.error);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");  // small answers: let curl pick and decode
  host.error[0] = '\0';
  if (!config_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, config_.ca_file.c_str());
  if (config_.insecure_skip_tls_verify) {
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (config_.has_basic_auth()) {
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, static_cast<long>(CURLAUTH_BASIC));
    curl_easy_setopt(c, CURLOPT_USERNAME, config_.username.c_str());
    curl_easy_setopt(c, CURLOPT_PASSWORD, config_.password.c_str());
  }
  const bool ndjson = request.content_type == "application/x-ndjson";
  curl_slist* headers = ndjson ? (request.gzipped ? host.headers_ndjson_gzip : host.headers_ndjson)
                               : (request.gzipped ? host.headers_gzip : host.headers_plain);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
  const std::string method(request.method);
  if (method == "HEAD") {
    curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
  } else if (method != "GET" || !request.body.empty()) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, request.body.data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    if (method != "POST") curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &response);

  const CURLcode rc = curl_easy_perform(c);
  if (rc != CURLE_OK) {
    std::string what = std::string(request.method) + " " + host.redacted +
                       std::string(request.path.substr(0, request.path.find('?'))) + ": " +
                       curl_easy_strerror(rc);
    if (host.error[0] != '\0') what.append(" (").append(host.error).append(")");
    if (is_transient(rc)) return make_error(ErrorCode::kUnavailable, std::move(what));
    if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
        rc == CURLE_SSL_CACERT_BADFILE || rc == CURLE_SSL_CERTPROBLEM) {
      what +=
          "; check the URL scheme (https against an http port?), --es-ca-file, or --es-insecure";
    }
    return make_error(ErrorCode::kRejected, std::move(what));
  }
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &response.status);
  response.host = host.redacted;
  return response;
}

base::Result<HttpResponse> EsClient::send(const HttpRequest& request) {
  std::string errors;
  std::vector<bool> tried(hosts_.size(), false);
  for (;;) {
    const size_t h = pool_.pick(base::now_monotonic_ns(), tried);
    if (h >= hosts_.size()) break;
    tried[h] = true;
    pool_.advance(h);  // round-robin: the next request starts at the next host
    Host& host = *hosts_[h];
    auto r = send_to(host, request);
    if (r.ok() || r.error().code() != ErrorCode::kUnavailable) {
      if (pool_.mark_ok(h) && hosts_.size() > 1) {
        logger_.warning("host " + host.redacted + " answers again");
      }
      return r;
    }
    if (pool_.mark_failed(h, base::now_monotonic_ns()) && hosts_.size() > 1) {
      logger_.warning(r.error().message() + "; using the other hosts, retrying this one later");
    } else {
      logger_.debug(r.error().message());
    }
    if (!errors.empty()) errors += "; ";
    errors += r.error().message();
  }
  return make_error(ErrorCode::kUnavailable, errors);
}

ServerError read_server_error(std::string_view body) {
  ServerError out;
  if (body.empty() || body.front() != '{') return out;
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(root) != simdjson::SUCCESS) {
    return out;
  }
  simdjson::ondemand::value error;
  if (root.find_field_unordered("error").get(error) != simdjson::SUCCESS) return out;
  std::string_view text;
  if (error.get_string().get(text) == simdjson::SUCCESS) {
    out.reason = text;
    return out;
  }
  simdjson::ondemand::object object;
  if (error.get_object().get(object) != simdjson::SUCCESS) return out;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) break;
    if (key != "type" && key != "reason") continue;
    if (field.value().get_string().get(text) != simdjson::SUCCESS) continue;
    (key == "type" ? out.type : out.reason) = text;
  }
  return out;
}

namespace {

// Text on one line: runs of whitespace and control characters made one space, tags dropped
// when strip_tags (a proxy's HTML page), at most max characters.
std::string one_line_text(std::string_view body, size_t max, bool strip_tags) {
  std::string out;
  bool in_tag = false, space = false;
  for (const char c : body) {
    if (out.size() >= max) {
      out += "…";
      break;
    }
    if (strip_tags && c == '<') {
      in_tag = true;
      space = true;
    } else if (strip_tags && c == '>') {
      in_tag = false;
    } else if (!in_tag) {
      if (std::isspace(static_cast<unsigned char>(c)) ||
          std::iscntrl(static_cast<unsigned char>(c))) {
        space = true;
      } else {
        if (space && !out.empty()) out += ' ';
        space = false;
        out += c;
      }
    }
  }
  return out;
}

}  // namespace

std::string describe_http_error(const HttpResponse& response, std::string_view what) {
  std::string s =
      std::string(what) + ": HTTP " + std::to_string(response.status) + " from " + response.host;
  const ServerError error = read_server_error(response.body);
  if (response.status == 401) s += " (authentication failed: check the credentials)";
  if (response.status == 403 && error.type.find("block") == std::string::npos) {
    s += " (forbidden: the user lacks a privilege)";
  }
  std::string detail;
  if (!error.type.empty() || !error.reason.empty()) {
    detail = error.type;
    if (!error.reason.empty()) detail += (detail.empty() ? "" : ": ") + error.reason;
    detail = one_line_text(detail, 300, false);
  } else if (const size_t t = response.body.find("<title>"); t != std::string::npos) {
    // A proxy's error page: its title says it all ("401 Authorization Required").
    const size_t end = response.body.find("</title>", t);
    detail = one_line_text(std::string_view(response.body).substr(t + 7, end - t - 7), 300, true);
  } else {
    detail = one_line_text(response.body, 300, true);
  }
  if (!detail.empty()) s += ": " + detail;
  return s;
}

}  // namespace snapflow::indexer
