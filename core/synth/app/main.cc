// snapflow-gen: writes a PCAP of deterministic synthetic traffic (see generator.h).
// Exit codes: 0 done, 1 runtime failure (I/O) or stopped by SIGINT/SIGTERM (the file then holds
// the packets written so far, a complete capture), 2 bad command line.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <type_traits>

#include "snapflow/base/parse.h"
#include "snapflow/base/stop_signals.h"
#include "snapflow/pcap/writer.h"
#include "snapflow/synth/generator.h"

namespace {

constexpr const char* kUsage =
    "usage: snapflow-gen [options] -o OUT.pcap   (OUT may be - for stdout)\n"
    "  --flows N       distinct flows (default 1000)\n"
    "  --packets N     packets in total (default 100000)\n"
    "  --size N|imix   frame bytes 60..9018, or IMIX 7:4:1 of 64/594/1518 (default 64)\n"
    "  --rate PPS      packets per second; timestamps evenly spaced (default 1000000)\n"
    "  --jitter NS     random extra delay per packet, 0..NS-1 ns (default 0)\n"
    "  --start T       first timestamp: ns since epoch or 2026-11-23T00:00:00Z\n"
    "  --ipv6 F        share of IPv6 flows, 0..1 (default 0)\n"
    "  --mix T,U,I     tcp,udp,icmp flow weights (default 8,2,0)\n"
    "  --vlan ID       802.1Q tag on the outer Ethernet header\n"
    "  --tunnel NAME   none|vxlan|geneve|gre|erspan2|erspan3|gtpu|ipip (default none)\n"
    "  --seed N        PRNG seed (default 1); same options + seed = same bytes\n"
    "  -q              no summary on stderr\n";

struct UsageError {
  std::string message;
};

// A number of the flag's type, through the shared parsers (snapflow/base/parse.h).
template <typename T>
T number(std::string_view flag, std::string_view text) {
  if constexpr (std::is_signed_v<T>) {
    if (auto v = snapflow::base::parse_int(text); v.ok()) return static_cast<T>(*v);
  } else {
    auto v = snapflow::base::parse_uint(text, 0, std::numeric_limits<T>::max());
    if (v.ok()) return static_cast<T>(*v);
  }
  throw UsageError{std::string(flag) + ": not a number: '" + std::string(text) + "'"};
}

template <typename T>
T unwrap(snapflow::base::Result<T> r, std::string_view flag) {
  if (!r.ok()) throw UsageError{std::string(flag) + ": " + r.error().message()};
  return std::move(r).value();
}

uint32_t parse_share(std::string_view flag, std::string_view text) {
  double share = std::strtod(std::string(text).c_str(), nullptr);
  if (text.empty() || text.find_first_not_of("0123456789.") != std::string_view::npos ||
      share < 0 || share > 1)
    throw UsageError{std::string(flag) + ": expected a fraction 0..1, got '" + std::string(text) +
                     "'"};
  return static_cast<uint32_t>(share * 1'000'000 + 0.5);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace snapflow::synth;
  GeneratorConfig config;
  std::string out;
  bool quiet = false;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string_view flag = argv[i];
      if (flag == "--help" || flag == "-h") {
        std::fputs(kUsage, stdout);
        return 0;
      }
      if (flag == "-q") {
        quiet = true;
        continue;
      }
      if (i + 1 >= argc) throw UsageError{std::string(flag) + ": missing value"};
      std::string_view v = argv[++i];
      if (flag == "--flows") {
        config.flows = number<uint64_t>(flag, v);
      } else if (flag == "--packets") {
        config.packets = number<uint64_t>(flag, v);
      } else if (flag == "--size") {
        config.size_mode = v == "imix" ? SizeMode::kImix : SizeMode::kFixed;
        if (v != "imix") config.frame_bytes = number<uint32_t>(flag, v);
      } else if (flag == "--rate") {
        config.rate_pps = number<uint64_t>(flag, v);
      } else if (flag == "--jitter") {
        config.jitter_ns = number<int64_t>(flag, v);
      } else if (flag == "--start") {
        config.start_ns = unwrap(parse_time_ns(v), flag);
      } else if (flag == "--ipv6") {
        config.ipv6_per_million = parse_share(flag, v);
      } else if (flag == "--mix") {
        size_t a = v.find(','), b = v.find(',', a == v.npos ? a : a + 1);
        if (a == v.npos || b == v.npos) throw UsageError{"--mix: expected T,U,I"};
        config.tcp_weight = number<uint32_t>(flag, v.substr(0, a));
        config.udp_weight = number<uint32_t>(flag, v.substr(a + 1, b - a - 1));
        config.icmp_weight = number<uint32_t>(flag, v.substr(b + 1));
      } else if (flag == "--vlan") {
        config.vlan_id = number<uint16_t>(flag, v);
      } else if (flag == "--tunnel") {
        config.tunnel = unwrap(parse_tunnel(v), flag);
      } else if (flag == "--seed") {
        config.seed = number<uint64_t>(flag, v);
      } else if (flag == "-o" || flag == "--output") {
        out = std::string(v);
      } else {
        throw UsageError{"unknown option " + std::string(flag)};
      }
    }
    if (out.empty()) throw UsageError{"-o OUT.pcap is required"};
    if (auto valid = validate(config); !valid.ok()) throw UsageError{valid.error().message()};
  } catch (const UsageError& e) {
    std::fprintf(stderr, "snapflow-gen: %s\n%s", e.message.c_str(), kUsage);
    return 2;
  }

  // SIGINT/SIGTERM stop generation between packets; what was written stays a complete capture.
  auto signals = snapflow::base::StopSignals::create();
  if (!signals.ok()) {
    std::fprintf(stderr, "snapflow-gen: %s\n", signals.error().to_string().c_str());
    return 1;
  }
  namespace pcap = snapflow::pcap;
  auto writer = out == "-" ? pcap::PcapWriter::on_fd(STDOUT_FILENO, "stdout", pcap::kLinkEthernet)
                           : pcap::PcapWriter::create(out, pcap::kLinkEthernet);
  if (!writer.ok()) {
    std::fprintf(stderr, "snapflow-gen: %s\n", writer.error().to_string().c_str());
    return 1;
  }
  uint64_t written = 0;
  int stopped_by = 0;
  auto summary = generate(config, [&](int64_t ts_ns, std::span<const std::byte> frame) {
    // One poll(2) per 64 Ki packets: a stop is noticed within milliseconds.
    if ((written++ & 0xffff) == 0xffff && (stopped_by = signals->pending()) != 0) {
      return snapflow::base::Status(
          snapflow::base::make_error(snapflow::base::ErrorCode::kCancelled, "stopped"));
    }
    return (*writer)->write(ts_ns, frame, static_cast<uint32_t>(frame.size()));
  });
  auto closed = (*writer)->close();
  if (stopped_by != 0) {
    std::fprintf(stderr,
                 "snapflow-gen: stopped by %s after %llu packets; %s is a complete capture of "
                 "them\n",
                 strsignal(stopped_by), static_cast<unsigned long long>(written - 1), out.c_str());
    return 1;
  }
  if (!summary.ok() || !closed.ok()) {
    const auto& error = summary.ok() ? closed.error() : summary.error();
    std::fprintf(stderr, "snapflow-gen: %s <- write %s\n", error.to_string().c_str(), out.c_str());
    return 1;
  }
  if (!quiet) {
    std::fprintf(stderr, "snapflow-gen: %llu packets, %llu bytes, %llu flows, tunnel %s -> %s\n",
                 static_cast<unsigned long long>(summary->packets),
                 static_cast<unsigned long long>(summary->bytes),
                 static_cast<unsigned long long>(config.flows),
                 std::string(to_string(config.tunnel)).c_str(), out.c_str());
  }
  return 0;
}
