// CaptureConfig: the one validated configuration of snapflow-capture.
//
// Sources of settings, later ones winning: built-in defaults (the kDefault* constants), a config
// file of "key = value" lines (--config FILE; '#' starts a comment), then command-line flags
// "--key=value" or "--key value" using the same keys. Credentials never come from the command
// line: they are read from --api-credentials-file (one "user:password" or
// "user:sha256:HEX" line) or the environment (SNAPFLOW_API_USER, SNAPFLOW_API_PASSWORD).
// validate() checks every field and cross-field constraint and names the offending key.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/capture/cloud_config.h"

namespace snapflow::capture {

inline constexpr std::string_view kDefaultApiListen = "127.0.0.1:8480";
inline constexpr uint64_t kDefaultRingBytes = 1ull << 30;
inline constexpr uint64_t kDefaultSegmentBytes = 64ull << 20;
inline constexpr uint64_t kDefaultPcapBufferBytes = 64ull << 20;
inline constexpr uint32_t kDefaultSnaplen = 262144;
inline constexpr uint32_t kDefaultDpdkBurst = 64;
inline constexpr uint32_t kDefaultDpdkMbufs = 4096;
// API limits (docs/capture.md "Limits"): sized so an attacker holding the per-address limit
// from dozens of addresses still leaves room, and so a request's headers must arrive quickly
// while a running download may idle for longer.
inline constexpr uint32_t kDefaultApiMaxConnections = 256;
inline constexpr uint32_t kDefaultApiPerIpConnections = 8;
inline constexpr uint32_t kDefaultApiHeaderTimeoutS = 5;
inline constexpr uint32_t kDefaultApiTimeoutS = 30;
inline constexpr uint32_t kDefaultApiMaxDownloads = 4;
inline constexpr uint32_t kDefaultApiMaxHeaderBytes = 32 * 1024;
// Retrieval bounds (docs/capture.md "Retrieval over HTTP"): a /pcap/splittime window, filter
// text, /ring/bandwidth points and /plain/split rows per request.
inline constexpr int64_t kDefaultApiMaxWindowNs = int64_t{24} * 3600 * 1'000'000'000;
inline constexpr size_t kDefaultApiMaxFilterBytes = 4096;
inline constexpr uint32_t kDefaultApiMaxPoints = 100'000;
inline constexpr size_t kDefaultApiMaxSplitRows = 100'000;
inline constexpr int64_t kDefaultFlushIntervalNs = 100'000'000;
// The user the daemon becomes once its sources and ring are open (when started as root).
inline constexpr std::string_view kDefaultUser = "snapflow";

enum class RingPolicy { kOverwrite, kBlock };

struct DpdkConfig {
  std::vector<std::string> eal_args;   ///< split on spaces, passed to rte_eal_init
  std::vector<uint16_t> ports = {0};   ///< ethdev port ids to receive from
  uint16_t rx_queues = 1;              ///< per port; >1 enables RSS
  uint32_t burst = kDefaultDpdkBurst;  ///< rte_eth_rx_burst size, 1..512
  uint32_t mbufs = kDefaultDpdkMbufs;  ///< mempool size per port
  uint32_t rx_descriptors = 1024;
  // Use the PMD's RX timestamp (mbuf dynfield) as ns since the epoch. Only for PMDs that deliver
  // epoch nanoseconds (net_pcap replaying a file; mlx5 in real-time clock mode); others give
  // raw device ticks, so the default is the TSC calibrated against CLOCK_REALTIME.
  bool hw_timestamps = false;
};

struct Credentials {
  std::string user;
  std::array<uint8_t, 32> password_sha256{};  ///< only the hash is kept in memory
  bool present() const { return !user.empty(); }
};

struct CaptureConfig {
  // source
  std::string source;      ///< "pcap:IFACE", "dpdk", "forward:afpacket:IF0[,IF1]", "forward:dpdk"
  std::string bpf_filter;  ///< optional libpcap filter (pcap source only)
  uint64_t pcap_buffer_bytes = kDefaultPcapBufferBytes;
  uint32_t snaplen = kDefaultSnaplen;
  DpdkConfig dpdk;
  // ring
  std::string ring_dir;
  uint64_t ring_bytes = kDefaultRingBytes;
  uint64_t segment_bytes = kDefaultSegmentBytes;
  RingPolicy policy = RingPolicy::kOverwrite;
  int64_t flush_interval_ns = kDefaultFlushIntervalNs;
  std::string start_capture;  ///< capture name to start immediately ("" = none)
  // api
  std::string api_listen = std::string(kDefaultApiListen);  ///< "" or "off" disables the API
  bool api_insecure_no_auth = false;  ///< explicit, loudly named opt-out of Basic auth
  std::string api_credentials_file;
  Credentials credentials;  ///< filled by load_credentials()
  uint32_t api_max_connections = kDefaultApiMaxConnections;
  uint32_t api_per_ip_connections = kDefaultApiPerIpConnections;  ///< IPv6: per /64
  uint32_t api_header_timeout_s = kDefaultApiHeaderTimeoutS;  ///< request line + headers deadline
  uint32_t api_timeout_s = kDefaultApiTimeoutS;  ///< idle allowance of a request in progress
  uint32_t api_max_downloads = kDefaultApiMaxDownloads;       ///< concurrent streamed downloads
  uint32_t api_max_header_bytes = kDefaultApiMaxHeaderBytes;  ///< per-connection request buffer
  int64_t api_max_window_ns = kDefaultApiMaxWindowNs;         ///< /pcap/splittime Stop - Start
  uint32_t api_max_filter_bytes = kDefaultApiMaxFilterBytes;  ///< Filter= / FilterBPF= text
  uint32_t api_max_points = kDefaultApiMaxPoints;             ///< /ring/bandwidth Points=
  uint32_t api_max_split_rows = kDefaultApiMaxSplitRows;      ///< rows of one /plain/split
  std::string api_tls_cert;  ///< PEM certificate (chain) file; with api_tls_key enables HTTPS
  std::string api_tls_key;   ///< PEM private key file, not readable by group or others
  // Explicit, loudly named opt-in to Basic auth over plain HTTP on a non-loopback address.
  bool api_insecure_plain_http = false;
  // hardening (capture/src/hardening.h)
  std::string user = std::string(kDefaultUser);  ///< "root" keeps root (not recommended)
  bool seccomp = true;                           ///< system call allow-list after start-up
  // misc
  base::LogLevel log_level = base::LogLevel::kInfo;
  std::string observer_name = "snapflow";
  // cloud capture (cloud_config.h)
  ForwardConfig forward;
  MirrorConfig mirror;
  std::string state_dir;  ///< "" = RING_DIR/state

