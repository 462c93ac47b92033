#include "snapflow/forward/rule_history.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <limits>
#include <tuple>

#include "durable_file.h"

namespace snapflow::forward {

using base::ErrorCode;
using base::make_error;

namespace {

constexpr std::string_view kMagic = "snapflow-forward-rules 1";

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> out;
  while (!line.empty()) {
    const size_t sp = line.find(' ');
    out.push_back(line.substr(0, sp));
    if (sp == std::string_view::npos) break;
    line.remove_prefix(sp + 1);
  }
  return out;
}

template <typename T>
bool parse_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return !text.empty() && ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string encode_rule_file(const RuleFile& file) {
  std::string out(kMagic);
  out += "\nnext_id=" + std::to_string(file.next_id) + "\n";
  for (const RuleVersion& v : file.versions) {
    out += "rule " + std::to_string(v.id) + " " + to_string(v.spec.mode) + " " +
           to_string(v.spec.a) + " " + to_string(v.spec.capture) + " " + to_string(v.spec.egress) +
           " " + to_string(v.spec.b) + " " + std::to_string(v.from_ns) + " " +
           std::to_string(v.to_ns) + " " + (v.spec.name.empty() ? "-" : v.spec.name) + "\n";
  }
  return out;
}

base::Result<RuleFile> decode_rule_file(std::string_view text, std::string_view name) {
  RuleFile file;
  size_t line_number = 0;
  auto fail = [&](const std::string& why) {
    return make_error(ErrorCode::kFormat,
                      std::string(name) + ":" + std::to_string(line_number) + ": " + why);
  };
  bool seen_next = false;
  while (!text.empty()) {
    ++line_number;
    const size_t nl = text.find('\n');
    if (nl == std::string_view::npos) return fail("line does not end with a newline (torn write?)");
    std::string_view line = text.substr(0, nl);
    text.remove_prefix(nl + 1);
    if (line_number == 1) {
      if (line != kMagic)
        return fail("not a snapflow rules file (expected '" + std::string(kMagic) + "')");
      continue;
    }
    if (line.substr(0, 8) == "next_id=") {
      if (seen_next || !parse_number(line.substr(8), file.next_id) || file.next_id == 0) {
        return fail("bad next_id");
      }
      seen_next = true;
      continue;
    }
    const auto f = split_spaces(line);
    if (f.size() != 10 || f[0] != "rule") {
      return fail("expected 'rule ID MODE A CAPTURE EGRESS B FROM_NS TO_NS NAME'");
    }
    RuleVersion v;
    if (!parse_number(f[1], v.id) || v.id == 0)
      return fail("bad rule id '" + std::string(f[1]) + "'");
    auto mode = parse_capture_mode(f[2]);
    if (!mode) return fail(mode.error().message());
    v.spec.mode = *mode;
    IpAddr* addrs[] = {&v.spec.a, &v.spec.capture, &v.spec.egress, &v.spec.b};
    for (int i = 0; i < 4; ++i) {
      auto ip = parse_ip(f[3 + i]);
      if (!ip) return fail(ip.error().message());
      *addrs[i] = *ip;
    }
    if (v.spec.a.family != v.spec.capture.family || v.spec.a.family != v.spec.egress.family ||
        v.spec.a.family != v.spec.b.family) {
      return fail("rule " + std::to_string(v.id) + " mixes IPv4 and IPv6");
    }
    if (!parse_number(f[7], v.from_ns) || !parse_number(f[8], v.to_ns) || v.from_ns < 0 ||
        v.to_ns < 0 || (v.to_ns != 0 && v.to_ns < v.from_ns)) {
      return fail("bad time span");
    }
    if (f[9] != "-") {
      if (!is_valid_rule_name(f[9])) return fail("bad rule name");
      v.spec.name = f[9];
    }
    file.versions.push_back(std::move(v));
  }
  if (line_number == 0) return fail("empty file");
  if (!seen_next) return fail("missing next_id");
  for (size_t i = 0; i < file.versions.size(); ++i) {
    const RuleVersion& v = file.versions[i];
    if (v.id >= file.next_id) {
      return make_error(ErrorCode::kFormat, std::string(name) + ": rule " + std::to_string(v.id) +
                                                " is not below next_id");
    }
    for (size_t j = i + 1; j < file.versions.size(); ++j) {
      if (file.versions[j].id == v.id && v.is_open() && file.versions[j].is_open()) {
        return make_error(ErrorCode::kFormat, std::string(name) + ": rule " + std::to_string(v.id) +
                                                  " has two versions in force");
      }
    }
  }
  return file;
}

RuleHistory::PatternKey RuleHistory::key(const std::byte* src, const std::byte* dst, size_t n) {
  PatternKey k{};
  auto* bytes = reinterpret_cast<std::byte*>(k.data());
  std::memcpy(bytes, src, n);
  std::memcpy(bytes + n, dst, n);
  return k;
}

uint64_t RuleHistory::hash(const PatternKey& k, size_t n) {
  // murmur3's 64-bit finaliser over the words folded together: every bit of the key reaches
  // the low bits the table is indexed by (the addresses of many rules share most of their
  // bits). IPv4 pairs fill one word.
  uint64_t h = n == 4 ? k[0]
                      : k[0] ^ (k[1] * 0x9e3779b97f4a7c15ULL) ^ (k[2] * 0xbf58476d1ce4e5b9ULL) ^
                            (k[3] * 0x94d049bb133111ebULL);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

const RuleHistory::Slot* RuleHistory::find(const PatternKey& k, size_t n) const {
  if (slots_.empty()) return nullptr;
  for (size_t i = hash(k, n) & mask_;; i = (i + 1) & mask_) {
    const Slot& s = slots_[i];
    if (s.count == 0) return nullptr;
    // Word compares (no memcmp call): IPv4 pairs differ in the first word or not at all.
    if (s.key[0] == k[0] && s.address_bytes == n &&
        (n == 4 || ((s.key[1] ^ k[1]) | (s.key[2] ^ k[2]) | (s.key[3] ^ k[3])) == 0)) {
      return &s;
    }
  }
}

RuleHistory::RuleHistory(std::vector<RuleVersion> versions) : versions_(std::move(versions)) {
  struct Entry {
    PatternKey key;
    uint8_t address_bytes;
    Candidate candidate;
  };
  std::vector<Entry> entries;
  entries.reserve(versions_.size() * 6);
  for (uint32_t i = 0; i < versions_.size(); ++i) {
    const RuleSpec& s = versions_[i].spec;
    struct Pattern {
      const IpAddr& src;
      const IpAddr& dst;
      CaptureMode mode;
      Direction direction;
    };
    const Pattern patterns[] = {
        {s.a, s.capture, CaptureMode::kIngress, Direction::kAtoB},
        {s.b, s.egress, CaptureMode::kIngress, Direction::kBtoA},
        {s.egress, s.b, CaptureMode::kEgress, Direction::kAtoB},
        {s.capture, s.a, CaptureMode::kEgress, Direction::kBtoA},
        {s.a, s.b, CaptureMode::kInline, Direction::kAtoB},
        {s.b, s.a, CaptureMode::kInline, Direction::kBtoA},
    };
    for (const Pattern& p : patterns) {
      const size_t n = p.src.size();
      entries.push_back({key(reinterpret_cast<const std::byte*>(p.src.bytes.data()),
                             reinterpret_cast<const std::byte*>(p.dst.bytes.data()), n),
                         static_cast<uint8_t>(n),
                         {i, p.mode, p.direction}});
    }
  }
  // Group the candidates of each pattern (stable: versions keep their file order).
  std::stable_sort(entries.begin(), entries.end(), [](const Entry& x, const Entry& y) {
    return std::tie(x.address_bytes, x.key) < std::tie(y.address_bytes, y.key);
  });
  size_t size = 16;
  while (size < 2 * entries.size()) size *= 2;
  slots_.assign(size, Slot{});
  mask_ = size - 1;
  candidates_.reserve(entries.size());
  for (size_t i = 0; i < entries.size();) {
    size_t j = i;
    while (j < entries.size() && entries[j].key == entries[i].key &&
           entries[j].address_bytes == entries[i].address_bytes) {
      candidates_.push_back(entries[j++].candidate);
    }
    size_t at = hash(entries[i].key, entries[i].address_bytes) & mask_;
    while (slots_[at].count != 0) at = (at + 1) & mask_;
    Slot& slot = slots_[at];
    slot.key = entries[i].key;
    slot.address_bytes = entries[i].address_bytes;
    slot.first = static_cast<uint32_t>(candidates_.size() - (j - i));
    // A pattern's versions: at most one per rule id and change, and a file holds < 2^16.
    slot.count = static_cast<uint16_t>(std::min<size_t>(j - i, UINT16_MAX));
    i = j;
  }
}

base::Result<RuleHistory> RuleHistory::load(const std::string& state_dir) {
  auto history = load_file(state_dir + "/" + std::string(kRulesFileName));
  if (!history && history.error().code() == ErrorCode::kNotFound) return RuleHistory({});
  return history;
}

base::Result<RuleHistory> RuleHistory::load_file(const std::string& path) {
  auto text = read_small_file(path, 64 << 20);
  if (!text) return std::move(text).error();
  auto file = decode_rule_file(*text, path);
  if (!file) return std::move(file).error();
  return RuleHistory(std::move(file->versions));
}

std::optional<Attribution> RuleHistory::attribute(int64_t ts_ns, const std::byte* src,
                                                  const std::byte* dst, size_t n) const {
  const Slot* slot = find(key(src, dst, n), n);
  if (slot == nullptr) return std::nullopt;
  const Candidate* best = nullptr;
  int64_t best_distance = std::numeric_limits<int64_t>::max();
  for (uint32_t i = slot->first; i < slot->first + slot->count; ++i) {
    const Candidate& c = candidates_[i];
    const RuleVersion& v = versions_[c.version];
    // Saturating: a crafted capture may stamp packets anywhere in int64_t.
    int64_t distance = 0;
    if (ts_ns < v.from_ns) {
      if (__builtin_sub_overflow(v.from_ns, ts_ns, &distance)) distance = INT64_MAX;
    } else if (!v.is_open() && ts_ns >= v.to_ns) {
      if (__builtin_sub_overflow(ts_ns, v.to_ns, &distance)) distance = INT64_MAX - 1;
      distance = distance == INT64_MAX ? distance : distance + 1;
    }
    if (distance < best_distance) {
      best_distance = distance;
      best = &c;
    }
  }
  const RuleVersion& v = versions_[best->version];
  return Attribution{v.id, best->mode, best->direction, &v};
}

}  // namespace snapflow::forward
