#include "snapflow/forward/mirror_sessions.h"

#include <algorithm>
#include <charconv>

#include "durable_file.h"
#include "snapflow/forward/rule.h"

namespace snapflow::forward {

using base::ErrorCode;
using base::make_error;

namespace {

constexpr std::string_view kMagic = "snapflow-mirror-sessions 1";
constexpr size_t kMaxFileBytes = 16 << 20;

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string encode_session_file(const std::vector<SessionVersion>& versions) {
  std::string out(kMagic);
  out += "\n";
  for (const SessionVersion& v : versions) {
    out += "session " + std::to_string(v.vni) + " " + std::to_string(v.from_ns) + " " +
           std::to_string(v.to_ns) + " " + v.name + "\n";
  }
  return out;
}

base::Result<std::vector<SessionVersion>> decode_session_file(std::string_view text,
                                                              std::string_view name) {
  std::vector<SessionVersion> versions;
  size_t line_number = 0;
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::kFormat,
                      std::string(name) + ":" + std::to_string(line_number) + ": " + why);
  };
  while (!text.empty()) {
    ++line_number;
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return fail("line does not end with a newline (torn write?)");
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line_number == 1) {
      if (line != kMagic) {
        return fail("not a snapflow mirror sessions file (expected '" + std::string(kMagic) + "')");
      }
      continue;
    }
    std::string_view f[5];
    size_t n = 0;
    while (n < 5) {
      const size_t sp = line.find(' ');
      f[n++] = line.substr(0, sp);
      if (sp == std::string_view::npos) {
        line = {};
        break;
      }
      line.remove_prefix(sp + 1);
    }
    if (n != 5 || !line.empty() || f[0] != "session") {
      return fail("expected 'session VNI FROM_NS TO_NS NAME'");
    }
    SessionVersion v;
    if (!parse_number(f[1], v.vni) || v.vni > kMaxVni) {
      return fail("bad VNI '" + std::string(f[1]) + "'");
    }
    if (!parse_number(f[2], v.from_ns) || !parse_number(f[3], v.to_ns) || v.from_ns < 0 ||
        v.to_ns < 0 || (v.to_ns != 0 && v.to_ns < v.from_ns)) {
      return fail("bad time span");
    }
    if (f[4].empty() || !is_valid_rule_name(f[4])) return fail("bad session name");
    v.name = f[4];
    for (const SessionVersion& o : versions) {
      if (o.vni == v.vni && o.is_open() && v.is_open()) {
        return fail("VNI " + std::to_string(v.vni) + " has two names in force");
      }
    }
    versions.push_back(std::move(v));
  }
  if (line_number == 0) return fail("empty file");
  return versions;
}

bool reconcile_sessions(std::vector<SessionVersion>& versions,
                        const std::vector<SessionName>& configured, int64_t now_ns) {
  bool changed = false;
  for (SessionVersion& v : versions) {
    if (!v.is_open()) continue;
    const bool kept = std::any_of(configured.begin(), configured.end(), [&](const SessionName& c) {
      return c.vni == v.vni && c.name == v.name;
    });
    if (!kept) {
      v.to_ns = std::max(now_ns, v.from_ns);
      changed = true;
    }
  }
  for (const SessionName& c : configured) {
    const bool open = std::any_of(versions.begin(), versions.end(), [&](const SessionVersion& v) {
      return v.is_open() && v.vni == c.vni && v.name == c.name;
    });
    if (!open) {
      versions.push_back({c.vni, c.name, now_ns, 0});
      changed = true;
    }
  }
  return changed;
}

base::Result<std::vector<SessionVersion>> update_session_file(
    const std::string& state_dir, const std::vector<SessionName>& configured, int64_t now_ns) {
  const std::string path = state_dir + "/" + std::string(kMirrorSessionsFileName);
  std::vector<SessionVersion> versions;
  auto text = read_small_file(path, kMaxFileBytes);
  if (text) {
    auto decoded = decode_session_file(*text, path);
    if (!decoded) return std::move(decoded).error();
    versions = std::move(*decoded);
  } else if (text.error().code() != ErrorCode::kNotFound) {
    return std::move(text).error();
  }
  if (!reconcile_sessions(versions, configured, now_ns)) return versions;
  SNAPFLOW_TRY_STATUS(make_dirs(state_dir), "--state-dir=" + state_dir);
  SNAPFLOW_TRY_STATUS(write_file_atomic(state_dir, std::string(kMirrorSessionsFileName),
                                        encode_session_file(versions)),
                      "save mirror sessions");
  return versions;
}

SessionHistory::SessionHistory(std::vector<SessionVersion> versions)
    : versions_(std::move(versions)) {
  for (uint32_t i = 0; i < versions_.size(); ++i) {
    by_vni_[versions_[i].vni].push_back(i);
    longest_name_ = std::max(longest_name_, versions_[i].name.size());
  }
}

base::Result<SessionHistory> SessionHistory::load_file(const std::string& path) {
  auto text = read_small_file(path, kMaxFileBytes);
  if (!text) return std::move(text).error();
  auto versions = decode_session_file(*text, path);
  if (!versions) return std::move(versions).error();
  return SessionHistory(std::move(*versions));
}

std::string_view SessionHistory::name(uint32_t vni, int64_t ts_ns) const {
  auto it = by_vni_.find(vni);
  if (it == by_vni_.end()) return {};
  for (uint32_t i : it->second) {
    const SessionVersion& v = versions_[i];
    if (ts_ns >= v.from_ns && (v.is_open() || ts_ns < v.to_ns)) return v.name;
  }
  return {};
}

}  // namespace snapflow::forward
