// The Start/Stop parameters every retrieval request shares (downloads, split views, the
// bandwidth series): one parser, one wording of their errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::extract {

base::Error invalid_request(std::string message);

struct WindowTimes {
  std::optional<int64_t> start_ns;
  std::optional<int64_t> stop_ns;
};

// Parses the optional Start and Stop (epoch ns, fmadio's ULL suffix or RFC 3339; see
// filter/time_text.h); when both are given, Stop must be after Start.
base::Result<WindowTimes> parse_window_times(std::optional<std::string_view> start,
                                             std::optional<std::string_view> stop);

}  // namespace snapflow::extract
