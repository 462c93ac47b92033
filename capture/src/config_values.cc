#include "config_values.h"

#include <string>

namespace snapflow::capture {

base::Error bad_setting(std::string_view key, std::string_view value, std::string_view why) {
  return base::make_error(
      base::ErrorCode::kInvalidArgument,
      "--" + std::string(key) + "=" + std::string(value) + ": " + std::string(why));
}

base::Status set_uint32(std::string_view key, std::string_view value, uint32_t& out) {
  if (!parse_setting_uint(value, out)) {
    return bad_setting(key, value, "expected an unsigned integer");
  }
  return {};
}

base::Status set_size(std::string_view key, std::string_view value, uint64_t& out) {
  auto size = base::parse_size_bytes(value);
  if (!size) return bad_setting(key, value, size.error().message());
  out = *size;
  return {};
}

base::Status set_size32(std::string_view key, std::string_view value, uint32_t& out) {
  uint64_t size = 0;
  if (auto st = set_size(key, value, size); !st.ok()) return st;
  if (size > UINT32_MAX) return bad_setting(key, value, "too large");
  out = static_cast<uint32_t>(size);
  return {};
}

base::Status set_bool(std::string_view key, std::string_view value, bool& out) {
  if (value == "true" || value == "1" || value == "yes" || value == "on") {
    out = true;
  } else if (value == "false" || value == "0" || value == "no" || value == "off") {
    out = false;
  } else {
    return bad_setting(key, value, "expected true or false");
  }
  return {};
}

}  // namespace snapflow::capture
