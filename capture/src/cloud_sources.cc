#include "cloud_sources.h"

#include <algorithm>

#include "forward_datapath.h"
#include "forward_source.h"
#include "mirror_source.h"

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
