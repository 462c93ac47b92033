#include "snapflow/pcap2json/cloud_annotation.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <optional>
#include <vector>

#include "snapflow/base/time.h"
#include "snapflow/forward/mirror_sessions.h"
#include "snapflow/forward/rule_history.h"

namespace snapflow::pcap2json {

// What one reading of the rules file gives the encoders: the history, and for every version
// and each of its six patterns the ECS and fmadio members, built once (a document copies one).
// The members live in one arena, a version's twelve side by side (one or two cache lines
// away from each other, whatever the number of rules).
struct RulesReading {
  explicit RulesReading(forward::RuleHistory h);
  std::string_view member(size_t at) const {
    return {text.data() + spans[at].first, spans[at].second};
  }
  forward::RuleHistory history;
  std::string text;
  std::vector<std::pair<uint32_t, uint32_t>> spans;  ///< [(version * 6 + pattern) * 2 + fmadio]
};

struct CloudAnnotator::State {
  std::shared_ptr<const RulesReading> rules;
  std::shared_ptr<const forward::SessionHistory> sessions;
  FileId rules_id;
  FileId sessions_id;
};

namespace {

using base::ErrorCode;
using base::make_error;

constexpr size_t kMaxFileBytes = 64 << 20;
// A document stamped after the last look at the files triggers another look, at most this often
// (packets stamped in the future, e.g. a replayed capture from a host whose clock ran ahead).
constexpr int64_t kMinLookIntervalNs = 1'000'000;

// The file's identity and content, read through one descriptor so the two agree (the daemon
// replaces the file by rename).
base::Result<std::pair<std::string, struct stat>> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    return make_error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                      path + ": " + std::strerror(err));
  }
  struct stat st {};
  std::string text;
  base::Status status;
  if (::fstat(fd, &st) != 0) {
    status = make_error(ErrorCode::kIo, path + ": " + std::strerror(errno));
  } else if (static_cast<uint64_t>(st.st_size) > kMaxFileBytes) {
    status = make_error(ErrorCode::kFormat, path + ": larger than 64 MiB");
  } else {
    text.resize(static_cast<size_t>(st.st_size));
    size_t got = 0;
    while (got < text.size()) {
      const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        status = make_error(ErrorCode::kIo, path + ": short read");
        break;
      }
      got += static_cast<size_t>(n);
    }
  }
  ::close(fd);
  if (!status.ok()) return std::move(status).error();
  return std::make_pair(std::move(text), st);
}

// The outermost IP header's addresses: the tunnel's endpoints when the flow is tunnelled
// (the forwarder never tunnels, but A and B may), else the key's own. false for non-IP flows.
bool outer_addresses(const FlowRecord& r, const uint8_t** src, const uint8_t** dst, size_t* n) {
  const packet::FlowKey& key = r.key;
  if (key.tunnel_type != packet::TunnelType::kNone) {
    const packet::IpAddress& s = r.attributes.tunnel_source;
    const packet::IpAddress& d = r.attributes.tunnel_destination;
    if (s.version == 0 || s.version != d.version) return false;
    *src = s.bytes.data();
    *dst = d.bytes.data();
    *n = s.version == 6 ? 16 : 4;
    return true;
  }
  if (key.ip_version != 4 && key.ip_version != 6) return false;
  *src = key.source.data();
  *dst = key.destination.data();
  *n = key.ip_version == 6 ? 16 : 4;
  return true;
}

size_t pattern_index(forward::CaptureMode mode, forward::Direction direction) {
  return static_cast<size_t>(mode) * 2 + static_cast<size_t>(direction);
}

