// The mirror target's session names over time, and what pcap2json derives from them.
//
// A mirror target stores every mirrored packet with its VXLAN/Geneve header (--mirror-store=outer),
// so a stored packet's VNI names its Traffic Mirroring session; the operator's names for the VNIs
// (--mirror-session=VNI=NAME) live only in the daemon's configuration, which can change between
// runs. So the daemon keeps, beside the rules (rule_history.h), every version of the VNI -> name
// map with the time span it was in force, in STATE_DIR/mirror-sessions, and brings it in line
// with its configuration at start (before any packet is captured) through the same durable
// write as the rules. pcap2json reads the file and labels a flow document
// (labels.mirror_session) with the name in force for the flow's VNI at its first packet's time:
// a pure function of the stored packets and the file, so a re-run writes the same documents.
//
// File format (text, one record per line, fields separated by single spaces):
//     snapflow-mirror-sessions 1
//     session VNI FROM_NS TO_NS NAME
// TO_NS is 0 for a name still in force. NAME is [A-Za-z0-9._-]{1,64}.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "snapflow/base/result.h"

namespace snapflow::forward {

inline constexpr std::string_view kMirrorSessionsFileName = "mirror-sessions";
inline constexpr uint32_t kMaxVni = (1u << 24) - 1;

struct SessionVersion {
  uint32_t vni = 0;
  std::string name;
  int64_t from_ns = 0;
  int64_t to_ns = 0;  ///< 0: still in force
  bool is_open() const { return to_ns == 0; }
  bool operator==(const SessionVersion&) const = default;
};

struct SessionName {
  uint32_t vni = 0;
  std::string name;
};

std::string encode_session_file(const std::vector<SessionVersion>& versions);
// Strict: every malformed line is an error naming name:line.
base::Result<std::vector<SessionVersion>> decode_session_file(std::string_view text,
                                                              std::string_view name);

// Brings versions in line with the configured names at now_ns: an open version whose VNI is no
// longer named, or named differently, is closed at now_ns; a configured name without an open
// version gets one from now_ns. Returns true when anything changed.
bool reconcile_sessions(std::vector<SessionVersion>& versions,
                        const std::vector<SessionName>& configured, int64_t now_ns);

// The daemon's start: reads state_dir/mirror-sessions (absent: no versions), reconciles it with
// configured at now_ns and, if that changed anything, writes it back durably (temp, fsync,
// rename, fsync directory). Returns the versions now in the file.
base::Result<std::vector<SessionVersion>> update_session_file(
    const std::string& state_dir, const std::vector<SessionName>& configured, int64_t now_ns);

class SessionHistory {
 public:
  explicit SessionHistory(std::vector<SessionVersion> versions);
  // Reads a sessions file by its path (pcap2json --mirror-sessions); absent is an error.
  static base::Result<SessionHistory> load_file(const std::string& path);

  // The session name of vni at ts_ns: the version whose [from_ns, to_ns) holds ts_ns, or ""
  // when the VNI had no name then. Allocation-free and const (thread-safe).
  std::string_view name(uint32_t vni, int64_t ts_ns) const;
  const std::vector<SessionVersion>& versions() const { return versions_; }
  size_t longest_name() const { return longest_name_; }

 private:
  std::vector<SessionVersion> versions_;
  std::unordered_map<uint32_t, std::vector<uint32_t>> by_vni_;  ///< indices into versions_
  size_t longest_name_ = 0;
};

}  // namespace snapflow::forward
