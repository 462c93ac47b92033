// Parsing of one `--key=value` setting into a CaptureConfig field, shared by the files that own
// groups of keys (config.cc, config_api.cc, config_cloud.cc): one wording for every error.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>

#include "snapflow/base/parse.h"
#include "snapflow/base/result.h"

namespace snapflow::capture {

// "--key=value: why", as an invalid-argument error.
base::Error bad_setting(std::string_view key, std::string_view value, std::string_view why);

// Whole numbers through the shared parser (snapflow/base/parse.h), into the setting's type.
template <typename T>
bool parse_setting_uint(std::string_view text, T& out) {
  auto value = base::parse_uint(text, 0, std::numeric_limits<T>::max());
  if (!value.ok()) return false;
  out = static_cast<T>(*value);
  return true;
}

base::Status set_uint32(std::string_view key, std::string_view value, uint32_t& out);
// A byte size with an optional K/M/G/T suffix (powers of 1024).
base::Status set_size(std::string_view key, std::string_view value, uint64_t& out);
// The same, at most UINT32_MAX.
base::Status set_size32(std::string_view key, std::string_view value, uint32_t& out);
// true/1/yes/on or false/0/no/off.
base::Status set_bool(std::string_view key, std::string_view value, bool& out);

}  // namespace snapflow::capture
