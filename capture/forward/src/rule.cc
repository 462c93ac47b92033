#include "snapflow/forward/rule.h"

#include <bit>

namespace snapflow::forward {

using base::ErrorCode;
using base::make_error;

const char* to_string(CaptureMode mode) {
  switch (mode) {
    case CaptureMode::kIngress:
      return "ingress";
    case CaptureMode::kEgress:
      return "egress";
    case CaptureMode::kInline:
      return "inline";
  }
  return "?";
}

base::Result<CaptureMode> parse_capture_mode(std::string_view text) {
  if (text == "ingress") return CaptureMode::kIngress;
  if (text == "egress") return CaptureMode::kEgress;
  if (text == "inline") return CaptureMode::kInline;
  return make_error(ErrorCode::kInvalidArgument,
                    "mode '" + std::string(text) + "': expected ingress, egress or inline");
}

const char* to_string(RuleDrop reason) {
  switch (reason) {
    case RuleDrop::kTtlExceeded:
      return "ttl_exceeded";
    case RuleDrop::kNoRoute:
      return "no_route";
    case RuleDrop::kNoNeighbour:
      return "no_neighbour";
    case RuleDrop::kTooBig:
      return "too_big";
    case RuleDrop::kTxFull:
      return "tx_full";
    case RuleDrop::kCount:
      break;
  }
  return "?";
}

const char* to_string(EngineDrop reason) {
  switch (reason) {
    case EngineDrop::kNotForUs:
      return "not_for_us";
    case EngineDrop::kNotIp:
      return "not_ip";
    case EngineDrop::kMalformed:
      return "malformed";
    case EngineDrop::kNoRule:
      return "no_rule";
    case EngineDrop::kNotOurAddress:
      return "not_our_address";
    case EngineDrop::kLinkLocal:
      return "link_local";
    case EngineDrop::kIcmpRateLimited:
      return "icmp_rate_limited";
    case EngineDrop::kTxFull:
      return "tx_full";
    case EngineDrop::kCount:
      break;
  }
  return "?";
}

bool is_valid_rule_name(std::string_view name) {
  if (name.size() > 64) return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

base::Result<RuleSpec> parse_rule_spec(std::string_view text) {
  RuleSpec spec;
  bool seen[6] = {};
  const std::string whole(text);
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::kInvalidArgument, "rule '" + whole + "': " + why);
  };
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos)
      return fail("expected key=value, got '" + std::string(item) + "'");
    std::string_view key = item.substr(0, eq);
    std::string_view value = item.substr(eq + 1);
    int slot = -1;
    IpAddr* target = nullptr;
    if (key == "a") {
      slot = 0;
      target = &spec.a;
    } else if (key == "capture") {
      slot = 1;
      target = &spec.capture;
    } else if (key == "egress") {
      slot = 2;
      target = &spec.egress;
    } else if (key == "b") {
      slot = 3;
      target = &spec.b;
    } else if (key == "mode") {
      slot = 4;
      auto mode = parse_capture_mode(value);
      if (!mode) return fail(mode.error().message());
      spec.mode = *mode;
    } else if (key == "name") {
      slot = 5;
      if (!is_valid_rule_name(value)) return fail("name: use 0-64 characters of A-Z a-z 0-9 _ . -");
      spec.name = value;
    } else {
      return fail("unknown key '" + std::string(key) + "' (a, capture, egress, b, mode, name)");
    }
    if (seen[slot]) return fail("'" + std::string(key) + "' given twice");
    seen[slot] = true;
    if (target) {
      auto ip = parse_ip(value);
      if (!ip) return fail(std::string(key) + ": " + ip.error().message());
      *target = *ip;
    }
  }
  for (int i = 0; i < 4; ++i) {
    static constexpr const char* kNames[] = {"a", "capture", "egress", "b"};
    if (!seen[i]) return fail(std::string("missing ") + kNames[i] + "=");
  }
  return spec;
}

std::string to_string(const RuleSpec& s) {
  std::string out = "a=" + to_string(s.a) + ",capture=" + to_string(s.capture) +
                    ",egress=" + to_string(s.egress) + ",b=" + to_string(s.b) +
                    ",mode=" + to_string(s.mode);
  if (!s.name.empty()) out += ",name=" + s.name;
  return out;
}

base::Result<std::unique_ptr<const RuleTable>> RuleTable::build(std::vector<Rule> rules,
                                                                uint64_t version) {
  std::unique_ptr<RuleTable> table(new RuleTable());
  table->version_ = version;
  table->rules_ = std::move(rules);
  const size_t keys = table->rules_.size() * 2;
  const size_t size = std::bit_ceil(std::max<size_t>(16, keys * 2));
  table->slots_.resize(size);
  table->mask_ = size - 1;
  for (const Rule& rule : table->rules_) {
    for (Direction dir : {Direction::kAtoB, Direction::kBtoA}) {
      const KeyPair key = dir == Direction::kAtoB ? forward_key(rule.spec) : reverse_key(rule.spec);
      size_t i =
          hash_addresses(reinterpret_cast<const std::byte*>(key.src.bytes.data()),
                         reinterpret_cast<const std::byte*>(key.dst.bytes.data()), key.src.size()) &
          table->mask_;
      while (table->slots_[i].match.rule != nullptr) {
        const Slot& other = table->slots_[i];
        if (other.src == key.src && other.dst == key.dst) {
          return make_error(ErrorCode::kInvalidArgument,
                            "rules " + std::to_string(other.match.rule->id) + " and " +
                                std::to_string(rule.id) + " both claim packets from " +
                                to_string(key.src) + " to " + to_string(key.dst));
        }
        i = (i + 1) & table->mask_;
      }
      table->slots_[i] = Slot{key.src, key.dst, Match{&rule, rule.counters.get(), dir}};
    }
  }
  return std::unique_ptr<const RuleTable>(std::move(table));
}

const RuleTable::Match* RuleTable::find(const std::byte* src, const std::byte* dst,
                                        size_t address_bytes) const {
  size_t i = hash_addresses(src, dst, address_bytes) & mask_;
  while (true) {
    const Slot& slot = slots_[i];
    if (slot.match.rule == nullptr) return nullptr;
    if (slot.src.size() == address_bytes && slot.src.equals_wire(src) &&
        slot.dst.equals_wire(dst)) {
      return &slot.match;
    }
    i = (i + 1) & mask_;
  }
}

const Rule* RuleTable::by_id(uint32_t id) const {
  for (const Rule& r : rules_) {
    if (r.id == id) return &r;
  }
  return nullptr;
}

}  // namespace snapflow::forward
