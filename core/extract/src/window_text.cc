#include "window_text.h"

#include "snapflow/filter/time_text.h"

namespace snapflow::extract {

base::Error invalid_request(std::string message) {
  return base::make_error(base::ErrorCode::kInvalidArgument, std::move(message));
}

base::Result<WindowTimes> parse_window_times(std::optional<std::string_view> start,
                                             std::optional<std::string_view> stop) {
  WindowTimes w;
  if (start) {
    auto t = filter::parse_time_ns(*start);
    if (!t.ok()) return invalid_request("Start: " + t.error().message());
    w.start_ns = *t;
  }
  if (stop) {
    auto t = filter::parse_time_ns(*stop);
    if (!t.ok()) return invalid_request("Stop: " + t.error().message());
    w.stop_ns = *t;
  }
  if (w.start_ns && w.stop_ns && *w.stop_ns <= *w.start_ns) {
    return invalid_request("Stop must be after Start (Start=" + std::to_string(*w.start_ns) +
                           ", Stop=" + std::to_string(*w.stop_ns) + ")");
  }
  return w;
}

}  // namespace snapflow::extract
