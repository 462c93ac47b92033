// /forward/* and /mirror/sessions: the rules API of the bump-in-the-wire forwarder and the
// mirror target's session counters (docs/capture.md "Rules API").
//
// A change goes through RuleStore, so it is validated, written durably, then published to the
// datapath by one pointer swap (docs/decisions/0042): the other rules keep forwarding
// throughout. Parameter errors are 400 naming the parameter; a rule refused because another
// rule already claims its packets is 409 naming that rule; an unknown id is 404; a rules file
// that cannot be written is 500 and changes nothing.
#include "routes_forward.h"

#include <array>

#include "api_handlers.h"
#include "snapflow/base/parse.h"
#include "snapflow/capture/cloud_control.h"

namespace snapflow::capture {
namespace {

using forward::CaptureMode;
using forward::IpAddr;
using forward::Rule;
using forward::RuleDrop;

// Longer values are refused before parsing, so messages that quote them stay short.
constexpr size_t kMaxAddressText = 64;
constexpr size_t kMaxIdText = 10;

ApiResponse not_forwarder() {
  return text_response(404, "this probe is not a forwarder (--source=forward:...)");
}

// {"Status":ok,"Str":message[,"Id":id]}
ApiResponse action_answer(int http_status, bool ok, std::string_view message, uint32_t id = 0) {
  ApiResponse r;
  r.status = http_status;
  r.content_type = "application/json";
  r.body = std::string("{\"Status\":") + (ok ? "true" : "false") + ",\"Str\":\"" +
           json_escape(message) + "\"";
  if (id != 0) r.body += ",\"Id\":" + std::to_string(id);
  r.body += "}\n";
  return r;
}

// The message of a RuleStore error without its " <- operation" context (the route names the
// operation already).
std::string reason_of(const base::Error& error) {
  const std::string& m = error.message();
  return m.substr(0, m.find(" <- "));
}

// format=csv|json (or text|json for key-value answers); sets *json. "" or the reason.
std::string format_arg(const ApiRequest& req, bool key_value, bool* json) {
  const std::string* format = find_arg(req, "format");
  const char* plain = key_value ? "text" : "csv";
  *json = format != nullptr && *format == "json";
  if (format != nullptr && *format != plain && *format != "json") {
    return std::string("format must be ") + plain + " or json";
  }
  return {};
}

ApiResponse body_response(bool json, std::string body, bool key_value = false) {
  ApiResponse r;
  r.content_type = json        ? "application/json"
                   : key_value ? "text/plain; charset=utf-8"
                               : "text/csv; charset=utf-8";
  r.body = std::move(body);
  return r;
}

// An address parameter; null with *reason set when missing or malformed.
std::optional<IpAddr> address_arg(const ApiRequest& req, const char* name, std::string* reason) {
  const std::string* text = find_arg(req, name);
  if (text == nullptr) {
    *reason = std::string("missing parameter ") + name;
    return std::nullopt;
  }
  if (text->size() > kMaxAddressText) {
    *reason = std::string(name) + ": not an IPv4 or IPv6 address (too long)";
    return std::nullopt;
  }
  auto ip = forward::parse_ip(*text);
  if (!ip) {
    *reason = std::string(name) + ": " + ip.error().message();
    return std::nullopt;
  }
  return *ip;
}

std::optional<CaptureMode> mode_arg(const ApiRequest& req, bool required, std::string* reason) {
  const std::string* text = find_arg(req, "Mode");
  if (text == nullptr) {
    if (required) *reason = "missing parameter Mode (ingress, egress or inline)";
    return required ? std::nullopt : std::optional<CaptureMode>(CaptureMode::kIngress);
  }
  auto mode = forward::parse_capture_mode(*text);
  if (!mode) {
    *reason = "Mode: expected ingress, egress or inline";
    return std::nullopt;
  }
  return *mode;
}

std::optional<uint32_t> id_arg(const ApiRequest& req, std::string* reason) {
  const std::string* text = find_arg(req, "Id");
  if (text == nullptr) {
    *reason = "missing parameter Id";
    return std::nullopt;
  }
  auto id =
      text->size() > kMaxIdText
          ? base::Result<uint64_t>(base::make_error(base::ErrorCode::kInvalidArgument, "too long"))
          : base::parse_uint(*text, 1, UINT32_MAX);
  if (!id) {
    *reason = "Id: expected a rule id from 1 to 4294967295";
    return std::nullopt;
  }
  return static_cast<uint32_t>(*id);
}

void append_rule_csv(std::string& out, const Rule& r) {
  const forward::RuleCounters& c = *r.counters;
  const forward::RuleSpec& s = r.spec;
  out.append(std::to_string(r.id)).append(",").append(s.name).append(",");
  out.append(to_string(s.mode)).append(",").append(to_string(s.a)).append(",");
  out.append(to_string(s.capture)).append(",").append(to_string(s.egress)).append(",");
  out.append(to_string(s.b)).append(",").append(std::to_string(r.since_ns));
  for (uint64_t v : {c.packets[0].get(), c.bytes[0].get(), c.packets[1].get(), c.bytes[1].get(),
                     c.captured.get(), c.capture_dropped.get()}) {
    out.append(",").append(std::to_string(v));
  }
  for (const auto& d : c.drops) out.append(",").append(std::to_string(d.get()));
  out.append("\n");
}

void append_rule_json(std::string& out, const Rule& r) {
  const forward::RuleCounters& c = *r.counters;
  const forward::RuleSpec& s = r.spec;
  const auto pair = [&](const char* name, uint64_t packets, uint64_t bytes) {
    out.append(",\"").append(name).append("\":{\"packets\":").append(std::to_string(packets));
    out.append(",\"bytes\":").append(std::to_string(bytes)).append("}");
  };
  out.append("{\"id\":").append(std::to_string(r.id));
  out.append(",\"name\":\"").append(json_escape(s.name)).append("\"");
  out.append(",\"mode\":\"").append(to_string(s.mode)).append("\"");
  out.append(",\"a\":\"").append(to_string(s.a)).append("\"");
  out.append(",\"capture\":\"").append(to_string(s.capture)).append("\"");
  out.append(",\"egress\":\"").append(to_string(s.egress)).append("\"");
  out.append(",\"b\":\"").append(to_string(s.b)).append("\"");
  out.append(",\"since_ns\":").append(std::to_string(r.since_ns));
  pair("a_to_b", c.packets[0].get(), c.bytes[0].get());
  pair("b_to_a", c.packets[1].get(), c.bytes[1].get());
  out.append(",\"captured\":").append(std::to_string(c.captured.get()));
  out.append(",\"capture_dropped\":").append(std::to_string(c.capture_dropped.get()));
  out.append(",\"drops\":{");
  for (size_t i = 0; i < c.drops.size(); ++i) {
    out.append(i == 0 ? "\"" : ",\"").append(to_string(static_cast<RuleDrop>(i)));
    out.append("\":").append(std::to_string(c.drops[i].get()));
  }
  out.append("}}");
}

std::string key_value_text(const std::vector<StatusField>& fields, bool json) {
  std::string out = json ? "{" : "";
  for (size_t i = 0; i < fields.size(); ++i) {
    if (json) {
      out.append(i == 0 ? "\"" : ",\"").append(fields[i].key).append("\":");
      out.append(std::to_string(fields[i].value));
    } else {
      out.append(fields[i].key).append(", ").append(std::to_string(fields[i].value)).append("\n");
    }
  }
  if (json) out.append("}\n");
  return out;
}

}  // namespace

ApiResponse route_forward_rules(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"format"}); !why.empty()) return text_response(400, why);
  bool json = false;
  if (auto why = format_arg(req, false, &json); !why.empty()) return text_response(400, why);
  forward::RuleStore* rules = context.cloud ? context.cloud->rules() : nullptr;
  if (rules == nullptr) return not_forwarder();
  const auto view = rules->rules_view();
  std::string out = json ? "{\"rules\":[" : "";
  for (size_t i = 0; i < view->size(); ++i) {
    if (json) {
      if (i > 0) out.append(",");
      append_rule_json(out, (*view)[i]);
    } else {
      append_rule_csv(out, (*view)[i]);
    }
  }
  if (json) out.append("]}\n");
  return body_response(json, std::move(out));
}

