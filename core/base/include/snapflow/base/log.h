// Minimal leveled logging to stderr, owned by whoever constructs it (no global logger).
// One line per message, prefixed with the program name and level; never logs secrets: callers
// pass redacted URLs (see indexer's redact_url) and never raw credentials.
#pragma once

#include <cstdio>
#include <string>
#include <string_view>

namespace snapflow::base {

enum class LogLevel { kDebug, kInfo, kWarning, kError };

class Logger {
 public:
  explicit Logger(std::string program, LogLevel min_level = LogLevel::kInfo,
                  std::FILE* out = stderr)
      : program_(std::move(program)), min_level_(min_level), out_(out) {}

  bool enabled(LogLevel level) const { return level >= min_level_; }
  void log(LogLevel level, std::string_view message) const;
  void debug(std::string_view m) const { log(LogLevel::kDebug, m); }
  void info(std::string_view m) const { log(LogLevel::kInfo, m); }
  void warning(std::string_view m) const { log(LogLevel::kWarning, m); }
  void error(std::string_view m) const { log(LogLevel::kError, m); }

 private:
  std::string program_;
  LogLevel min_level_;
  std::FILE* out_;
};

}  // namespace snapflow::base
