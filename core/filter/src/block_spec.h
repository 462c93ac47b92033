// The table of filter fields and the parsers of their values. Private to the filter unit.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "snapflow/filter/program.h"

namespace snapflow::filter::detail {

enum class ValueKind : uint8_t { kNumber, kTime, kMac, kIpv4, kIpv6 };

struct NamedValue {
  std::string_view name;
  int64_t value;
};

struct FieldSpec {
  std::string_view name;
  Field field;
  ValueKind kind;
  bool directional;  ///< takes .src / .dst
  bool inner_ok;     ///< takes the inner. prefix
  int64_t max;       ///< largest number (kNumber)
  std::span<const NamedValue> names;
};

// A field reference after prefix/suffix handling: "inner.tcp.port.src" -> tcp.port, inner, src.
struct FieldRef {
  const FieldSpec* spec = nullptr;
  Layer layer = Layer::kOuter;
  Direction direction = Direction::kEither;
};

// Resolves a field word. On failure returns false and sets *why (what is wrong with it).
bool resolve_field(std::string_view word, FieldRef& out, std::string* why);

// The table row of a field (never null for a Field the parser produced).
const FieldSpec* spec_of(Field field);

// The name the grammar gives a number of a field (`tunnel.type` 1 -> "vxlan"); empty when it
// has none. Printing and links use it, so they only ever write names the parser accepts.
std::string_view value_name(Field field, int64_t value);

// Space-separated list of the field names, for error messages.
std::string_view field_names();

// Parses one alternative (no list separators inside) of the given field into out. On failure
// returns false and sets *why. ordered: the block uses < <= > >= (a single plain value).
bool parse_value(const FieldSpec& spec, std::string_view text, bool ordered, FilterValue& out,
                 std::string* why);

}  // namespace snapflow::filter::detail
