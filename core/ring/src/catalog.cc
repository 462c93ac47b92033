#include "snapflow/ring/catalog.h"

#include "file_util.h"
#include "key_value_text.h"
#include "snapflow/ring/cursor.h"

namespace snapflow::ring {
namespace {

constexpr std::string_view kCatalogMagic = "snapflow-catalog 1";
constexpr std::string_view kCatalogName = "catalog";
constexpr size_t kFieldsPerLine = 14;  // name active start_ns stop_ns + 2 x 5 position fields

void append_position(std::string& out, const RingPosition& p) {
  out += ' ' + std::to_string(p.segment_seq) + ' ' + std::to_string(p.offset) + ' ' +
         std::to_string(p.packets) + ' ' + std::to_string(p.wire_bytes) + ' ' +
         std::to_string(p.record_bytes);
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> out;
  size_t pos = 0;
  while (pos < line.size()) {
    size_t sp = line.find(' ', pos);
    if (sp == std::string_view::npos) sp = line.size();
    out.push_back(line.substr(pos, sp - pos));
    pos = sp + 1;
  }
  return out;
}

bool to_position(const std::vector<std::string_view>& f, size_t at, RingPosition& p) {
  return parse_whole_number(f[at], p.segment_seq) && parse_whole_number(f[at + 1], p.offset) &&
         parse_whole_number(f[at + 2], p.packets) && parse_whole_number(f[at + 3], p.wire_bytes) &&
         parse_whole_number(f[at + 4], p.record_bytes);
}

bool after(const RingPosition& p, const RingPosition& head) {
  return p.packets > head.packets;
}

}  // namespace

// One line per capture: name active start_ns stop_ns start(5 numbers) stop(5 numbers).
std::string encode_catalog(const std::vector<CaptureEntry>& entries) {
  std::string out(kCatalogMagic);
  out += '\n';
  for (const auto& e : entries) {
    out += e.name + ' ' + (e.active ? "1" : "0") + ' ' + std::to_string(e.start_ns) + ' ' +
           std::to_string(e.stop_ns);
    append_position(out, e.start);
    append_position(out, e.stop);
    out += '\n';
  }
  return out;
}

base::Result<std::vector<CaptureEntry>> decode_catalog(std::string_view text) {
  auto bad = [](std::string why) {
    return base::make_error(base::ErrorCode::kFormat, "catalog: " + why);
  };
  if (text.substr(0, kCatalogMagic.size()) != kCatalogMagic ||
      text.size() == kCatalogMagic.size() || text[kCatalogMagic.size()] != '\n') {
    return bad("bad magic");
  }
  std::vector<CaptureEntry> out;
  size_t pos = kCatalogMagic.size() + 1;
  size_t line_no = 1;
  while (pos < text.size()) {
    ++line_no;
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) return bad("line " + std::to_string(line_no) + " torn");
    const auto f = split_spaces(text.substr(pos, eol - pos));
    pos = eol + 1;
    CaptureEntry e;
    int active = 0;
    if (f.size() != kFieldsPerLine || !is_valid_name(f[0]) || !parse_whole_number(f[1], active) ||
        !parse_whole_number(f[2], e.start_ns) || !parse_whole_number(f[3], e.stop_ns) ||
        !to_position(f, 4, e.start) || !to_position(f, 9, e.stop)) {
      return bad("line " + std::to_string(line_no) + " malformed");
    }
    e.name = std::string(f[0]);
    e.active = active != 0;
    out.push_back(std::move(e));
  }
  return out;
}

base::Result<CaptureCatalog> CaptureCatalog::open(const std::string& ring_dir) {
  CaptureCatalog catalog(ring_dir);
  auto text = read_small_file(ring_dir + "/" + std::string(kCatalogName), 64 << 20);
  if (!text.ok()) {
    if (text.error().code() == base::ErrorCode::kNotFound) return catalog;
    return std::move(text).error().context("open catalog");
  }
  auto entries = decode_catalog(*text);
  if (!entries.ok()) return std::move(entries).error().context(ring_dir);
  catalog.entries_ = std::move(*entries);
  return catalog;
}

base::Status CaptureCatalog::persist() const {
  return write_file_atomic(dir_, std::string(kCatalogName), encode_catalog(entries_));
}

const CaptureEntry* CaptureCatalog::find(std::string_view name) const {
  for (const auto& e : entries_) {
    if (e.name == name) return &e;
  }
  return nullptr;
}

const CaptureEntry* CaptureCatalog::active() const {
  for (const auto& e : entries_) {
    if (e.active) return &e;
  }
  return nullptr;
}

base::Status CaptureCatalog::start(std::string_view name, const RingPosition& at, int64_t ts_ns) {
  if (!is_valid_name(name)) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "capture name '" + std::string(name) + "' is not valid");
  }
  if (find(name) != nullptr) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "capture '" + std::string(name) + "' already exists");
  }
  if (const CaptureEntry* a = active()) {
    return base::make_error(base::ErrorCode::kInvalidArgument,
                            "capture '" + a->name + "' is still active");
  }
  CaptureEntry e;
  e.name = std::string(name);
  e.active = true;
  e.start = at;
  e.stop = at;
  e.start_ns = ts_ns;
  entries_.push_back(e);
  auto s = persist();
  if (!s.ok()) {
    entries_.pop_back();
    return std::move(s).error().context("start capture");
  }
  return s;
}

base::Status CaptureCatalog::stop(const RingPosition& at, int64_t ts_ns) {
  for (auto& e : entries_) {
    if (!e.active) continue;
    const CaptureEntry before = e;
    e.active = false;
    e.stop = after(e.start, at) ? e.start : at;
    e.stop_ns = ts_ns;
    auto s = persist();
    if (!s.ok()) {
      e = before;
      return std::move(s).error().context("stop capture");
    }
    return s;
  }
  return base::make_error(base::ErrorCode::kNotFound, "no capture is active");
}

base::Status CaptureCatalog::remove(std::string_view name) {
  const size_t removed = std::erase_if(entries_, [&](const auto& e) { return e.name == name; });
  if (removed == 0) {
    return base::make_error(base::ErrorCode::kNotFound,
                            "capture '" + std::string(name) + "' does not exist");
  }
  return persist();
}

base::Result<size_t> CaptureCatalog::clamp_to(const RingPosition& head, int64_t head_ts_ns) {
  size_t changed = 0;
  for (auto& e : entries_) {
    const CaptureEntry before = e;
    if (after(e.start, head)) e.start = head;
    if (e.active) {
      e.active = false;
      e.stop = head;
      e.stop_ns = head_ts_ns > e.start_ns ? head_ts_ns : e.start_ns;
    } else if (after(e.stop, head)) {
      e.stop = head;
    }
    changed += !(e == before);
  }
  if (changed > 0) SNAPFLOW_TRY_STATUS(persist(), "fix catalog");
  return changed;
}

}  // namespace snapflow::ring