ApiResponse route_forward_history(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"format"}); !why.empty()) return text_response(400, why);
  bool json = false;
  if (auto why = format_arg(req, false, &json); !why.empty()) return text_response(400, why);
  forward::RuleStore* rules = context.cloud ? context.cloud->rules() : nullptr;
  if (rules == nullptr) return not_forwarder();
  const auto view = rules->versions_view();
  std::string out = json ? "{\"versions\":[" : "";
  bool first = true;
  for (const forward::RuleVersion& v : *view) {
    const forward::RuleSpec& s = v.spec;
    if (json) {
      out.append(first ? "" : ",").append("{\"id\":").append(std::to_string(v.id));
      out.append(",\"mode\":\"").append(to_string(s.mode));
      out.append("\",\"a\":\"").append(to_string(s.a));
      out.append("\",\"capture\":\"").append(to_string(s.capture));
      out.append("\",\"egress\":\"").append(to_string(s.egress));
      out.append("\",\"b\":\"").append(to_string(s.b));
      out.append("\",\"from_ns\":").append(std::to_string(v.from_ns));
      out.append(",\"to_ns\":").append(std::to_string(v.to_ns));
      out.append(",\"name\":\"").append(json_escape(s.name)).append("\"}");
    } else {
      out.append(std::to_string(v.id)).append(",").append(to_string(s.mode)).append(",");
      out.append(to_string(s.a)).append(",").append(to_string(s.capture)).append(",");
      out.append(to_string(s.egress)).append(",").append(to_string(s.b)).append(",");
      out.append(std::to_string(v.from_ns)).append(",").append(std::to_string(v.to_ns));
      out.append(",").append(s.name).append("\n");
    }
    first = false;
  }
  if (json) out.append("]}\n");
  return body_response(json, std::move(out));
}

