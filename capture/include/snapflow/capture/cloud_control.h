// What the capture API may do to and read from the cloud capture modes (docs/aws.md): the
// forwarder's rules and counters, and the mirror target's sessions. The daemon's CloudRuntime
// (cloud_sources.h) implements it; the /forward/* and /mirror/* routes (routes_forward.cc) are
// a thin layer over it (docs/decisions/0044-rules-http-api.md).
//
// Thread-safety: every method may be called from any API thread at any time, concurrently
// with the datapath (counters are relaxed atomics; the RuleStore serialises its changes).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "snapflow/capture/status.h"
#include "snapflow/forward/rule_store.h"

namespace snapflow::capture {

// One Traffic Mirroring session as the mirror target counted it (summed over its sources).
struct MirrorSessionRow {
  uint32_t vni = 0;  ///< 0 for "other" (VNIs without a configured name)
  std::string name;  ///< --mirror-session name, or "other"
  uint64_t packets = 0;
  uint64_t bytes = 0;        ///< wire bytes of the received (outer) packets
  uint64_t inner_bytes = 0;  ///< wire bytes of the mirrored frames
};

class CloudControl {
 public:
  virtual ~CloudControl() = default;
  // The forwarder's rules, or null when the daemon is not a forwarder (/forward/* answer 404).
  virtual forward::RuleStore* rules() = 0;
  // The forwarder's own counters (engine, datapath, drops by reason), in a fixed order; empty
  // when there is no forwarder.
  virtual std::vector<StatusField> forward_counters() = 0;
  // Per session, configured sessions first and "other" last; nullopt when the daemon is not a
  // mirror target (/mirror/sessions answers 404).
  virtual std::optional<std::vector<MirrorSessionRow>> mirror_sessions() = 0;
  // The sums /sysmaster/status adds after its fixed keys (docs/capture.md): forward_* for a
  // forwarder, mirror_* for a mirror target, nothing otherwise.
  virtual std::vector<StatusField> status_fields() = 0;
};

}  // namespace snapflow::capture
