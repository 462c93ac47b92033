// The cloud capture settings of CaptureConfig (cloud_config.h): parsing and validation, kept
// out of config.cc so that the forwarder and the mirror target own their keys.
#include <charconv>

#include "snapflow/capture/cloud_config.h"
#include "snapflow/capture/config.h"
#include "snapflow/forward/ports.h"
#include "snapflow/forward/rule.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

base::Error bad(std::string_view key, std::string_view value, std::string_view why) {
  return make_error(ErrorCode::kInvalidArgument,
                    "--" + std::string(key) + "=" + std::string(value) + ": " + std::string(why));
}

template <typename T>
bool parse_uint(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

base::Status parse_mirror(MirrorConfig& m, std::string_view value) {
  m.vxlan_port = m.geneve_port = 0;
  if (value == "off" || value.empty()) return {};
  std::string_view rest = value;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const size_t colon = item.find(':');
    std::string_view kind = item.substr(0, colon);
    uint16_t port = 0;
    if (colon != std::string_view::npos &&
        (!parse_uint(item.substr(colon + 1), port) || port == 0)) {
      return bad("mirror", value, "port must be 1..65535");
    }
    if (kind == "vxlan") {
      m.vxlan_port = port ? port : kVxlanPort;
    } else if (kind == "geneve") {
      m.geneve_port = port ? port : kGenevePort;
    } else {
      return bad("mirror", value,
                 "expected vxlan[:PORT], geneve[:PORT], both comma-separated, or off");
    }
  }
  if (m.vxlan_port != 0 && m.vxlan_port == m.geneve_port) {
    return bad("mirror", value, "VXLAN and Geneve need different UDP ports");
  }
  return {};
}

}  // namespace

bool is_forward_source(const CaptureConfig& c) {
  return c.source.rfind("forward:", 0) == 0;
}

bool is_forward_dpdk(const CaptureConfig& c) {
  return c.source == "forward:dpdk";
}

std::vector<std::string> forward_interfaces(const CaptureConfig& c) {
  std::vector<std::string> out;
  constexpr std::string_view kPrefix = "forward:afpacket:";
  if (c.source.rfind(kPrefix, 0) != 0) return out;
  std::string_view rest = std::string_view(c.source).substr(kPrefix.size());
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    out.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  }
  return out;
}

std::string state_dir(const CaptureConfig& c) {
  return c.state_dir.empty() ? c.ring_dir + "/state" : c.state_dir;
}

bool apply_cloud_setting(CaptureConfig& c, std::string_view key, std::string_view value,
                         base::Status& status) {
  status = {};
  if (key == "forward-port0" || key == "forward-port1") {
    const size_t index = key.back() - '0';
    if (c.forward.ports.size() <= index) c.forward.ports.resize(index + 1);
    c.forward.ports[index] = value;
  } else if (key == "forward-rule") {
    c.forward.rules.emplace_back(value);
  } else if (key == "forward-ring-frames") {
    if (!parse_uint(value, c.forward.ring_frames) || c.forward.ring_frames < 64 ||
        c.forward.ring_frames > (1u << 20)) {
      status = bad(key, value, "expected 64..1048576");
    }
  } else if (key == "forward-icmp-per-second") {
    if (!parse_uint(value, c.forward.icmp_per_second)) {
      status = bad(key, value, "expected an unsigned integer (0 = never answer ICMP)");
    }
  } else if (key == "forward-cpu") {
    uint32_t cpu = 0;
    if (!parse_uint(value, cpu) || cpu >= 4096) {
      status = bad(key, value, "expected a CPU number");
    } else {
      c.forward.cpu = static_cast<int>(cpu);
    }
  } else if (key == "state-dir") {
    c.state_dir = value;
  } else if (key == "mirror") {
    status = parse_mirror(c.mirror, value);
  } else if (key == "mirror-session") {
    const size_t eq = value.find('=');
    MirrorSession s;
    if (eq == std::string_view::npos || !parse_uint(value.substr(0, eq), s.vni) ||
        s.vni >= (1u << 24)) {
      status = bad(key, value, "expected VNI=NAME with VNI 0..16777215");
      return true;
    }
    s.name = value.substr(eq + 1);
    if (s.name.empty() || !forward::is_valid_rule_name(s.name)) {
      status = bad(key, value, "NAME: use 1-64 characters of A-Z a-z 0-9 _ . -");
      return true;
    }
    c.mirror.sessions.push_back(std::move(s));
  } else if (key == "mirror-store") {
    if (value == "outer") {
      c.mirror.store = MirrorStore::kOuter;
    } else if (value == "inner") {
      c.mirror.store = MirrorStore::kInner;
    } else {
      status = bad(key, value, "expected outer or inner");
    }
  } else if (key == "mirror-other") {
    if (value == "drop") {
      c.mirror.keep_other = false;
    } else if (value == "keep") {
      c.mirror.keep_other = true;
    } else {
      status = bad(key, value, "expected drop or keep");
    }
  } else if (key == "mirror-sink") {
    if (value == "true" || value == "on" || value == "1" || value == "yes") {
      c.mirror.sink = true;
    } else if (value == "false" || value == "off" || value == "0" || value == "no") {
      c.mirror.sink = false;
    } else {
      status = bad(key, value, "expected true or false");
    }
  } else {
    return false;
  }
  return true;
}

