#include "snapflow/capture/config.h"

#include <cstdlib>
#include <fstream>
#include <limits>
#include <sstream>

#include "config_values.h"
#include "snapflow/base/parse.h"
#include "snapflow/base/time.h"
#include "snapflow/capture/auth.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;
using base::Status;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::vector<std::string> split_words(std::string_view text) {
  std::vector<std::string> words;
  std::istringstream in{std::string(text)};
  std::string word;
  while (in >> word) words.push_back(word);
  return words;
}

}  // namespace

base::Result<ListenAddress> parse_listen_address(std::string_view text) {
  ListenAddress out;
  std::string_view port;
  if (!text.empty() && text.front() == '[') {
    auto close = text.find(']');
    if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      return make_error(ErrorCode::kInvalidArgument, "expected [IPV6]:PORT");
    }
    out.host = std::string(text.substr(1, close - 1));
    port = text.substr(close + 2);
  } else {
    auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return make_error(ErrorCode::kInvalidArgument, "expected HOST:PORT");
    }
    out.host = std::string(text.substr(0, colon));
    port = text.substr(colon + 1);
  }
  // Port 0 asks the kernel for a free port; the readiness line reports the one bound.
  if (!parse_setting_uint(port, out.port)) {
    return make_error(ErrorCode::kInvalidArgument, "port must be 0..65535");
  }
  return out;
}

Status apply_setting(CaptureConfig& c, std::string_view key, std::string_view value) {
  value = trim(value);
  if (Status api; apply_api_setting(c, key, value, &api)) return api;
  if (Status cloud; apply_cloud_setting(c, key, value, cloud)) return cloud;
  if (key == "source") {
    c.source = value;
  } else if (key == "bpf-filter") {
    c.bpf_filter = value;
  } else if (key == "pcap-buffer-bytes") {
    return set_size(key, value, c.pcap_buffer_bytes);
  } else if (key == "snaplen") {
    return set_uint32(key, value, c.snaplen);
  } else if (key == "dpdk-eal-args") {
    c.dpdk.eal_args = split_words(value);
  } else if (key == "dpdk-ports") {
    c.dpdk.ports.clear();
    std::string_view rest = value;
    while (!rest.empty()) {
      auto comma = rest.find(',');
      std::string_view item = trim(rest.substr(0, comma));
      uint16_t port = 0;
      if (!parse_setting_uint(item, port))
        return bad_setting(key, value, "expected port ids like 0,1");
      c.dpdk.ports.push_back(port);
      rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    }
  } else if (key == "dpdk-rx-queues") {
    if (!parse_setting_uint(value, c.dpdk.rx_queues))
      return bad_setting(key, value, "expected 1..64");
  } else if (key == "dpdk-burst") {
    return set_uint32(key, value, c.dpdk.burst);
  } else if (key == "dpdk-mbufs") {
    return set_uint32(key, value, c.dpdk.mbufs);
  } else if (key == "dpdk-rx-descriptors") {
    return set_uint32(key, value, c.dpdk.rx_descriptors);
  } else if (key == "dpdk-hw-timestamps") {
    return set_bool(key, value, c.dpdk.hw_timestamps);
  } else if (key == "ring-dir") {
    c.ring_dir = value;
  } else if (key == "ring-bytes") {
    return set_size(key, value, c.ring_bytes);
  } else if (key == "ring-segment-bytes") {
    return set_size(key, value, c.segment_bytes);
  } else if (key == "ring-policy") {
    if (value == "overwrite") {
      c.policy = RingPolicy::kOverwrite;
    } else if (value == "block") {
      c.policy = RingPolicy::kBlock;
    } else {
      return bad_setting(key, value, "expected overwrite or block");
    }
  } else if (key == "flush-interval") {
    auto ns = base::parse_duration_ns(value);
    if (!ns) return bad_setting(key, value, ns.error().message());
    c.flush_interval_ns = *ns;
  } else if (key == "start-capture") {
    c.start_capture = value;
  } else if (key == "user") {
    c.user = value;
  } else if (key == "seccomp") {
    return set_bool(key, value, c.seccomp);
  } else if (key == "observer-name") {
    c.observer_name = value;
  } else if (key == "log-level") {
    if (value == "debug") {
      c.log_level = base::LogLevel::kDebug;
    } else if (value == "info") {
      c.log_level = base::LogLevel::kInfo;
    } else if (value == "warning") {
      c.log_level = base::LogLevel::kWarning;
    } else if (value == "error") {
      c.log_level = base::LogLevel::kError;
    } else {
      return bad_setting(key, value, "expected debug, info, warning or error");
    }
  } else {
    return make_error(ErrorCode::kInvalidArgument,
                      "--" + std::string(key) + ": unknown setting (see --help)");
  }
  return {};
}

