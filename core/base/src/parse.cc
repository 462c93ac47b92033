#include "snapflow/base/parse.h"

#include <charconv>
#include <string>
#include <type_traits>

#include "snapflow/base/time.h"

namespace snapflow::base {
namespace {

Error invalid(std::string message) {
  return make_error(ErrorCode::kInvalidArgument, std::move(message));
}

std::string quoted(std::string_view text) {
  return "'" + std::string(text) + "'";
}

// All of text as digits (from_chars alone would accept a prefix, or a leading '-' for ints).
template <typename T>
bool whole(std::string_view text, T& out) {
  if (text.empty() || text.front() == '+' || (text.front() == '-' && std::is_unsigned_v<T>)) {
    return false;
  }
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

bool equals_ignoring_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

Result<uint64_t> parse_uint(std::string_view text) {
  uint64_t value = 0;
  if (!whole(text, value)) return invalid("expected a whole number, got " + quoted(text));
  return value;
}

Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max) {
  uint64_t value = 0;
  if (!whole(text, value) || value < min || value > max) {
    return invalid("expected a whole number from " + std::to_string(min) + " to " +
                   std::to_string(max) + ", got " + quoted(text));
  }
  return value;
}

Result<int64_t> parse_int(std::string_view text) {
  int64_t value = 0;
  if (!whole(text, value)) return invalid("expected an integer, got " + quoted(text));
  return value;
}

Result<uint64_t> parse_size_bytes(std::string_view text) {
  // Split the digits from the unit, then match the unit against the one accepted set.
  size_t digits = 0;
  while (digits < text.size() && text[digits] >= '0' && text[digits] <= '9') ++digits;
  const std::string_view unit = text.substr(digits);
  uint64_t multiplier = 0;
  if (unit.empty() || equals_ignoring_case(unit, "b")) {
    multiplier = 1;
  } else {
    static constexpr std::string_view kPrefixes = "kmgt";
    const char first = unit.front() >= 'A' && unit.front() <= 'Z'
                           ? static_cast<char>(unit.front() + 32)
                           : unit.front();
    const size_t power = kPrefixes.find(first);
    const std::string_view rest = unit.substr(1);
    if (power != std::string_view::npos &&
        (rest.empty() || equals_ignoring_case(rest, "b") || equals_ignoring_case(rest, "ib"))) {
      multiplier = uint64_t{1} << (10 * (power + 1));
    }
  }
  uint64_t n = 0;
  if (multiplier == 0 || !whole(text.substr(0, digits), n)) {
    return invalid("expected a size such as 4096, 512K, 64M, 1G, got " + quoted(text));
  }
  if (n > UINT64_MAX / multiplier) return invalid("size " + quoted(text) + " overflows");
  return n * multiplier;
}

Result<int64_t> parse_duration_ns(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return invalid("duration '" + std::string(text) + "': " + std::string(why));
  };
  if (text.empty()) return bad("empty");
  uint64_t number = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, number);
  if (ec == std::errc::result_out_of_range) return bad("too large");
  if (ec != std::errc() || ptr == text.data()) return bad("expected a number, e.g. 100ms");
  const std::string_view unit(ptr, static_cast<size_t>(end - ptr));
  int64_t scale = 0;
  if (unit.empty() || unit == "ns")
    scale = 1;
  else if (unit == "us")
    scale = kNsPerUs;
  else if (unit == "ms")
    scale = kNsPerMs;
  else if (unit == "s")
    scale = kNsPerSec;
  else if (unit == "m" || unit == "min")
    scale = 60 * kNsPerSec;
  else if (unit == "h")
    scale = 3600 * kNsPerSec;
  else if (unit == "d")
    scale = 86400 * kNsPerSec;
  else
    return bad("unknown unit '" + std::string(unit) + "' (ns, us, ms, s, m, h, d)");
  int64_t result = 0;
  if (number > static_cast<uint64_t>(INT64_MAX) ||
      __builtin_mul_overflow(static_cast<int64_t>(number), scale, &result)) {
    return bad("too large");
  }
  return result;
}

}  // namespace snapflow::base