// The prebuilt members of the flow's rule version and pattern ("" when no rule made it).
std::string_view members(const RulesReading* rules, const FlowRecord& r, bool fmadio) {
  const uint8_t* src = nullptr;
  const uint8_t* dst = nullptr;
  size_t n = 0;
  if (rules == nullptr || !outer_addresses(r, &src, &dst, &n)) return {};
  const auto found =
      rules->history.attribute(r.counters.first_ts_ns, reinterpret_cast<const std::byte*>(src),
                               reinterpret_cast<const std::byte*>(dst), n);
  if (!found) return {};
  const size_t version = static_cast<size_t>(found->version - rules->history.versions().data());
  return rules->member((version * 6 + pattern_index(found->mode, found->direction)) * 2 + fmadio);
}

bool is_mirror_tunnel(const packet::FlowKey& key) {
  return (key.flags & packet::FlowKey::kHasTunnelId) != 0 &&
         (key.tunnel_type == packet::TunnelType::kVxlan ||
          key.tunnel_type == packet::TunnelType::kGeneve);
}

}  // namespace

RulesReading::RulesReading(forward::RuleHistory h) : history(std::move(h)) {
  const auto& versions = history.versions();
  spans.resize(versions.size() * 12);
  for (size_t v = 0; v < versions.size(); ++v) {
    const forward::RuleVersion& version = versions[v];
    // Rule names are [A-Za-z0-9._-]{0,64} (the file's decoder checks): no escaping needed.
    const std::string& name = version.spec.name;
    const std::string id = std::to_string(version.id);
    for (auto mode : {forward::CaptureMode::kIngress, forward::CaptureMode::kEgress,
                      forward::CaptureMode::kInline}) {
      for (auto direction : {forward::Direction::kAtoB, forward::Direction::kBtoA}) {
        const std::string m = forward::to_string(mode);
        const std::string d = forward::to_string(direction);
        const size_t at = (v * 6 + pattern_index(mode, direction)) * 2;
        const std::string ecs = ",\"capture_mode\":\"" + m + "\",\"rule\":{\"id\":" + id +
                                (name.empty() ? "" : ",\"name\":\"" + name + "\"") +
                                ",\"direction\":\"" + d + "\"}";
        const std::string fmadio = ",\"CaptureMode\":\"" + m + "\",\"RuleID\":" + id +
                                   (name.empty() ? "" : ",\"RuleName\":\"" + name + "\"") +
                                   ",\"RuleDirection\":\"" + d + "\"";
        spans[at] = {static_cast<uint32_t>(text.size()), static_cast<uint32_t>(ecs.size())};
        text += ecs;
        spans[at + 1] = {static_cast<uint32_t>(text.size()), static_cast<uint32_t>(fmadio.size())};
        text += fmadio;
      }
    }
  }
}

CloudAnnotator::CloudAnnotator(std::string rules_path, std::string sessions_path)
    : rules_path_(std::move(rules_path)), sessions_path_(std::move(sessions_path)) {}

CloudAnnotator::~CloudAnnotator() = default;

base::Result<std::unique_ptr<const CloudAnnotator::State>> CloudAnnotator::read(
    const State* previous) const {
  auto next = std::make_unique<State>();
  if (previous != nullptr) *next = *previous;
  const auto identity = [](const struct stat& st) {
    return FileId{static_cast<uint64_t>(st.st_dev), static_cast<uint64_t>(st.st_ino),
                  static_cast<uint64_t>(st.st_size),
                  static_cast<int64_t>(st.st_mtim.tv_sec) * base::kNsPerSec + st.st_mtim.tv_nsec};
  };
  if (!rules_path_.empty()) {
    auto file = read_file(rules_path_);
    if (!file) return std::move(file).error().context("--forward-rules");
    const FileId id = identity(file->second);
    if (previous == nullptr || id != previous->rules_id) {
      auto decoded = forward::decode_rule_file(file->first, rules_path_);
      if (!decoded) return std::move(decoded).error().context("--forward-rules");
      next->rules =
          std::make_shared<const RulesReading>(forward::RuleHistory(std::move(decoded->versions)));
      next->rules_id = id;
    }
  }
  if (!sessions_path_.empty()) {
    auto file = read_file(sessions_path_);
    if (!file) return std::move(file).error().context("--mirror-sessions");
    const FileId id = identity(file->second);
    if (previous == nullptr || id != previous->sessions_id) {
      auto decoded = forward::decode_session_file(file->first, sessions_path_);
      if (!decoded) return std::move(decoded).error().context("--mirror-sessions");
      next->sessions = std::make_shared<const forward::SessionHistory>(std::move(*decoded));
      next->sessions_id = id;
    }
  }
  return std::unique_ptr<const State>(std::move(next));
}