Status apply_config_text(CaptureConfig& config, std::string_view text, std::string_view name) {
  size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    auto newline = text.find('\n');
    std::string_view line = text.substr(0, newline);
    text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
    if (auto hash = line.find('#'); hash != std::string_view::npos) line = line.substr(0, hash);
    line = trim(line);
    if (line.empty()) continue;
    auto eq = line.find('=');
    std::string where = std::string(name) + ":" + std::to_string(line_number);
    if (eq == std::string_view::npos) {
      return make_error(ErrorCode::kInvalidArgument, where + ": expected key = value");
    }
    SNAPFLOW_TRY_STATUS(apply_setting(config, trim(line.substr(0, eq)), line.substr(eq + 1)),
                        where);
  }
  return {};
}

base::Result<CaptureConfig> parse_command_line(int argc, const char* const* argv, bool* help) {
  CaptureConfig config;
  std::vector<std::pair<std::string, std::string>> settings;
  std::string config_file;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      if (help) *help = true;
      continue;
    }
    if (arg.substr(0, 2) != "--" || arg.size() == 2) {
      return make_error(ErrorCode::kInvalidArgument,
                        std::string(arg) + ": unexpected argument (flags are --key=value)");
    }
    arg.remove_prefix(2);
    std::string key, value;
    if (auto eq = arg.find('='); eq != std::string_view::npos) {
      key = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (i + 1 < argc) {
      key = arg;
      value = argv[++i];
    } else {
      return make_error(ErrorCode::kInvalidArgument, "--" + std::string(arg) + ": needs a value");
    }
    if (key == "config") {
      config_file = value;
    } else {
      settings.emplace_back(std::move(key), std::move(value));
    }
  }
  if (!config_file.empty()) {
    std::ifstream in(config_file);
    if (!in) {
      return make_error(ErrorCode::kIo, "--config=" + config_file + ": cannot open");
    }
    std::ostringstream text;
    text << in.rdbuf();
    SNAPFLOW_TRY_STATUS(apply_config_text(config, text.str(), config_file),
                        "--config=" + config_file);
  }
  for (const auto& [key, value] : settings) {
    SNAPFLOW_TRY_STATUS(apply_setting(config, key, value), "command line");
  }
  return config;
}

Status load_credentials(CaptureConfig& config) {
  if (!config.api_credentials_file.empty()) {
    std::ifstream in(config.api_credentials_file);
    if (!in) {
      return make_error(ErrorCode::kIo,
                        "--api-credentials-file=" + config.api_credentials_file + ": cannot open");
    }
    std::string line;
    std::getline(in, line);
    auto parsed = parse_credentials_line(trim(line));
    if (!parsed) {
      return std::move(parsed).error().context("--api-credentials-file=" +
                                               config.api_credentials_file);
    }
    config.credentials = std::move(*parsed);
    return {};
  }
  const char* user = std::getenv("SNAPFLOW_API_USER");
  const char* password = std::getenv("SNAPFLOW_API_PASSWORD");
  if (user && *user && password && *password) {
    config.credentials = make_credentials(user, password);
  }
  return {};
}

