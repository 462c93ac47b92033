#include "snapflow/ring/cursor.h"

#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>

#include "file_util.h"

namespace snapflow::ring {
namespace {

constexpr std::string_view kCursorMagic = "snapflow-cursor 1";

base::Error bad_name(std::string_view name) {
  return base::make_error(base::ErrorCode::kInvalidArgument,
                          "invalid name '" + std::string(name) +
                              "': use 1-64 characters of A-Z a-z 0-9 _ . - not starting with '.'");
}

// Parses "key=value" numeric fields of a small text file into the given slots.
template <typename T>
bool parse_field(std::string_view text, std::string_view key, T& out) {
  const std::string needle = "\n" + std::string(key) + "=";
  const size_t at = text.find(needle);
  if (at == std::string_view::npos) return false;
  const char* begin = text.data() + at + needle.size();
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr != end && *ptr == '\n';
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

base::Result<Cursor> decode_cursor(std::string_view text) {
  Cursor c;
  RingPosition& p = c.position;
  const bool ok =
      text.substr(0, kCursorMagic.size()) == kCursorMagic &&
      parse_field(text, "segment_seq", p.segment_seq) && parse_field(text, "offset", p.offset) &&
      parse_field(text, "packets", p.packets) && parse_field(text, "wire_bytes", p.wire_bytes) &&
      parse_field(text, "record_bytes", p.record_bytes) &&
      parse_field(text, "last_ts_ns", c.last_ts_ns);
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

base::Result<std::optional<Cursor>> CursorStore::load(std::string_view name) const {
  if (!is_valid_name(name)) return bad_name(name);
  const std::string path = dir_ + "/" + std::string(name);
  auto text = read_small_file(path, 4096);
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
