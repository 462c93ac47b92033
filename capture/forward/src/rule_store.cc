#include "snapflow/forward/rule_store.h"

#include <algorithm>

#include "durable_file.h"
#include "snapflow/base/time.h"

namespace snapflow::forward {

using base::ErrorCode;
using base::make_error;

namespace {

bool is_unusable_host(const IpAddr& a) {
  const auto& b = a.bytes;
  if (a.family == 4) {
    return b[0] == 0 || b[0] == 127 || b[0] >= 224;  // this-net, loopback, multicast/broadcast
  }
  const bool unspecified = std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
  const bool loopback =
      unspecified
          ? false
          : std::all_of(b.begin(), b.end() - 1, [](uint8_t x) { return x == 0; }) && b[15] == 1;
  return unspecified || loopback || b[0] == 0xff;
}

base::Error invalid(const RuleSpec& spec, const std::string& why) {
  return make_error(ErrorCode::kInvalidArgument, "rule " + to_string(spec) + ": " + why);
}

std::unique_ptr<const RuleTable> empty_table() {
  auto t = RuleTable::build({}, 0);
  return std::move(*t);
}

}  // namespace

RuleStore::RuleStore(std::string state_dir, Ports ports, Clock clock)
    : dir_(std::move(state_dir)),
      path_(dir_ + "/" + std::string(kRulesFileName)),
      ports_(std::move(ports)),
      clock_(clock ? std::move(clock) : Clock(&base::now_realtime_ns)),
      cell_(empty_table()),
      rules_view_(std::make_shared<const std::vector<Rule>>()),
      history_view_(std::make_shared<const std::vector<RuleVersion>>()) {}

base::Result<std::unique_ptr<RuleStore>> RuleStore::open(const std::string& state_dir, Ports ports,
                                                         Clock clock) {
  SNAPFLOW_TRY_STATUS(make_dirs(state_dir), "--state-dir=" + state_dir);
  std::unique_ptr<RuleStore> store(new RuleStore(state_dir, std::move(ports), std::move(clock)));
  auto text = read_small_file(store->path_, 64 << 20);
  if (!text) {
    if (text.error().code() == ErrorCode::kNotFound) return store;
    return std::move(text).error();
  }
  auto file = decode_rule_file(*text, store->path_);
  if (!file) return std::move(file).error();
  std::vector<Rule> rules;
  for (const RuleVersion& v : file->versions) {
    if (!v.is_open()) continue;
    // Saved rules are validated again: the ports may have been reconfigured since.
    SNAPFLOW_TRY_STATUS(store->validate(v.spec, rules, v.id), store->path_);
    auto rule = store->make_rule(v.id, v.spec, v.from_ns, std::make_shared<RuleCounters>());
    if (!rule) return std::move(rule).error().context(store->path_);
    rules.push_back(std::move(*rule));
  }
  std::sort(rules.begin(), rules.end(), [](const Rule& x, const Rule& y) { return x.id < y.id; });
  auto table = RuleTable::build(rules, ++store->version_);
  if (!table) return std::move(table).error().context(store->path_);
  store->rules_ = std::move(rules);
  store->history_ = std::move(file->versions);
  store->next_id_ = file->next_id;
  store->cell_.publish(std::move(*table));
  store->publish_views();
  return store;
}

base::Status RuleStore::validate(const RuleSpec& spec, const std::vector<Rule>& others,
                                 uint32_t self_id, uint32_t* conflict) const {
  const uint8_t family = spec.a.family;
  if (family == 0 || spec.capture.family != family || spec.egress.family != family ||
      spec.b.family != family) {
    return invalid(spec, "all four addresses must be IPv4 or all IPv6");
  }
  if (!is_valid_rule_name(spec.name)) return invalid(spec, "bad name");
  const auto capture_port = ports_.port_of(spec.capture);
  if (!capture_port)
    return invalid(spec,
                   "capture=" + to_string(spec.capture) + " is not an address of any forward port");
  const auto egress_port = ports_.port_of(spec.egress);
  if (!egress_port)
    return invalid(spec,
                   "egress=" + to_string(spec.egress) + " is not an address of any forward port");
  if (ports_.owns(spec.a) || ports_.owns(spec.b)) {
    return invalid(spec, "a and b must be other hosts, not the probe's own addresses");
  }
  if (is_unusable_host(spec.a) || is_unusable_host(spec.b)) {
    return invalid(spec, "a and b must be unicast host addresses");
  }
  if (is_ipv6_link_local(spec.a) || is_ipv6_link_local(spec.b) ||
      is_ipv6_link_local(spec.capture) || is_ipv6_link_local(spec.egress)) {
    return invalid(spec, "link-local addresses cannot be forwarded");
  }
  if (spec.a == spec.b) return invalid(spec, "a and b must differ");
  if (!ports_.next_hop(*capture_port, spec.a)) {
    return invalid(spec, "a=" + to_string(spec.a) + " is on no subnet of port " +
                             std::to_string(*capture_port) +
                             " and that port has no gateway for it (via=)");
  }
  if (!ports_.next_hop(*egress_port, spec.b)) {
    return invalid(spec, "b=" + to_string(spec.b) + " is on no subnet of port " +
                             std::to_string(*egress_port) +
                             " and that port has no gateway for it (via=)");
  }
  // No two rules may claim the same packets, as forwarded (the table keys) or as stored
  // (the attribution patterns, rule_history.h): with the checks above, that leaves the
  // forward key, the reverse key and the unordered pair (A, B).
  for (const Rule& o : others) {
    if (o.id == self_id) continue;
    const RuleSpec& s = o.spec;
    const KeyPair mine[] = {forward_key(spec), reverse_key(spec)};
    const KeyPair theirs[] = {forward_key(s), reverse_key(s)};
    for (const KeyPair& m : mine) {
      for (const KeyPair& t : theirs) {
        if (m == t) {
          if (conflict != nullptr) *conflict = o.id;
          return invalid(spec, "rule " + std::to_string(o.id) + " already forwards packets from " +
                                   to_string(m.src) + " to " + to_string(m.dst));
        }
      }
    }
    if ((s.a == spec.a && s.b == spec.b) || (s.a == spec.b && s.b == spec.a)) {
      if (conflict != nullptr) *conflict = o.id;
      return invalid(spec, "rule " + std::to_string(o.id) + " already joins " + to_string(spec.a) +
                               " and " + to_string(spec.b));
    }
  }
  return {};
}

base::Result<Rule> RuleStore::make_rule(uint32_t id, const RuleSpec& spec, int64_t now,
                                        std::shared_ptr<RuleCounters> counters) const {
  Rule r;
  r.id = id;
  r.spec = spec;
  r.since_ns = now;
  r.capture_port = *ports_.port_of(spec.capture);
  r.egress_port = *ports_.port_of(spec.egress);
  r.next_hop_a = ports_.next_hop(r.capture_port, spec.a).value_or(IpAddr{});
  r.next_hop_b = ports_.next_hop(r.egress_port, spec.b).value_or(IpAddr{});
  r.counters = std::move(counters);
  return r;
}

base::Status RuleStore::commit(std::vector<Rule> rules, std::vector<RuleVersion> history,
                               uint32_t next_id) {
  std::sort(rules.begin(), rules.end(), [](const Rule& x, const Rule& y) { return x.id < y.id; });
  auto table = RuleTable::build(rules, version_ + 1);
  if (!table) return std::move(table).error();
  // Versions that ended before the oldest stored packet can attribute nothing any more.
  std::erase_if(history,
                [&](const RuleVersion& v) { return !v.is_open() && v.to_ns < horizon_ns_; });
  RuleFile file{next_id, history};
  SNAPFLOW_TRY_STATUS(write_file_atomic(dir_, std::string(kRulesFileName), encode_rule_file(file)),
                      "save rules");
  ++version_;
  rules_ = std::move(rules);
  history_ = std::move(file.versions);
  next_id_ = next_id;
  cell_.publish(std::move(*table));
  publish_views();
  return {};
}

void RuleStore::publish_views() {
  auto rules = std::make_shared<const std::vector<Rule>>(rules_);
  auto history = std::make_shared<const std::vector<RuleVersion>>(history_);
  std::lock_guard lock(view_mu_);
  rules_view_ = std::move(rules);
  history_view_ = std::move(history);
}

base::Result<Rule> RuleStore::add(const RuleSpec& spec, uint32_t* conflicting_rule) {
  std::lock_guard lock(mu_);
  if (rules_.size() >= kMaxRules) {
    return invalid(spec, "the probe holds " + std::to_string(kMaxRules) + " rules already");
  }
  SNAPFLOW_TRY_STATUS(validate(spec, rules_, 0, conflicting_rule), "add rule");
  const int64_t now = clock_();
  auto rule = make_rule(next_id_, spec, now, std::make_shared<RuleCounters>());
  if (!rule) return std::move(rule).error();
  std::vector<Rule> rules = rules_;
  rules.push_back(*rule);
  std::vector<RuleVersion> history = history_;
  history.push_back({rule->id, spec, now, 0});
  SNAPFLOW_TRY_STATUS(commit(std::move(rules), std::move(history), next_id_ + 1), "add rule");
  return *rule;
}

base::Status RuleStore::remove(uint32_t id) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(rules_.begin(), rules_.end(), [&](const Rule& r) { return r.id == id; });
  if (it == rules_.end()) {
    return make_error(ErrorCode::kNotFound, "no rule " + std::to_string(id));
  }
  const int64_t now = clock_();
  std::vector<Rule> rules = rules_;
  rules.erase(rules.begin() + (it - rules_.begin()));
  std::vector<RuleVersion> history = history_;
  for (RuleVersion& v : history) {
    if (v.id == id && v.is_open()) v.to_ns = std::max(now, v.from_ns);
  }
  SNAPFLOW_TRY_STATUS(commit(std::move(rules), std::move(history), next_id_),
                      "remove rule " + std::to_string(id));
  return {};
}

