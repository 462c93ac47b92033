// The api-* settings of snapflow-capture: parsing and validation, kept apart from the source and
// ring settings (config.cc) because the API's limits and security rules are one subject.
#include <arpa/inet.h>

#include <cstdint>

#include "config_values.h"
#include "snapflow/base/parse.h"
#include "snapflow/base/time.h"
#include "snapflow/capture/config.h"
#include "snapflow/extract/bandwidth.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;
using base::Status;

Status check_range(std::string_view key, uint64_t value, uint64_t lo, uint64_t hi,
                   std::string_view unit = "") {
  if (value >= lo && value <= hi) return {};
  return bad_setting(
      key, std::to_string(value),
      "must be " + std::to_string(lo) + ".." + std::to_string(hi) + std::string(unit));
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  const std::string text(host);
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) {
    return (ntohl(v4.s_addr) >> 24) == 127;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, text.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_LOOPBACK(&v6)) return true;
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 127;
}

bool apply_api_setting(CaptureConfig& c, std::string_view key, std::string_view value,
                       Status* status) {
  Status& st = *status;
  if (key == "api-listen") {
    c.api_listen = value;
  } else if (key == "api-insecure-no-auth") {
    st = set_bool(key, value, c.api_insecure_no_auth);
  } else if (key == "api-credentials-file") {
    c.api_credentials_file = value;
  } else if (key == "api-max-connections") {
    st = set_uint32(key, value, c.api_max_connections);
  } else if (key == "api-per-ip-connections") {
    st = set_uint32(key, value, c.api_per_ip_connections);
  } else if (key == "api-header-timeout-s") {
    st = set_uint32(key, value, c.api_header_timeout_s);
  } else if (key == "api-timeout-s") {
    st = set_uint32(key, value, c.api_timeout_s);
  } else if (key == "api-max-downloads") {
    st = set_uint32(key, value, c.api_max_downloads);
  } else if (key == "api-max-header-bytes") {
    st = set_size32(key, value, c.api_max_header_bytes);
  } else if (key == "api-max-window") {
    if (value == "0" || value == "off") {
      c.api_max_window_ns = 0;
    } else {
      auto ns = base::parse_duration_ns(value);
      if (!ns) {
        st = bad_setting(key, value, ns.error().message());
      } else {
        c.api_max_window_ns = *ns;
      }
    }
  } else if (key == "api-max-filter-bytes") {
    st = set_size32(key, value, c.api_max_filter_bytes);
  } else if (key == "api-max-points") {
    st = set_uint32(key, value, c.api_max_points);
  } else if (key == "api-max-split-rows") {
    st = set_uint32(key, value, c.api_max_split_rows);
  } else if (key == "api-tls-cert") {
    c.api_tls_cert = value;
  } else if (key == "api-tls-key") {
    c.api_tls_key = value;
  } else if (key == "api-insecure-plain-http") {
    st = set_bool(key, value, c.api_insecure_plain_http);
  } else if (key == "api-password" || key == "api-user" || key == "api-credentials") {
    st = make_error(ErrorCode::kInvalidArgument,
                    "--" + std::string(key) +
                        ": credentials are never taken from flags or the config file; use "
                        "--api-credentials-file or SNAPFLOW_API_USER/SNAPFLOW_API_PASSWORD");
  } else {
    return false;
  }
  return true;
}

Status validate_api_settings(const CaptureConfig& c) {
  if (!c.api_enabled()) return {};
  auto listen = parse_listen_address(c.api_listen);
  if (!listen) return bad_setting("api-listen", c.api_listen, listen.error().message());
  const bool auth = !c.api_insecure_no_auth;
  if (auth && !c.credentials.present()) {
    return make_error(ErrorCode::kInvalidArgument,
                      "--api-credentials-file: the API requires credentials (a file with "
                      "user:password, or SNAPFLOW_API_USER and SNAPFLOW_API_PASSWORD); "
                      "--api-insecure-no-auth=true turns authentication off");
  }
  if (c.api_tls_cert.empty() != c.api_tls_key.empty()) {
    return make_error(ErrorCode::kInvalidArgument,
                      c.api_tls_cert.empty() ? "--api-tls-key: needs --api-tls-cert as well"
                                             : "--api-tls-cert: needs --api-tls-key as well");
  }
  const bool tls = !c.api_tls_cert.empty();
  // Basic auth sends the password with every request: in clear text only on this host.
  if (auth && !tls && !c.api_insecure_plain_http && !is_loopback_host(listen->host)) {
    return bad_setting(
        "api-listen", c.api_listen,
        "Basic auth over plain HTTP off loopback would send the password in clear; give "
        "--api-tls-cert and --api-tls-key, or --api-insecure-plain-http=true");
  }
  if (auto st = check_range("api-max-connections", c.api_max_connections, 1, 4096); !st.ok()) {
    return st;
  }
  if (c.api_per_ip_connections == 0 || c.api_per_ip_connections > c.api_max_connections) {
    return bad_setting("api-per-ip-connections", std::to_string(c.api_per_ip_connections),
                       "must be 1..--api-max-connections");
  }
  if (c.api_max_downloads == 0 || c.api_max_downloads > 64 ||
      c.api_max_downloads > c.api_max_connections) {
    return bad_setting("api-max-downloads", std::to_string(c.api_max_downloads),
                       "must be 1..64 and at most --api-max-connections");
  }
  if (auto st = check_range("api-header-timeout-s", c.api_header_timeout_s, 1, 60); !st.ok()) {
    return st;
  }
  if (auto st = check_range("api-timeout-s", c.api_timeout_s, 1, 3600); !st.ok()) return st;
  if (c.api_max_window_ns != 0 && c.api_max_window_ns < base::kNsPerSec) {
    return bad_setting("api-max-window", std::to_string(c.api_max_window_ns) + "ns",
                       "must be at least 1s, or 0 for no limit");
  }
  if (auto st = check_range("api-max-filter-bytes", c.api_max_filter_bytes, 64, 65536, " bytes");
      !st.ok()) {
    return st;
  }
  if (auto st = check_range("api-max-points", c.api_max_points, 1, extract::kMaxBandwidthPoints);
      !st.ok()) {
    return st;
  }
  if (auto st = check_range("api-max-split-rows", c.api_max_split_rows, 1, 10'000'000); !st.ok()) {
    return st;
  }
  return check_range("api-max-header-bytes", c.api_max_header_bytes, 4096, 1u << 20, " bytes");
}

}  // namespace snapflow::capture
