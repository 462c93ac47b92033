#include "snapflow/indexer/config.h"

#include <sys/stat.h>

#include <cctype>
#include <cstdlib>
#include <fstream>
#include <string>

namespace snapflow::indexer {

using base::ErrorCode;
using base::make_error;

namespace {

base::Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

}  // namespace

base::Result<std::string> normalize_host(std::string_view text) {
  text = trim(text);
  if (text.empty()) return invalid("empty --es-host");
  std::string scheme = "http";
  std::string_view rest = text;
  if (const size_t p = text.find("://"); p != std::string_view::npos) {
    scheme = std::string(text.substr(0, p));
    for (auto& c : scheme) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    rest = text.substr(p + 3);
  }
  if (scheme != "http" && scheme != "https") {
    return invalid("--es-host " + redact_url(text) + ": scheme must be http or https");
  }
  const size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  std::string_view path = slash == std::string_view::npos ? "" : rest.substr(slash);
  if (authority.find('@') != std::string_view::npos) {
    return invalid("--es-host " + redact_url(text) +
                   ": credentials in the URL would be visible in ps and logs; use "
                   "SNAPFLOW_ES_USER/SNAPFLOW_ES_PASSWORD, SNAPFLOW_ES_API_KEY or "
                   "--es-credentials-file");
  }
  if (path.find('?') != std::string_view::npos || path.find('#') != std::string_view::npos) {
    return invalid("--es-host " + redact_url(text) + ": no query string allowed");
  }
  if (authority.empty()) return invalid("--es-host " + std::string(text) + ": no host name");
  // Port: after the last ':' unless that colon sits inside an IPv6 literal's brackets.
  const size_t colon = authority.rfind(':');
  const size_t bracket = authority.rfind(']');
  const bool has_port =
      colon != std::string_view::npos && (bracket == std::string_view::npos || colon > bracket);
  std::string out = scheme + "://" + std::string(authority);
  if (has_port) {
    const std::string_view port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 ||
        port.find_first_not_of("0123456789") != std::string_view::npos ||
        std::stoi(std::string(port)) == 0 || std::stoi(std::string(port)) > 65535) {
      return invalid("--es-host " + std::string(text) + ": bad port");
    }
    if (colon == 0) return invalid("--es-host " + std::string(text) + ": no host name");
  } else {
    out += ":9200";
  }
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  out += path;
  return out;
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  const size_t start = out.find("://");
  const size_t auth_begin = start == std::string::npos ? 0 : start + 3;
  const size_t auth_end = out.find_first_of("/?#", auth_begin);
  const size_t at = out.rfind('@', auth_end == std::string::npos ? out.size() : auth_end);
  if (at != std::string::npos && at >= auth_begin) out.replace(auth_begin, at - auth_begin, "***");
  if (const size_t q = out.find('?'); q != std::string::npos) out.replace(q + 1, out.npos, "***");
  return out;
}

base::Status load_credentials(IndexerConfig& config) {
  if (!config.credentials_file.empty()) {
    std::ifstream in(config.credentials_file);
    if (!in) {
      return make_error(ErrorCode::kNotFound,
                        "cannot read --es-credentials-file " + config.credentials_file);
    }
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
      ++line_no;
      const std::string_view l = trim(line);
      if (l.empty() || l.front() == '#') continue;
      const size_t eq = l.find('=');
      if (eq == std::string_view::npos) {
        return invalid("--es-credentials-file " + config.credentials_file + " line " +
                       std::to_string(line_no) + ": expected key=value");
      }
      const std::string_view key = trim(l.substr(0, eq));
      const std::string value(trim(l.substr(eq + 1)));
      if (key == "user" || key == "username") {
        config.username = value;
      } else if (key == "password") {
        config.password = value;
      } else if (key == "api_key") {
        config.api_key = value;
      } else {
        return invalid("--es-credentials-file " + config.credentials_file + " line " +
                       std::to_string(line_no) + ": unknown key '" + std::string(key) +
                       "' (user, password, api_key)");
      }
    }
  }
  if (const char* v = std::getenv("SNAPFLOW_ES_USER"); v != nullptr && *v != '\0') {
    config.username = v;
  }
  if (const char* v = std::getenv("SNAPFLOW_ES_PASSWORD"); v != nullptr && *v != '\0') {
    config.password = v;
  }
  if (const char* v = std::getenv("SNAPFLOW_ES_API_KEY"); v != nullptr && *v != '\0') {
    config.api_key = v;
  }
  return base::ok_status();
}

base::Status validate(IndexerConfig& config) {
  if (config.hosts.empty()) config.hosts.emplace_back(kDefaultEsHost);
  for (auto& h : config.hosts) {
    auto n = normalize_host(h);
    if (!n.ok()) return std::move(n).error();
    h = std::move(*n);
  }
  if (config.has_api_key() && config.has_basic_auth()) {
    return invalid("both an API key and a user name are set; use one");
  }
  if (config.has_basic_auth() && config.password.empty()) {
    return invalid("user " + config.username + " has no password (SNAPFLOW_ES_PASSWORD)");
  }
  if (!config.has_basic_auth() && !config.password.empty()) {
    return invalid("a password is set without a user (SNAPFLOW_ES_USER)");
  }
  if (!config.ca_file.empty()) {
    struct stat st {};
    if (::stat(config.ca_file.c_str(), &st) != 0) {
      return make_error(ErrorCode::kNotFound, "--es-ca-file " + config.ca_file + " not found");
    }
  }
  if (config.bulk_bytes < 1024 || config.bulk_bytes > (512u << 20)) {
    return invalid("--es-bulk-bytes must be between 1 KiB and 512 MiB");
  }
  if (config.flush_interval_ns < base::kNsPerMs ||
      config.flush_interval_ns > 3600 * base::kNsPerSec) {
    return invalid("--es-flush-interval must be between 1ms and 1h");
  }
  if (config.max_in_flight < 1 || config.max_in_flight > 64) {
    return invalid("--es-in-flight must be between 1 and 64");
  }
  if (config.queue_requests < 1 || config.queue_requests > 1024) {
    return invalid("--es-queue must be between 1 and 1024");
  }
  if (config.gzip_level < 0 || config.gzip_level > 3) {
    return invalid("--es-gzip-level must be between 0 and 3");
  }
  if (config.connect_timeout_ns < base::kNsPerMs || config.request_timeout_ns < base::kNsPerMs) {
    return invalid("timeouts must be at least 1ms");
  }
  if (config.retry_initial_ns < base::kNsPerMs || config.retry_max_ns < config.retry_initial_ns) {
    return invalid("retry delays: need 1ms <= initial <= max");
  }
  if (config.retry_total_ns < 0) return invalid("--es-retry-max-time must not be negative");
  if (config.dead_letter_path.empty()) return invalid("--es-dead-letter must name a file");
  if (config.index_prefix.empty() ||
      config.index_prefix.find_first_of("*?,/\\ \"<>|#:") != std::string::npos ||
      config.index_prefix != [&] {
        std::string lower = config.index_prefix;
        for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return lower;
      }()) {
    return invalid("--es-index-prefix must be a lowercase index name without wildcards");
  }
  if (config.shards < 1 || config.shards > 1024) return invalid("--es-shards out of range");
  if (config.replicas < 0 || config.replicas > 16) return invalid("--es-replicas out of range");
  if (config.refresh_interval.empty()) return invalid("--es-refresh-interval is empty");
  if (config.retention_ns < base::kNsPerSec) return invalid("--es-retention must be >= 1s");
  return base::ok_status();
}

}  // namespace snapflow::indexer