base::Result<Rule> RuleStore::set_mode(uint32_t id, CaptureMode mode) {
  std::lock_guard lock(mu_);
  auto it = std::find_if(rules_.begin(), rules_.end(), [&](const Rule& r) { return r.id == id; });
  if (it == rules_.end()) {
    return make_error(ErrorCode::kNotFound, "no rule " + std::to_string(id));
  }
  if (it->spec.mode == mode) return *it;
  const int64_t now = clock_();
  std::vector<Rule> rules = rules_;
  Rule& changed = rules[static_cast<size_t>(it - rules_.begin())];
  changed.spec.mode = mode;
  changed.since_ns = now;
  std::vector<RuleVersion> history = history_;
  for (RuleVersion& v : history) {
    if (v.id == id && v.is_open()) v.to_ns = std::max(now, v.from_ns);
  }
  history.push_back({id, changed.spec, now, 0});
  Rule result = changed;
  SNAPFLOW_TRY_STATUS(commit(std::move(rules), std::move(history), next_id_),
                      "set mode of rule " + std::to_string(id));
  return result;
}

base::Result<RuleStore::ReconcileReport> RuleStore::reconcile(const std::vector<RuleSpec>& wanted) {
  std::lock_guard lock(mu_);
  if (wanted.size() > kMaxRules) {
    return make_error(ErrorCode::kInvalidArgument,
                      "at most " + std::to_string(kMaxRules) + " rules");
  }
  ReconcileReport report;
  const int64_t now = clock_();
  std::vector<Rule> rules;
  std::vector<RuleVersion> history = history_;
  uint32_t next_id = next_id_;
  std::vector<bool> kept(rules_.size(), false);
  for (const RuleSpec& spec : wanted) {
    auto it = std::find_if(rules_.begin(), rules_.end(),
                           [&](const Rule& r) { return r.spec.same_addresses(spec); });
    if (it != rules_.end() && !kept[static_cast<size_t>(it - rules_.begin())]) {
      kept[static_cast<size_t>(it - rules_.begin())] = true;
      Rule r = *it;
      if (r.spec.mode == spec.mode && r.spec.name == spec.name) {
        ++report.unchanged;
      } else {
        ++report.changed;
        r.spec.mode = spec.mode;
        r.spec.name = spec.name;
        r.since_ns = now;
        for (RuleVersion& v : history) {
          if (v.id == r.id && v.is_open()) v.to_ns = std::max(now, v.from_ns);
        }
        history.push_back({r.id, r.spec, now, 0});
      }
      rules.push_back(std::move(r));
      continue;
    }
    SNAPFLOW_TRY_STATUS(validate(spec, {}, 0), "configured rules");
    auto rule = make_rule(next_id, spec, now, std::make_shared<RuleCounters>());
    if (!rule) return std::move(rule).error();
    history.push_back({next_id, spec, now, 0});
    ++next_id;
    ++report.added;
    rules.push_back(std::move(*rule));
  }
  for (size_t i = 0; i < rules_.size(); ++i) {
    if (kept[i]) continue;
    ++report.removed;
    for (RuleVersion& v : history) {
      if (v.id == rules_[i].id && v.is_open()) v.to_ns = std::max(now, v.from_ns);
    }
  }
  // Validate the whole result against itself (make_rule above assumed owned addresses).
  for (const Rule& r : rules) {
    SNAPFLOW_TRY_STATUS(validate(r.spec, rules, r.id), "configured rules");
  }
  if (report.added == 0 && report.removed == 0 && report.changed == 0) return report;
  SNAPFLOW_TRY_STATUS(commit(std::move(rules), std::move(history), next_id), "configured rules");
  return report;
}

std::shared_ptr<const std::vector<Rule>> RuleStore::rules_view() const {
  std::lock_guard lock(view_mu_);
  return rules_view_;
}

std::optional<Rule> RuleStore::get(uint32_t id) const {
  for (const Rule& r : *rules_view()) {
    if (r.id == id) return r;
  }
  return std::nullopt;
}

std::shared_ptr<const std::vector<RuleVersion>> RuleStore::versions_view() const {
  std::lock_guard lock(view_mu_);
  return history_view_;
}

void RuleStore::set_history_horizon(int64_t horizon_ns) {
  std::lock_guard lock(mu_);
  horizon_ns_ = horizon_ns;
}

std::unique_ptr<RcuCell<RuleTable>::Reader> RuleStore::register_reader() {
  return cell_.register_reader();
}

}  // namespace snapflow::forward