base::Status validate_cloud(const CaptureConfig& c) {
  if (is_forward_source(c)) {
    size_t port_count = 0;
    if (is_forward_dpdk(c)) {
      if (c.dpdk.eal_args.empty())
        return bad("dpdk-eal-args", "", "required with --source=forward:dpdk");
      if (c.dpdk.ports.empty() || c.dpdk.ports.size() > 2) {
        return bad("dpdk-ports", "", "the forwarder takes one or two DPDK ports");
      }
      if (c.dpdk.rx_queues != 1) {
        return bad("dpdk-rx-queues", std::to_string(c.dpdk.rx_queues),
                   "the forwarder uses 1 queue per port");
      }
      if (c.dpdk.burst == 0 || c.dpdk.burst > 512) {
        return bad("dpdk-burst", std::to_string(c.dpdk.burst), "must be 1..512");
      }
      if (c.dpdk.mbufs < 2 * c.dpdk.rx_descriptors) {
        return bad("dpdk-mbufs", std::to_string(c.dpdk.mbufs),
                   "must be at least twice --dpdk-rx-descriptors");
      }
      port_count = c.dpdk.ports.size();
    } else if (c.source.rfind("forward:afpacket:", 0) == 0) {
      const auto ifaces = forward_interfaces(c);
      if (ifaces.empty() || ifaces.size() > 2) {
        return bad("source", c.source, "forward:afpacket: takes one or two interfaces: IF0[,IF1]");
      }
      for (const auto& i : ifaces) {
        if (i.empty() || i.size() > 15)
          return bad("source", c.source, "bad interface name '" + i + "'");
      }
      if (ifaces.size() == 2 && ifaces[0] == ifaces[1]) {
        return bad("source", c.source, "the two interfaces must differ");
      }
      port_count = ifaces.size();
    } else {
      return bad("source", c.source, "expected forward:afpacket:IF0[,IF1] or forward:dpdk");
    }
    if (!c.bpf_filter.empty()) return bad("bpf-filter", c.bpf_filter, "not with the forwarder");
    if (c.forward.ports.size() != port_count) {
      return bad(
          "forward-port" + std::to_string(c.forward.ports.size() < port_count
                                              ? c.forward.ports.size()
                                              : port_count),
          "",
          "give the addresses of each forwarder port: --forward-port0=ADDR/LEN[,...][,via=GW]" +
              std::string(port_count == 2 ? " and --forward-port1=..." : " (one port)"));
    }
    for (size_t i = 0; i < c.forward.ports.size(); ++i) {
      auto p = forward::parse_port_config(c.forward.ports[i]);
      if (!p)
        return bad("forward-port" + std::to_string(i), c.forward.ports[i], p.error().message());
    }
    for (const auto& r : c.forward.rules) {
      auto spec = forward::parse_rule_spec(r);
      if (!spec) return bad("forward-rule", r, spec.error().message());
    }
    if (c.mirror.enabled())
      return bad("mirror", "", "a mirror target is not a forwarder; use another --source");
  } else {
    if (!c.forward.ports.empty() || !c.forward.rules.empty()) {
      return bad(c.forward.rules.empty() ? "forward-port0" : "forward-rule", "",
                 "only with --source=forward:afpacket:... or forward:dpdk");
    }
  }
  if (!c.mirror.enabled()) {
    if (!c.mirror.sessions.empty()) return bad("mirror-session", "", "needs --mirror=vxlan|geneve");
    if (c.mirror.store != MirrorStore::kOuter)
      return bad("mirror-store", "inner", "needs --mirror=vxlan|geneve");
  }
  for (size_t i = 0; i < c.mirror.sessions.size(); ++i) {
    for (size_t j = i + 1; j < c.mirror.sessions.size(); ++j) {
      if (c.mirror.sessions[i].vni == c.mirror.sessions[j].vni) {
        return bad("mirror-session", std::to_string(c.mirror.sessions[i].vni) + "=...",
                   "VNI given twice");
      }
    }
  }
  return {};
}

std::string cloud_usage_text() {
  return R"(cloud capture (docs/aws.md):
  --source=forward:afpacket:IF0[,IF1] | forward:dpdk
                                   bump-in-the-wire L3 forwarder (AF_PACKET rings or DPDK ports)
  --forward-port0=ADDR/LEN[,ADDR/LEN...][,via=GATEWAY]   the probe's addresses on port 0
  --forward-port1=...              the same for port 1 (with two ports)
  --forward-rule=a=A,capture=P,egress=Q,b=B[,mode=ingress|egress|inline][,name=N]  (repeatable)
  --forward-ring-frames=4096  --forward-icmp-per-second=1000
  --forward-cpu=N                  run the datapath thread on CPU N alone (DPDK: main lcore)
  --state-dir=DIR                  rules and other state (default RING_DIR/state)
  --mirror=vxlan[:4789],geneve[:6081]   accept VPC Traffic Mirroring / GWLB encapsulations
  --mirror-session=VNI=NAME        name a mirror session (repeatable)
  --mirror-store=outer|inner  --mirror-other=drop|keep  --mirror-sink=true
)";
}

}  // namespace snapflow::capture
