// Settings of the cloud capture modes (docs/capture.md, docs/aws.md): the bump-in-the-wire
// L3 forwarder (--source=forward:...) and the Traffic Mirroring target (--mirror=...).
// Parsed by config_cloud.cc, validated with the rest of CaptureConfig.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapflow/base/result.h"

namespace snapflow::capture {

inline constexpr uint32_t kDefaultForwardRingFrames = 4096;
inline constexpr uint32_t kDefaultForwardIcmpPerSecond = 1000;
inline constexpr uint16_t kVxlanPort = 4789;
inline constexpr uint16_t kGenevePort = 6081;

struct ForwardConfig {
  std::vector<std::string> ports;  ///< forward-port0 / forward-port1: "ADDR/LEN,...,via=GW"
  std::vector<std::string> rules;  ///< forward-rule (repeatable): "a=..,capture=..,egress=..,b=.."
  uint32_t ring_frames = kDefaultForwardRingFrames;         ///< AF_PACKET receive slots per port
  uint32_t icmp_per_second = kDefaultForwardIcmpPerSecond;  ///< 0 = never answer ICMP
  int cpu = -1;  ///< pin the datapath thread here (-1: DPDK's main lcore, or unpinned)
};

enum class MirrorStore : uint8_t {
  kOuter,  ///< the packet as received: outer Ethernet/IP/UDP + VXLAN/Geneve + mirrored frame
  kInner,  ///< only the mirrored (inner) frame
};

struct MirrorSession {
  uint32_t vni = 0;
  std::string name;
};

struct MirrorConfig {
  uint16_t vxlan_port = 0;              ///< 0 = VXLAN not accepted
  uint16_t geneve_port = 0;             ///< 0 = Geneve not accepted
  std::vector<MirrorSession> sessions;  ///< mirror-session (repeatable): "VNI=NAME"
  MirrorStore store = MirrorStore::kOuter;
  bool keep_other = false;  ///< store packets that are not mirror traffic too (counted either way)
  bool sink = true;         ///< bind UDP sink sockets so the kernel never answers ICMP unreachable
  bool enabled() const { return vxlan_port != 0 || geneve_port != 0; }
};

struct CaptureConfig;

// "forward:afpacket:IF0[,IF1]" -> {"IF0", "IF1"}; empty for other sources.
std::vector<std::string> forward_interfaces(const CaptureConfig& config);
bool is_forward_source(const CaptureConfig& config);
bool is_forward_dpdk(const CaptureConfig& config);

// Applies a cloud setting; returns false when key is not one (the caller goes on).
bool apply_cloud_setting(CaptureConfig& config, std::string_view key, std::string_view value,
                         base::Status& status);
// Cross-field checks of the cloud settings (called by validate()).
base::Status validate_cloud(const CaptureConfig& config);
// The --help lines of the cloud settings.
std::string cloud_usage_text();
// Where the daemon keeps its state (rules): --state-dir, or RING_DIR/state.
std::string state_dir(const CaptureConfig& config);

}  // namespace snapflow::capture