ApiResponse route_forward_status(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"format"}); !why.empty()) return text_response(400, why);
  bool json = false;
  if (auto why = format_arg(req, true, &json); !why.empty()) return text_response(400, why);
  if (context.cloud == nullptr || context.cloud->rules() == nullptr) return not_forwarder();
  std::vector<StatusField> fields = context.cloud->forward_counters();
  // Per-rule sums, as /sysmaster/status shows them, then the forwarder's own counters.
  std::vector<StatusField> sums = context.cloud->status_fields();
  sums.insert(sums.end(), fields.begin(), fields.end());
  return body_response(json, key_value_text(sums, json), true);
}

ApiResponse route_mirror_sessions(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"format"}); !why.empty()) return text_response(400, why);
  bool json = false;
  if (auto why = format_arg(req, false, &json); !why.empty()) return text_response(400, why);
  auto sessions = context.cloud ? context.cloud->mirror_sessions()
                                : std::optional<std::vector<MirrorSessionRow>>();
  if (!sessions) return text_response(404, "this probe is not a mirror target (--mirror=...)");
  std::string out = json ? "{\"sessions\":[" : "";
  bool first = true;
  for (const MirrorSessionRow& s : *sessions) {
    if (json) {
      out.append(first ? "" : ",").append("{\"vni\":").append(std::to_string(s.vni));
      out.append(",\"name\":\"").append(json_escape(s.name)).append("\"");
      out.append(",\"packets\":").append(std::to_string(s.packets));
      out.append(",\"bytes\":").append(std::to_string(s.bytes));
      out.append(",\"inner_bytes\":").append(std::to_string(s.inner_bytes)).append("}");
    } else {
      out.append(std::to_string(s.vni)).append(",").append(s.name).append(",");
      out.append(std::to_string(s.packets)).append(",").append(std::to_string(s.bytes));
      out.append(",").append(std::to_string(s.inner_bytes)).append("\n");
    }
    first = false;
  }
  if (json) out.append("]}\n");
  return body_response(json, std::move(out));
}