Status validate(const CaptureConfig& c) {
  if (c.source.empty()) {
    return make_error(ErrorCode::kInvalidArgument, "--source: required (pcap:IFACE or dpdk)");
  }
  if (is_forward_source(c)) {
    if (auto st = validate_cloud(c); !st.ok()) return st;
  } else if (c.source.rfind("pcap:", 0) == 0) {
    if (c.source.size() == 5)
      return bad_setting("source", c.source, "pcap: needs an interface name");
  } else if (c.source == "dpdk") {
    if (c.dpdk.eal_args.empty()) {
      return bad_setting("dpdk-eal-args", "", "required with --source=dpdk");
    }
    if (c.dpdk.ports.empty()) return bad_setting("dpdk-ports", "", "at least one port");
    if (c.dpdk.rx_queues == 0 || c.dpdk.rx_queues > 64) {
      return bad_setting("dpdk-rx-queues", std::to_string(c.dpdk.rx_queues), "must be 1..64");
    }
    if (c.dpdk.burst == 0 || c.dpdk.burst > 512) {
      return bad_setting("dpdk-burst", std::to_string(c.dpdk.burst), "must be 1..512");
    }
    if (c.dpdk.mbufs < 2 * c.dpdk.rx_descriptors) {
      return bad_setting("dpdk-mbufs", std::to_string(c.dpdk.mbufs),
                         "must be at least twice --dpdk-rx-descriptors");
    }
    if (!c.bpf_filter.empty())
      return bad_setting("bpf-filter", c.bpf_filter, "only with pcap sources");
  } else {
    return bad_setting("source", c.source, "expected pcap:IFACE, dpdk or forward:...");
  }
  if (!is_forward_source(c)) {
    if (auto st = validate_cloud(c); !st.ok()) return st;
  }
  if (c.snaplen < 64 || c.snaplen > 262144) {
    return bad_setting("snaplen", std::to_string(c.snaplen), "must be 64..262144");
  }
  if (c.pcap_buffer_bytes < (1u << 20)) {
    return bad_setting("pcap-buffer-bytes", std::to_string(c.pcap_buffer_bytes), "must be >= 1M");
  }
  if (c.ring_dir.empty()) return bad_setting("ring-dir", "", "required");
  if (c.user.empty()) return bad_setting("user", "", "a user name (the default is snapflow)");
  if (c.segment_bytes < (1u << 20) || c.segment_bytes % 4096 != 0) {
    return bad_setting("ring-segment-bytes", std::to_string(c.segment_bytes),
                       "must be >= 1M and a multiple of 4096");
  }
  if (c.ring_bytes < 2 * c.segment_bytes) {
    return bad_setting("ring-bytes", std::to_string(c.ring_bytes),
                       "must hold at least two segments of --ring-segment-bytes");
  }
  if (c.flush_interval_ns < base::kNsPerMs || c.flush_interval_ns > 10 * base::kNsPerSec) {
    return bad_setting("flush-interval", std::to_string(c.flush_interval_ns) + "ns",
                       "must be 1ms..10s");
  }
  return validate_api_settings(c);
}

std::string usage_text() {
  return R"(usage: snapflow-capture [--config FILE] [--key=value ...]
  --source=pcap:IFACE | dpdk       where packets come from (required)
  --bpf-filter=EXPR                libpcap filter (pcap sources)
  --pcap-buffer-bytes=64M          kernel ring size for libpcap
  --snaplen=262144                 bytes kept per packet
  --dpdk-eal-args="..."            EAL arguments, e.g. "-l 0 --no-huge -m 512 --no-pci"
  --dpdk-ports=0,1  --dpdk-rx-queues=1  --dpdk-burst=64  --dpdk-mbufs=4096
  --dpdk-hw-timestamps=false       trust the PMD's RX timestamp as epoch ns (net_pcap, mlx5 RT)
  --ring-dir=DIR (required)  --ring-bytes=1G  --ring-segment-bytes=64M
  --ring-policy=overwrite|block  --flush-interval=100ms
  --start-capture=NAME             start a named capture at startup
  --api-listen=127.0.0.1:8480      "off" disables the HTTP API
  --api-credentials-file=FILE      "user:password" or "user:sha256:HEX" (or env
                                   SNAPFLOW_API_USER / SNAPFLOW_API_PASSWORD)
  --api-insecure-no-auth=false     serve the API without authentication
  --api-tls-cert=FILE --api-tls-key=FILE   HTTPS (PEM; the key file mode 0600)
  --api-insecure-plain-http=false  allow Basic auth over plain HTTP off loopback
  --api-max-connections=256  --api-per-ip-connections=8  --api-max-downloads=4
  --api-header-timeout-s=5  --api-timeout-s=30  --api-max-header-bytes=32K
  --api-max-window=24h  --api-max-filter-bytes=4096  --api-max-points=100000
  --api-max-split-rows=100000      retrieval bounds per request (window 0 = no limit)
  --user=snapflow                  user to run as once sources and ring are open (started as
                                   root); "root" keeps root (not recommended)
  --seccomp=true                   system call allow-list after start-up
  --observer-name=snapflow  --log-level=info
)" + cloud_usage_text();
}
}  // namespace snapflow::capture
