// GeneratorConfig validation and the text forms the CLI accepts.
#include <limits>
#include <string>

#include "snapflow/base/parse.h"
#include "snapflow/synth/generator.h"

namespace snapflow::synth {
namespace {

constexpr uint64_t kMaxFlows = uint64_t{1} << 24;  // sources are unique in 24 bits
constexpr uint64_t kMaxRatePps = 1'000'000'000;    // keeps k % rate * 1e9 inside 64 bits
constexpr uint32_t kMinFrameBytes = 60;
constexpr uint32_t kMaxFrameBytes = 9018;
constexpr uint32_t kMaxWeight = 1'000'000;

base::Error invalid(std::string message) {
  return base::make_error(base::ErrorCode::kInvalidArgument, std::move(message));
}

constexpr struct {
  Tunnel tunnel;
  std::string_view name;
} kTunnelNames[] = {
    {Tunnel::kNone, "none"}, {Tunnel::kVxlan, "vxlan"},     {Tunnel::kGeneve, "geneve"},
    {Tunnel::kGre, "gre"},   {Tunnel::kErspan2, "erspan2"}, {Tunnel::kErspan3, "erspan3"},
    {Tunnel::kGtpu, "gtpu"}, {Tunnel::kIpip, "ipip"},
};

// Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (era arithmetic: 400-year
// cycles of 146097 days, years starting in March so the leap day comes last).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

bool digits(std::string_view text, size_t pos, size_t n, unsigned& out) {
  if (pos + n > text.size()) return false;
  out = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    out = out * 10 + static_cast<unsigned>(text[i] - '0');
  }
  return true;
}

}  // namespace

base::Status validate(const GeneratorConfig& c) {
  if (c.flows == 0 || c.flows > kMaxFlows)
    return invalid("flows must be 1.." + std::to_string(kMaxFlows));
  if (c.rate_pps == 0 || c.rate_pps > kMaxRatePps)
    return invalid("rate must be 1.." + std::to_string(kMaxRatePps) + " packets/s");
  if (c.jitter_ns < 0 || c.jitter_ns > 1'000'000'000) return invalid("jitter must be 0..1s");
  if (c.size_mode == SizeMode::kFixed &&
      (c.frame_bytes < kMinFrameBytes || c.frame_bytes > kMaxFrameBytes)) {
    return invalid("size must be " + std::to_string(kMinFrameBytes) + ".." +
                   std::to_string(kMaxFrameBytes) + " bytes or imix");
  }
  if (c.ipv6_per_million > 1'000'000) return invalid("ipv6 share must be 0..1");
  if (c.tcp_weight > kMaxWeight || c.udp_weight > kMaxWeight || c.icmp_weight > kMaxWeight ||
      uint64_t{c.tcp_weight} + c.udp_weight + c.icmp_weight == 0) {
    return invalid("protocol weights must be 0.." + std::to_string(kMaxWeight) + " and not all 0");
  }
  if (c.vlan_id && *c.vlan_id > 4095) return invalid("vlan must be 0..4095");
  if (c.start_ns < 0) return invalid("start must not be before 1970");
  // The last timestamp must fit an int64 and a classic PCAP (32-bit seconds).
  uint64_t span_s = c.packets / c.rate_pps + 2;
  if (static_cast<uint64_t>(c.start_ns) / 1'000'000'000 + span_s > 0xffffffffULL)
    return invalid("start + packets / rate runs past 2106 (the PCAP time limit)");
  return {};
}

base::Result<Tunnel> parse_tunnel(std::string_view name) {
  for (const auto& t : kTunnelNames) {
    if (t.name == name) return t.tunnel;
  }
  return invalid("unknown tunnel '" + std::string(name) +
                 "' (none, vxlan, geneve, gre, erspan2, erspan3, gtpu, ipip)");
}

std::string_view to_string(Tunnel tunnel) {
  for (const auto& t : kTunnelNames) {
    if (t.tunnel == tunnel) return t.name;
  }
  return "unknown";
}

base::Result<int64_t> parse_time_ns(std::string_view text) {
  if (auto ns = base::parse_int(text); ns.ok() && *ns >= 0) return *ns;
  // YYYY-MM-DDTHH:MM:SS[.fraction]Z
  unsigned y, mo, d, h, mi, s;
  if (!digits(text, 0, 4, y) || text.size() < 20 || text[4] != '-' || !digits(text, 5, 2, mo) ||
      text[7] != '-' || !digits(text, 8, 2, d) || (text[10] != 'T' && text[10] != 't') ||
      !digits(text, 11, 2, h) || text[13] != ':' || !digits(text, 14, 2, mi) || text[16] != ':' ||
      !digits(text, 17, 2, s) || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 ||
      s > 60 || y < 1970) {
    return invalid("time '" + std::string(text) +
                   "' is neither nanoseconds nor YYYY-MM-DDTHH:MM:SS[.frac]Z");
  }
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < text.size() && text[pos] == '.') {
    int64_t scale = 100'000'000;
    for (++pos; pos < text.size() && text[pos] >= '0' && text[pos] <= '9'; ++pos) {
      frac_ns += (text[pos] - '0') * scale;
      scale /= 10;
    }
  }
  if (pos + 1 != text.size() || (text[pos] != 'Z' && text[pos] != 'z'))
    return invalid("time '" + std::string(text) + "' must end in Z (UTC)");
  int64_t seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return seconds * 1'000'000'000 + frac_ns;
}

}  // namespace snapflow::synth
