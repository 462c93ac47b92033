#include "cloud_sources.h"

#include <algorithm>

#include "forward_datapath.h"
#include "forward_source.h"
#include "mirror_source.h"
#include "snapflow/base/time.h"
#include "snapflow/forward/mirror_sessions.h"

namespace snapflow::capture {

namespace {

base::Result<std::vector<forward::RuleSpec>> configured_rules(const CaptureConfig& config) {
  std::vector<forward::RuleSpec> specs;
  for (const auto& text : config.forward.rules) {
    auto spec = forward::parse_rule_spec(text);
    if (!spec) return std::move(spec).error().context("--forward-rule");
    specs.push_back(std::move(*spec));
  }
  return specs;
}

std::string report_text(const forward::RuleStore::ReconcileReport& r) {
  return std::to_string(r.added) + " added, " + std::to_string(r.changed) + " changed, " +
         std::to_string(r.removed) + " removed, " + std::to_string(r.unchanged) + " unchanged";
}

}  // namespace

base::Result<std::vector<std::unique_ptr<PacketSource>>> CloudRuntime::open_sources(
    const CaptureConfig& config, const base::Logger& log) {
  std::vector<std::unique_ptr<PacketSource>> out;
  if (!is_forward_source(config)) {
    auto sources = make_sources(config, log);
    if (!sources) return std::move(sources).error();
    if (!config.mirror.enabled()) return sources;
    // Before anything is captured: pcap2json names a stored packet's session by the VNI -> name
    // map in force at its time (forward/mirror_sessions.h).
    std::vector<forward::SessionName> names;
    for (const MirrorSession& m : config.mirror.sessions) names.push_back({m.vni, m.name});
    auto saved = forward::update_session_file(state_dir(config), names, base::now_realtime_ns());
    if (!saved) return std::move(saved).error().context("--mirror-session");
    const bool kernel_source = config.source.rfind("pcap:", 0) == 0;
    for (auto& s : *sources) {
      auto wrapped =
          MirrorSource::wrap(std::move(s), config.mirror, kernel_source && config.mirror.sink, log);
      if (!wrapped) return std::move(wrapped).error().context("--mirror");
      mirrors_.push_back(wrapped->get());
      out.push_back(std::move(*wrapped));
    }
    return out;
  }
  std::vector<forward::PortConfig> port_configs;
  for (size_t i = 0; i < config.forward.ports.size(); ++i) {
    auto p = forward::parse_port_config(config.forward.ports[i]);
    if (!p) return std::move(p).error().context("--forward-port" + std::to_string(i));
    port_configs.push_back(std::move(*p));
  }
  forward::Ports ports(std::move(port_configs));
  auto store = forward::RuleStore::open(state_dir(config), ports);
  if (!store) return std::move(store).error().context("forwarder rules");
  rules_ = std::move(*store);
  if (!config.forward.rules.empty()) {
    auto specs = configured_rules(config);
    if (!specs) return std::move(specs).error();
    auto report = rules_->reconcile(*specs);
    if (!report) return std::move(report).error().context("--forward-rule");
    log.info("forwarder rules from the configuration: " + report_text(*report));
  }
  log.info("forwarder: " + std::to_string(rules_->list().size()) + " rule(s) in force, state in " +
           rules_->file_path());
#if SNAPFLOW_HAVE_DPDK
  auto datapath = is_forward_dpdk(config) ? open_dpdk_datapath(config, log)
                                          : open_afpacket_datapath(config, log);
#else
  auto datapath = is_forward_dpdk(config)
                      ? base::Result<std::unique_ptr<Datapath>>(base::make_error(
                            base::ErrorCode::kUnsupported, "this build has no DPDK"))
                      : open_afpacket_datapath(config, log);
#endif
  if (!datapath) return std::move(datapath).error().context("--source=" + config.source);
  auto source = ForwarderSource::start(std::move(*datapath), ports, *rules_, config, log);
  if (!source) return std::move(source).error().context("--source=" + config.source);
  forwarder_ = source->get();
  out.push_back(std::move(*source));
  return out;
}

base::Status CloudRuntime::reload_rules(const CaptureConfig& fresh, const base::Logger& log) {
  if (!rules_) return {};
  auto specs = configured_rules(fresh);
  if (!specs) return std::move(specs).error();
  auto report = rules_->reconcile(*specs);
  if (!report) return std::move(report).error();
  log.info("forwarder rules reloaded: " + report_text(*report));
  return {};
}

void CloudRuntime::update_history_horizon(const ring::RingLayout& layout) {
  if (!rules_) return;
  auto segments = ring::list_segments(layout);
  if (!segments || segments->empty()) return;
  int64_t oldest = INT64_MAX;
  for (const auto& s : *segments) {
    if (s.packets > 0) oldest = std::min(oldest, s.first_ts_ns);
  }
  if (oldest != INT64_MAX) rules_->set_history_horizon(oldest);
}

std::string CloudRuntime::summary() const {
  std::string out;
  if (forwarder_) out += forwarder_->summary();
  for (const MirrorSource* m : mirrors_) out += (out.empty() ? "" : "\n") + m->summary();
  return out;
}

}  // namespace snapflow::capture

