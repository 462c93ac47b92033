// RuleStore: the forwarder's rules, as the control plane sees them. It validates every change,
// makes it durable, then makes it visible to the datapath, in that order:
//
//   1. build the next rule list and check it (addresses owned by the probe, routes, no two
//      rules claiming the same packets, see validate below);
//   2. write state_dir/forward-rules (every rule version with its time span, rule_history.h)
//      through write-temp, fsync, rename, fsync-directory;
//   3. publish a new immutable RuleTable through the RCU cell the datapath reads.
//
// So a crash never loses an acknowledged change and never publishes one that is not on disk,
// and the datapath keeps forwarding on the other rules throughout: readers never lock and a
// swap is one pointer store (rcu.h). A failed step 1 or 2 changes nothing.
//
// This is the C++ API the HTTP layer calls (list, add, remove, set_mode) and the one the
// daemon uses at startup and on SIGHUP (reconcile with the configured rules).
//
// Thread-safety: every method may be called from any thread; changes are serialised by a mutex
// that the datapath never takes.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/forward/engine.h"
#include "snapflow/forward/ports.h"
#include "snapflow/forward/rule.h"
#include "snapflow/forward/rule_history.h"

namespace snapflow::forward {

inline constexpr size_t kMaxRules = 4096;

class RuleStore {
 public:
  using Clock = std::function<int64_t()>;  ///< epoch ns; the version spans' clock

  // Creates state_dir if needed and loads its rules file (absent: no rules). ports: the
  // probe's addresses, to validate rules against and derive their ports and next hops.
  static base::Result<std::unique_ptr<RuleStore>> open(const std::string& state_dir, Ports ports,
                                                       Clock clock = {});

  // Adds a rule. When the refusal is that another rule already claims some of the packets
  // (the same forward or reverse key, or the same pair A, B), *conflicting_rule is set to that
  // rule's id, so a caller can tell a conflict with the rules in force (HTTP 409) from an
  // invalid rule (400); it is left alone on other outcomes.
  base::Result<Rule> add(const RuleSpec& spec, uint32_t* conflicting_rule = nullptr);
  base::Status remove(uint32_t id);
  base::Result<Rule> set_mode(uint32_t id, CaptureMode mode);

  // Makes the rules exactly `wanted` (the configuration): a wanted rule whose addresses match
  // an existing one keeps its id (and counters) and takes the wanted mode and name; the others
  // are added; existing rules not wanted are removed. One durable write, one publish.
  struct ReconcileReport {
    size_t added = 0, removed = 0, changed = 0, unchanged = 0;
  };
  base::Result<ReconcileReport> reconcile(const std::vector<RuleSpec>& wanted);

  // Rules in force, in id order; counters are live (shared with the datapath). These readers
  // never wait for a change in progress (which holds the change mutex across its fsync): they
  // copy an immutable view that every commit replaces, under a lock held for a pointer copy.
  // So the API's event loop may call them.
  std::vector<Rule> list() const { return *rules_view(); }
  std::shared_ptr<const std::vector<Rule>> rules_view() const;
  std::optional<Rule> get(uint32_t id) const;
  // Every version in the file (for attribution and the API's history view).
  std::vector<RuleVersion> versions() const { return *versions_view(); }
  std::shared_ptr<const std::vector<RuleVersion>> versions_view() const;

  // Closed versions that ended before horizon_ns (the ring's oldest packet) are dropped from
  // the file at the next change: no stored packet can need them.
  void set_history_horizon(int64_t horizon_ns);

  // For a datapath thread: its read side of the table (nullptr if too many readers).
  std::unique_ptr<RcuCell<RuleTable>::Reader> register_reader();

  const Ports& ports() const { return ports_; }
  const std::string& file_path() const { return path_; }

 private:
  RuleStore(std::string state_dir, Ports ports, Clock clock);
  // conflict (may be null) receives the id of the rule that claims the same packets.
  base::Status validate(const RuleSpec& spec, const std::vector<Rule>& others, uint32_t self_id,
                        uint32_t* conflict = nullptr) const;
  base::Result<Rule> make_rule(uint32_t id, const RuleSpec& spec, int64_t now,
                               std::shared_ptr<RuleCounters> counters) const;
  // Steps 2 and 3 for the next rule list and history; rolls nothing back on failure because
  // nothing was changed yet.
  base::Status commit(std::vector<Rule> rules, std::vector<RuleVersion> history, uint32_t next_id);
  // Replaces the readers' views with rules_ and history_ (mu_ held, or before sharing).
  void publish_views();

  const std::string dir_;
  const std::string path_;
  const Ports ports_;
  const Clock clock_;
  mutable std::mutex mu_;
  std::vector<Rule> rules_;           ///< in force, id order (guarded by mu_)
  std::vector<RuleVersion> history_;  ///< all versions in the file (guarded by mu_)
  uint32_t next_id_ = 1;
  uint64_t version_ = 0;
  int64_t horizon_ns_ = 0;
  RcuCell<RuleTable> cell_;
  mutable std::mutex view_mu_;  ///< guards the two pointers below, held for a copy only
  std::shared_ptr<const std::vector<Rule>> rules_view_;
  std::shared_ptr<const std::vector<RuleVersion>> history_view_;
};

}  // namespace snapflow::forward