base::Result<std::shared_ptr<const CloudAnnotator>> CloudAnnotator::load(
    const std::string& forward_rules_path, const std::string& mirror_sessions_path) {
  std::shared_ptr<CloudAnnotator> a(new CloudAnnotator(forward_rules_path, mirror_sessions_path));
  const int64_t now = base::now_realtime_ns();
  auto state = a->read(nullptr);
  if (!state) return std::move(state).error();
  a->states_.push_back(std::move(*state));
  a->current_.store(a->states_.back().get(), std::memory_order_relaxed);
  a->checked_ns_.store(now, std::memory_order_relaxed);
  a->last_look_mono_ns_ = base::now_monotonic_ns();
  return std::shared_ptr<const CloudAnnotator>(std::move(a));
}

const CloudAnnotator::State* CloudAnnotator::state_for(int64_t ts_ns) const {
  // acquire: pairs with the release stores below; the reading is at least as new as the look.
  if (ts_ns < checked_ns_.load(std::memory_order_acquire)) {
    return current_.load(std::memory_order_acquire);
  }
  std::lock_guard lock(reload_mu_);
  const State* current = current_.load(std::memory_order_relaxed);
  if (ts_ns < checked_ns_.load(std::memory_order_relaxed)) return current;
  const int64_t mono = base::now_monotonic_ns();
  if (mono - last_look_mono_ns_ < kMinLookIntervalNs) return current;
  last_look_mono_ns_ = mono;
  // Noted before reading: whatever the file says then covers every change made before now.
  const int64_t now = base::now_realtime_ns();
  auto next = read(current);
  // A file that vanished or cannot be read now (it was good at start) keeps the last reading.
  if (next && ((*next)->rules != current->rules || (*next)->sessions != current->sessions)) {
    states_.push_back(std::move(*next));
    current = states_.back().get();
    current_.store(current, std::memory_order_release);
    reloads_.fetch_add(1, std::memory_order_relaxed);
  }
  if (next) checked_ns_.store(now, std::memory_order_release);
  return current;
}

void CloudAnnotator::write_ecs_rule(DocumentWriter& w, const FlowRecord& record) const {
  if (rules_path_.empty()) return;
  const State* state = state_for(record.counters.first_ts_ns);
  // An unattributed flow has no members (an empty view, possibly without data: no memcpy).
  if (const std::string_view m = members(state->rules.get(), record, false); !m.empty()) w.text(m);
}

std::string_view CloudAnnotator::mirror_session(const FlowRecord& record) const {
  if (sessions_path_.empty() || !is_mirror_tunnel(record.key)) return {};
  const forward::SessionHistory* sessions = state_for(record.counters.first_ts_ns)->sessions.get();
  return sessions ? sessions->name(record.key.tunnel_id, record.counters.first_ts_ns)
                  : std::string_view();
}

void CloudAnnotator::write_fmadio(DocumentWriter& w, const FlowRecord& record) const {
  if (!rules_path_.empty()) {
    const State* state = state_for(record.counters.first_ts_ns);
    if (const std::string_view m = members(state->rules.get(), record, true); !m.empty()) {
      w.text(m);
    }
  }
  if (const std::string_view session = mirror_session(record); !session.empty()) {
    w.lit(",\"MirrorSession\":");
    w.plain_string(session);
  }
}

}  // namespace snapflow::pcap2json
