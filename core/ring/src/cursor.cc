#include "snapflow/ring/cursor.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>

#include "file_util.h"
#include "key_value_text.h"

namespace snapflow::ring {
namespace {

constexpr std::string_view kCursorMagic = "snapflow-cursor 1";
// Room for the position, the names and a few thousand pending part starts.
constexpr size_t kMaxCursorFileBytes = 256 * 1024;

base::Error bad_name(std::string_view name) {
  return base::make_error(base::ErrorCode::kInvalidArgument,
                          "invalid name '" + std::string(name) +
                              "': use 1-64 characters of A-Z a-z 0-9 _ . - not starting with '.'");
}

// Names may hold any byte (observer names come from the command line): stored as hex.
std::string to_hex(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(text.size() * 2);
  for (unsigned char c : text) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 15]);
  }
  return out;
}

bool from_hex(std::string_view hex, std::string& out) {
  if (hex.size() % 2 != 0) return false;
  out.clear();
  auto digit = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  for (size_t i = 0; i < hex.size(); i += 2) {
    const int hi = digit(hex[i]);
    const int lo = digit(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

}  // namespace

bool is_valid_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name.front() == '.') return false;
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string encode_cursor(const Cursor& c) {
  const RingPosition& p = c.position;
  return std::string(kCursorMagic) + "\nsegment_seq=" + std::to_string(p.segment_seq) +
         "\noffset=" + std::to_string(p.offset) + "\npackets=" + std::to_string(p.packets) +
         "\nwire_bytes=" + std::to_string(p.wire_bytes) +
         "\nrecord_bytes=" + std::to_string(p.record_bytes) +
         "\nlast_ts_ns=" + std::to_string(c.last_ts_ns) + "\n";
}

std::string encode_consumer_state(const ConsumerState& state) {
  std::string text = encode_cursor(state.cursor);
  if (!state.observer.empty()) text += "observer_hex=" + to_hex(state.observer) + "\n";
  if (!state.capture.empty()) text += "capture_hex=" + to_hex(state.capture) + "\n";
  if (!state.cursor_mode.empty()) text += "cursor_mode_hex=" + to_hex(state.cursor_mode) + "\n";
  for (const PartStart& start : state.part_starts) {
    text += "part_start=" + std::to_string(start.record);
    if (!start.mode.empty()) text += " " + to_hex(start.mode);
    text += "\n";
  }
  if (state.decided_through != 0) {
    text += "decided_through=" + std::to_string(state.decided_through) + "\n";
  }
  for (const auto& [name, value] : state.counters) {
    text += "counter." + name + "=" + std::to_string(value) + "\n";
  }
  return text;
}

base::Result<ConsumerState> decode_consumer_state(std::string_view text) {
  auto cursor = decode_cursor(text);
  if (!cursor.ok()) return std::move(cursor).error();
  ConsumerState state;
  state.cursor = *cursor;
  const auto bad = [] {
    return base::make_error(base::ErrorCode::kFormat, "malformed consumer fields in cursor file");
  };
  const auto number = [](std::string_view value, uint64_t& out) {
    return parse_whole_number(value, out);
  };
  KeyValueLines lines(text);
  std::string_view key;
  std::string_view value;
  while (lines.next(key, value)) {
    if (key == "observer_hex") {
      if (!from_hex(value, state.observer)) return bad();
    } else if (key == "capture_hex") {
      if (!from_hex(value, state.capture)) return bad();
    } else if (key == "cursor_mode_hex") {
      if (!from_hex(value, state.cursor_mode)) return bad();
    } else if (key == "part_start") {
      PartStart start;
      const size_t space = value.find(' ');
      if (!number(value.substr(0, space), start.record)) return bad();
      if (space != std::string_view::npos && !from_hex(value.substr(space + 1), start.mode)) {
        return bad();
      }
      if (!state.part_starts.empty() && start.record <= state.part_starts.back().record) {
        return bad();
      }
      state.part_starts.push_back(std::move(start));
    } else if (key == "decided_through") {
      if (!number(value, state.decided_through)) return bad();
    } else if (key.substr(0, 8) == "counter.") {
      uint64_t v = 0;
      if (key.size() == 8 || !number(value, v)) return bad();
      state.counters[std::string(key.substr(8))] = v;
    }
  }
  return state;
}

base::Result<Cursor> decode_cursor(std::string_view text) {
  Cursor c;
  RingPosition& p = c.position;
  const bool ok = text.substr(0, kCursorMagic.size()) == kCursorMagic &&
                  find_number_field(text, "segment_seq", p.segment_seq) &&
                  find_number_field(text, "offset", p.offset) &&
                  find_number_field(text, "packets", p.packets) &&
                  find_number_field(text, "wire_bytes", p.wire_bytes) &&
                  find_number_field(text, "record_bytes", p.record_bytes) &&
                  find_number_field(text, "last_ts_ns", c.last_ts_ns);
  if (!ok) return base::make_error(base::ErrorCode::kFormat, "malformed cursor file");
  return c;
}

CursorStore::CursorStore(std::string ring_dir) : dir_(std::move(ring_dir) + "/cursors") {}

base::Status CursorStore::save(std::string_view name, const Cursor& cursor) const {
  if (!is_valid_name(name)) return bad_name(name);
  SNAPFLOW_TRY_STATUS(make_dir(dir_), "save cursor");
  SNAPFLOW_TRY_STATUS(write_file_atomic(dir_, std::string(name), encode_cursor(cursor)),
                      "save cursor " + std::string(name));
  return base::ok_status();
}

base::Status CursorStore::save(std::string_view name, const ConsumerState& state) const {
  if (!is_valid_name(name)) return bad_name(name);
  SNAPFLOW_TRY_STATUS(make_dir(dir_), "save cursor");
  SNAPFLOW_TRY_STATUS(write_file_atomic(dir_, std::string(name), encode_consumer_state(state)),
                      "save cursor " + std::string(name));
  return base::ok_status();
}

base::Result<std::optional<ConsumerState>> CursorStore::load_state(std::string_view name) const {
  if (!is_valid_name(name)) return bad_name(name);
  const std::string path = dir_ + "/" + std::string(name);
  auto text = read_small_file(path, kMaxCursorFileBytes);
  if (!text.ok()) {
    if (text.error().code() == base::ErrorCode::kNotFound) return std::optional<ConsumerState>();
    return std::move(text).error().context("load cursor");
  }
  auto state = decode_consumer_state(*text);
  if (!state.ok()) return std::move(state).error().context(path);
  return std::optional<ConsumerState>(std::move(*state));
}

base::Result<std::optional<Cursor>> CursorStore::load(std::string_view name) const {
  if (!is_valid_name(name)) return bad_name(name);
  const std::string path = dir_ + "/" + std::string(name);
  auto text = read_small_file(path, kMaxCursorFileBytes);
  if (!text.ok()) {
    if (text.error().code() == base::ErrorCode::kNotFound) return std::optional<Cursor>();
    return std::move(text).error().context("load cursor");
  }
  auto c = decode_cursor(*text);
  if (!c.ok()) return std::move(c).error().context(path);
  return std::optional<Cursor>(*c);
}

base::Result<std::vector<std::pair<std::string, Cursor>>> CursorStore::list() const {
  std::vector<std::pair<std::string, Cursor>> out;
  DIR* d = ::opendir(dir_.c_str());
  if (d == nullptr) {
    if (errno == ENOENT) return out;
    return io_error("list cursors in", dir_);
  }
  std::vector<std::string> names;
  while (const dirent* e = ::readdir(d)) {
    if (is_valid_name(e->d_name)) names.emplace_back(e->d_name);
  }
  ::closedir(d);
  for (const auto& name : names) {
    auto c = load(name);
    if (!c.ok()) return std::move(c).error();
    if (c->has_value()) out.emplace_back(name, **c);  // removed meanwhile: skip
  }
  return out;
}

base::Status CursorStore::remove(std::string_view name) const {
  if (!is_valid_name(name)) return bad_name(name);
  const std::string path = dir_ + "/" + std::string(name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return io_error("remove cursor", path);
  return fsync_dir(dir_);
}

}  // namespace snapflow::ring