namespace snapflow::capture {

std::vector<StatusField> CloudRuntime::forward_counters() {
  if (forwarder_ == nullptr) return {};
  using forward::EngineDrop;
  using forward::ParseStatus;
  const forward::EngineCounters& e = forwarder_->engine_counters();
  const DatapathStats d = forwarder_->datapath_stats();
  std::vector<StatusField> out = {
      {"rules", rules_ ? rules_->rules_view()->size() : 0},
      {"rx_packets", d.rx_packets},
      {"rx_bytes", d.rx_bytes},
      {"rx_dropped", d.rx_dropped},
      {"rx_refused", d.rx_refused},
      {"tx_packets", d.tx_packets},
      {"tx_errors", d.tx_errors},
      {"capture_dropped", forwarder_->capture_dropped()},
      {"busy_ns", d.ticks_per_second == 0
                      ? 0
                      : static_cast<uint64_t>(static_cast<double>(d.busy_ticks) * 1e9 /
                                              static_cast<double>(d.ticks_per_second))},
      {"engine_received", e.received.get()},
      {"engine_received_bytes", e.received_bytes.get()},
      {"arp_requests_answered", e.arp_requests_answered.get()},
      {"arp_replies_learned", e.arp_replies_learned.get()},
      {"arp_requests_sent", e.arp_requests_sent.get()},
      {"nd_solicitations_answered", e.nd_solicitations_answered.get()},
      {"nd_advertisements_learned", e.nd_advertisements_learned.get()},
      {"nd_solicitations_sent", e.nd_solicitations_sent.get()},
      {"echo_replies_sent", e.echo_replies_sent.get()},
      {"time_exceeded_sent", e.time_exceeded_sent.get()},
      {"checksums_completed", e.checksums_completed.get()},
      {"held", e.held.get()},
  };
  for (size_t i = 0; i < e.drops.size(); ++i) {
    out.push_back({std::string("drop_") + to_string(static_cast<EngineDrop>(i)), e.drops[i].get()});
  }
  const auto& parse = forwarder_->parse_counters();
  for (size_t i = 1; i < parse.size(); ++i) {  // 0 is kOk: every parsed frame
    out.push_back({std::string("parse_") + to_string(static_cast<ParseStatus>(i)), parse[i].get()});
  }
  return out;
}

std::optional<std::vector<MirrorSessionRow>> CloudRuntime::mirror_sessions() {
  if (mirrors_.empty()) return std::nullopt;
  // Every source has the same sessions in the same order (one configuration): sum by position.
  std::vector<MirrorSessionRow> rows;
  for (const MirrorSource* m : mirrors_) {
    const auto& sessions = m->sessions();
    if (rows.empty()) {
      for (const auto& s : sessions) rows.push_back({s->vni, s->name, 0, 0, 0});
    }
    for (size_t i = 0; i < sessions.size() && i < rows.size(); ++i) {
      rows[i].packets += sessions[i]->packets.get();
      rows[i].bytes += sessions[i]->bytes.get();
      rows[i].inner_bytes += sessions[i]->inner_bytes.get();
    }
  }
  return rows;
}

std::vector<StatusField> CloudRuntime::status_fields() {
  std::vector<StatusField> out;
  if (rules_) {
    uint64_t packets = 0, dropped = 0, capture_dropped = 0;
    const auto view = rules_->rules_view();
    const std::vector<forward::Rule>& rules = *view;
    for (const forward::Rule& r : rules) {
      const forward::RuleCounters& c = *r.counters;
      packets += c.packets[0].get() + c.packets[1].get();
      for (const auto& d : c.drops) dropped += d.get();
      capture_dropped += c.capture_dropped.get();
    }
    if (forwarder_ != nullptr) {
      // Lost before the engine saw them: the kernel or NIC (receive ring full) and frames the
      // datapath could not hand over. Copies lost for want of a free batch are per rule.
      const DatapathStats d = forwarder_->datapath_stats();
      dropped += d.rx_dropped + d.rx_refused;
    }
    out.push_back({"forward_rules", rules.size()});
    out.push_back({"forward_packets", packets});
    out.push_back({"forward_dropped", dropped});
    out.push_back({"forward_capture_dropped", capture_dropped});
  }
  if (!mirrors_.empty()) {
    uint64_t packets = 0, not_mirror = 0, malformed = 0;
    for (const MirrorSource* m : mirrors_) {
      packets += m->verdicts(MirrorVerdict::kMirror);
      not_mirror += m->verdicts(MirrorVerdict::kNotMirror);
      malformed += m->verdicts(MirrorVerdict::kMalformed);
    }
    out.push_back({"mirror_packets", packets});
    out.push_back({"mirror_not_mirror", not_mirror});
    out.push_back({"mirror_malformed", malformed});
  }
  return out;
}

}  // namespace snapflow::capture
