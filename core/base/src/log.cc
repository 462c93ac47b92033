#include "snapflow/base/log.h"

#include <string>

#include "snapflow/base/time.h"

namespace snapflow::base {

void Logger::log(LogLevel level, std::string_view message) const {
  if (!enabled(level)) return;
  static constexpr std::string_view kNames[] = {"debug", "info", "warning", "error"};
  std::string line;
  line.reserve(message.size() + program_.size() + 48);
  line.append(format_rfc3339_ns(now_realtime_ns()))
      .append(" ")
      .append(program_)
      .append(" ")
      .append(kNames[static_cast<int>(level)])
      .append(": ")
      .append(message)
      .append("\n");
  // One fwrite per line keeps lines from concurrent threads whole (stdio locks the stream).
  std::fwrite(line.data(), 1, line.size(), out_);
}

}  // namespace snapflow::base
