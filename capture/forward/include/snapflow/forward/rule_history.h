// The rules file and what pcap2json derives from it.
//
// The RuleStore keeps every rule version (a rule's addresses and mode from one change to the
// next) with the time span it was in force, in one text file in the daemon's state directory,
// replaced atomically on every change. The capture ring stays classic PCAP and carries no
// per-packet tag: a stored packet's rule and capture mode follow from its addresses (see
// docs/decisions/0040-capture-mode-by-address.md). For a rule (A, capture, egress, B):
//
//     stored source -> destination      mode      direction
//     A       -> capture                ingress   A -> B
//     B       -> egress                 ingress   B -> A
//     egress  -> B                      egress    A -> B
//     capture -> A                      egress    B -> A
//     A       -> B                      inline    A -> B
//     B       -> A                      inline    B -> A
//
// The RuleStore refuses rules that would make two of these patterns equal, so a pattern names
// one rule at any moment; RuleHistory::attribute picks the version in force at the packet's
// timestamp (or, at the edge of a change, the nearest one).
//
// File format (text, one record per line, fields separated by single spaces):
//     snapflow-forward-rules 1
//     next_id=N
//     rule ID MODE A CAPTURE EGRESS B FROM_NS TO_NS NAME
// TO_NS is 0 for the version in force; NAME is "-" when empty.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/forward/rule.h"

namespace snapflow::forward {

inline constexpr std::string_view kRulesFileName = "forward-rules";

struct RuleVersion {
  uint32_t id = 0;
  RuleSpec spec;
  int64_t from_ns = 0;
  int64_t to_ns = 0;  ///< 0: still in force
  bool is_open() const { return to_ns == 0; }
};

struct RuleFile {
  uint32_t next_id = 1;
  std::vector<RuleVersion> versions;
};

std::string encode_rule_file(const RuleFile& file);
// Strict: every malformed line is an error naming name:line.
base::Result<RuleFile> decode_rule_file(std::string_view text, std::string_view name);

struct Attribution {
  uint32_t rule_id = 0;
  CaptureMode mode = CaptureMode::kIngress;
  Direction direction = Direction::kAtoB;
  const RuleVersion* version = nullptr;  ///< points into the RuleHistory
};

class RuleHistory {
 public:
  explicit RuleHistory(std::vector<RuleVersion> versions);
  // Reads state_dir/forward-rules; an absent file is an empty history.
  static base::Result<RuleHistory> load(const std::string& state_dir);
  // Reads a rules file by its path (pcap2json --forward-rules); an absent file is an error.
  static base::Result<RuleHistory> load_file(const std::string& path);

  // The rule and mode of a stored packet with these addresses (wire bytes, n = 4 or 16),
  // stamped ts_ns; nullopt when no rule version ever produced that pattern. Allocation-free
  // and const: any number of threads may call it at once.
  std::optional<Attribution> attribute(int64_t ts_ns, const std::byte* src, const std::byte* dst,
                                       size_t n) const;
  const std::vector<RuleVersion>& versions() const { return versions_; }

 private:
  struct Candidate {
    uint32_t version;
    CaptureMode mode;
    Direction direction;
  };
  // The (source, destination) pair as four words, zero-padded (IPv4 uses the first only).
  using PatternKey = std::array<uint64_t, 4>;
  // One pattern of the open-addressing index: its key and its candidates (the versions that
  // produced it, contiguous in candidates_). A lookup builds the key on the stack and touches
  // one slot (and, on a hit, its candidates): attribute() allocates nothing and costs about
  // one cache miss (pcap2json calls it once per flow document).
  struct Slot {
    PatternKey key{};
    uint32_t first = 0;         ///< index of the first candidate
    uint16_t count = 0;         ///< 0: an empty slot
    uint8_t address_bytes = 0;  ///< 4 or 16
  };
  static PatternKey key(const std::byte* src, const std::byte* dst, size_t n);
  static uint64_t hash(const PatternKey& key, size_t n);
  const Slot* find(const PatternKey& key, size_t n) const;

  std::vector<RuleVersion> versions_;
  std::vector<Candidate> candidates_;
  std::vector<Slot> slots_;  ///< power-of-two size, at most half full
  size_t mask_ = 0;
};

}  // namespace snapflow::forward
