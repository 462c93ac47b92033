// Forwarding rules and the immutable table the datapath reads.
//
// A rule ties four addresses, as in fmadio's AWS bump-in-the-wire design:
//
//     A  --(dst = capture)-->  [probe]  --(src = egress, dst = B)-->  B
//     A  <--(src = capture)--  [probe]  <--(dst = egress, src = B)--  B
//
// A sends to the probe's capture address; the probe forwards to B from its egress address and
// B's replies to the egress address go back to A from the capture address. So every packet
// the probe forwards is identified by its (source, destination) pair: (A, capture) is A->B
// traffic, (B, egress) is B->A traffic. Both are keys of the RuleTable, which must be unique.
// Each rule captures in one CaptureMode (capture_mode.h says what is stored).
//
// RuleTable is built once by the control plane (RuleStore) and never changes afterwards: the
// datapath reads it without locks and a new table replaces it as a whole (rcu.h). Lookups
// take the addresses as wire bytes so the hot path builds no IpAddr.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/forward/address.h"
#include "snapflow/forward/counters.h"

namespace snapflow::forward {

enum class CaptureMode : uint8_t {
  kIngress,  ///< the packet exactly as received (its destination is the probe)
  kEgress,   ///< the packet exactly as sent (its source is the probe)
  kInline,   ///< the received packet rewritten to A <-> B, checksums valid (not byte-exact)
};
const char* to_string(CaptureMode mode);
base::Result<CaptureMode> parse_capture_mode(std::string_view text);

struct RuleSpec {
  IpAddr a;        ///< the client side: sends to `capture`
  IpAddr capture;  ///< the probe's address A talks to
  IpAddr egress;   ///< the probe's address B sees as the source
  IpAddr b;        ///< the server side
  CaptureMode mode = CaptureMode::kIngress;
  std::string name;  ///< optional label, [A-Za-z0-9._-]{0,64}

  bool same_addresses(const RuleSpec& o) const {
    return a == o.a && capture == o.capture && egress == o.egress && b == o.b;
  }
};

// "a=10.0.0.2,capture=10.0.0.1,egress=10.1.0.1,b=10.1.0.2,mode=inline[,name=web]"
base::Result<RuleSpec> parse_rule_spec(std::string_view text);
std::string to_string(const RuleSpec& spec);
bool is_valid_rule_name(std::string_view name);

struct Rule {
  uint32_t id = 0;  ///< assigned by the RuleStore, never reused
  RuleSpec spec;
  int64_t since_ns = 0;  ///< when this version (addresses + mode) took effect
  // Derived from the ports by the RuleStore when the rule is installed.
  uint16_t capture_port = 0;  ///< port owning spec.capture: A's side
  uint16_t egress_port = 0;   ///< port owning spec.egress: B's side
  IpAddr next_hop_a;          ///< neighbour that reaches A out of capture_port (unset: no route)
  IpAddr next_hop_b;          ///< neighbour that reaches B out of egress_port (unset: no route)
  // Shared by every table version holding this rule, so counters survive mode changes and
  // table swaps. Only the control plane copies the shared_ptr; the datapath uses the raw
  // pointer in RuleTable::Match.
  std::shared_ptr<RuleCounters> counters;
};

class RuleTable {
 public:
  struct Match {
    const Rule* rule;
    RuleCounters* counters;
    Direction direction;
  };

  // Builds the lookup index. Fails (kInvalidArgument, naming both rules) when two rules
  // claim the same (source, destination) key.
  static base::Result<std::unique_ptr<const RuleTable>> build(std::vector<Rule> rules,
                                                              uint64_t version = 0);

  // The rule a packet with these wire addresses (4 or 16 bytes each) belongs to, or nullptr.
  const Match* find(const std::byte* src, const std::byte* dst, size_t address_bytes) const;

  const std::vector<Rule>& rules() const { return rules_; }
  const Rule* by_id(uint32_t id) const;
  bool empty() const { return rules_.empty(); }
  // Increases with every table the RuleStore publishes; readers notice a new table by it.
  uint64_t version() const { return version_; }

 private:
  struct Slot {
    IpAddr src;
    IpAddr dst;
    Match match{nullptr, nullptr, Direction::kAtoB};
  };
  RuleTable() = default;
  std::vector<Rule> rules_;
  std::vector<Slot> slots_;  ///< open addressing, power-of-two size, match.rule null = empty
  size_t mask_ = 0;
  uint64_t version_ = 0;
};

// The forward key (A, capture) and reverse key (B, egress) of a rule, as (src, dst) pairs.
struct KeyPair {
  IpAddr src;
  IpAddr dst;
  bool operator==(const KeyPair&) const = default;
};
inline KeyPair forward_key(const RuleSpec& s) {
  return {s.a, s.capture};
}
inline KeyPair reverse_key(const RuleSpec& s) {
  return {s.b, s.egress};
}

}  // namespace snapflow::forward