  bool api_enabled() const { return !api_listen.empty() && api_listen != "off"; }
};

// Applies one "key", "value" setting; unknown keys and malformed values are errors naming key.
base::Status apply_setting(CaptureConfig& config, std::string_view key, std::string_view value);

// Reads "key = value" lines from text (name used in messages: "FILE:LINE: ...").
base::Status apply_config_text(CaptureConfig& config, std::string_view text, std::string_view name);

// Parses argv (argv[0] skipped). "--config FILE" is applied first wherever it appears, so flags
// override the file. "--help" sets *help.
base::Result<CaptureConfig> parse_command_line(int argc, const char* const* argv, bool* help);

// Fills config.credentials from api_credentials_file or the environment.
base::Status load_credentials(CaptureConfig& config);

// The api-* keys (config_api.cc): applies key if it is one; returns false when it is not.
bool apply_api_setting(CaptureConfig& config, std::string_view key, std::string_view value,
                       base::Status* status);
// Validation of the api-* keys (called by validate()).
base::Status validate_api_settings(const CaptureConfig& config);
// True for 127.0.0.0/8, ::1 and ::ffff:127.0.0.0/104 (numeric addresses only).
bool is_loopback_host(std::string_view host);

// Every field and cross-field constraint; messages name the flag, e.g.
// "--ring-segment-bytes=100: must be a multiple of 4096".
base::Status validate(const CaptureConfig& config);

// Splits "HOST:PORT" (IPv4 or [IPv6]); validates the port.
struct ListenAddress {
  std::string host;
  uint16_t port = 0;
};
base::Result<ListenAddress> parse_listen_address(std::string_view text);

std::string usage_text();

}  // namespace snapflow::capture
