// The daemon's hook for the cloud capture modes: opens the forwarder (with its RuleStore) or
// wraps ordinary sources as a mirror target (and brings STATE_DIR/mirror-sessions in line with
// the configured session names before anything is captured), reloads the configured rules on
// SIGHUP, keeps the rules file's history horizon at the ring's oldest packet, summarises the
// counters, and answers the API's CloudControl calls. Keeps daemon.cc free of forwarder and
// mirror details.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/capture/cloud_control.h"
#include "snapflow/capture/config.h"
#include "snapflow/capture/source.h"
#include "snapflow/forward/rule_store.h"
#include "snapflow/ring/ring.h"

namespace snapflow::capture {

class ForwarderSource;
class MirrorSource;

class CloudRuntime final : public CloudControl {
 public:
  // Opens the sources for config: the forwarder for --source=forward:..., otherwise
  // make_sources(), each wrapped as a mirror target when --mirror is set.
  base::Result<std::vector<std::unique_ptr<PacketSource>>> open_sources(const CaptureConfig& config,
                                                                        const base::Logger& log);

  // SIGHUP: the forwarder's rules become exactly fresh.forward.rules (ids kept where the
  // addresses match). Other settings are not reloaded. Nothing changes on an error.
  base::Status reload_rules(const CaptureConfig& fresh, const base::Logger& log);

  // Rule versions that ended before the ring's oldest packet are dropped at the next save.
  void update_history_horizon(const ring::RingLayout& layout);

  // One line per counter group (forwarder, rules, mirror sessions); "" when no cloud mode.
  std::string summary() const;

  // Rules without a forwarder (the API tests: a real RuleStore, no datapath).
  void adopt_rules(std::unique_ptr<forward::RuleStore> rules) { rules_ = std::move(rules); }

  // CloudControl
  forward::RuleStore* rules() override { return rules_.get(); }
  std::vector<StatusField> forward_counters() override;
  std::optional<std::vector<MirrorSessionRow>> mirror_sessions() override;
  std::vector<StatusField> status_fields() override;

 private:
  std::unique_ptr<forward::RuleStore> rules_;
  ForwarderSource* forwarder_ = nullptr;  ///< owned by the spooler
  std::vector<MirrorSource*> mirrors_;    ///< owned by the spooler
};

}  // namespace snapflow::capture