ApiResponse route_forward_rule_add(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"A", "Capture", "Egress", "B", "Mode", "Name"}); !why.empty()) {
    return action_answer(400, false, why);
  }
  forward::RuleStore* rules = context.cloud ? context.cloud->rules() : nullptr;
  if (rules == nullptr) return action_answer(404, false, "this probe is not a forwarder");
  std::string reason;
  forward::RuleSpec spec;
  const std::array<std::pair<const char*, IpAddr*>, 4> addresses = {
      {{"A", &spec.a}, {"Capture", &spec.capture}, {"Egress", &spec.egress}, {"B", &spec.b}}};
  for (const auto& [name, out] : addresses) {
    auto ip = address_arg(req, name, &reason);
    if (!ip) return action_answer(400, false, reason);
    *out = *ip;
  }
  auto mode = mode_arg(req, false, &reason);
  if (!mode) return action_answer(400, false, reason);
  spec.mode = *mode;
  if (const std::string* name = find_arg(req, "Name")) {
    if (!forward::is_valid_rule_name(*name)) {
      return action_answer(
          400, false, "Name: use at most 64 characters of A-Z a-z 0-9 . _ - (or leave it out)");
    }
    spec.name = *name;
  }
  uint32_t conflict = 0;
  auto added = rules->add(spec, &conflict);
  if (!added) {
    const base::ErrorCode code = added.error().code();
    if (conflict != 0) return action_answer(409, false, reason_of(added.error()));
    if (code == base::ErrorCode::kInvalidArgument) {
      return action_answer(400, false, reason_of(added.error()));
    }
    return action_answer(500, false, "rule not added: " + added.error().message());
  }
  return action_answer(200, true, "rule " + std::to_string(added->id) + " added", added->id);
}

ApiResponse route_forward_rule_del(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"Id"}); !why.empty()) return action_answer(400, false, why);
  forward::RuleStore* rules = context.cloud ? context.cloud->rules() : nullptr;
  if (rules == nullptr) return action_answer(404, false, "this probe is not a forwarder");
  std::string reason;
  auto id = id_arg(req, &reason);
  if (!id) return action_answer(400, false, reason);
  auto removed = rules->remove(*id);
  if (!removed.ok()) {
    if (removed.error().code() == base::ErrorCode::kNotFound) {
      return action_answer(404, false, "no rule " + std::to_string(*id));
    }
    return action_answer(500, false, "rule not deleted: " + removed.error().message());
  }
  return action_answer(200, true, "rule " + std::to_string(*id) + " deleted", *id);
}

ApiResponse route_forward_rule_mode(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"Id", "Mode"}); !why.empty()) {
    return action_answer(400, false, why);
  }
  forward::RuleStore* rules = context.cloud ? context.cloud->rules() : nullptr;
  if (rules == nullptr) return action_answer(404, false, "this probe is not a forwarder");
  std::string reason;
  auto id = id_arg(req, &reason);
  if (!id) return action_answer(400, false, reason);
  auto mode = mode_arg(req, true, &reason);
  if (!mode) return action_answer(400, false, reason);
  auto before = rules->get(*id);
  auto changed = rules->set_mode(*id, *mode);
  if (!changed) {
    if (changed.error().code() == base::ErrorCode::kNotFound) {
      return action_answer(404, false, "no rule " + std::to_string(*id));
    }
    return action_answer(500, false, "mode not changed: " + changed.error().message());
  }
  const bool same = before && before->spec.mode == *mode;
  return action_answer(
      200, true,
      "rule " + std::to_string(*id) + (same ? " is already " : " now captures ") + to_string(*mode),
      *id);
}

}  // namespace snapflow::capture
