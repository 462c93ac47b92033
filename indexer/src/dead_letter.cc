#include "snapflow/indexer/dead_letter.h"

#include <cerrno>
#include <cstring>

#include "snapflow/base/time.h"

namespace snapflow::indexer {

void append_json_string(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.push_back('"');
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20) {
          out += "\\u00";
          out.push_back(kHex[c >> 4]);
          out.push_back(kHex[c & 15]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

DeadLetterFile::~DeadLetterFile() {
  if (file_ != nullptr) std::fclose(file_);
}

base::Status DeadLetterFile::write(std::string_view document, int status, std::string_view type,
                                   std::string_view reason) {
  // Split the bulk-form document into its action and source lines.
  std::string_view action = document, source;
  if (const size_t nl = document.find('\n'); nl != std::string_view::npos) {
    action = document.substr(0, nl);
    source = document.substr(nl + 1);
    if (!source.empty() && source.back() == '\n') source.remove_suffix(1);
  }
  std::string line;
  line.reserve(document.size() + reason.size() + 128);
  line += "{\"time\":\"";
  line += base::format_rfc3339_ns(base::now_realtime_ns());
  line += "\",\"status\":";
  line += std::to_string(status);
  line += ",\"type\":";
  append_json_string(line, type);
  line += ",\"reason\":";
  append_json_string(line, reason);
  line += ",\"action\":";
  append_json_string(line, action);
  line += ",\"source\":";
  append_json_string(line, source);
  line += "}\n";

  std::lock_guard lock(mu_);
  if (file_ == nullptr) {
    file_ = std::fopen(path_.c_str(), "ae");
    if (file_ == nullptr) {
      return base::make_error(base::ErrorCode::kIo,
                              "open dead-letter file " + path_ + ": " + std::strerror(errno));
    }
  }
  if (std::fwrite(line.data(), 1, line.size(), file_) != line.size() || std::fflush(file_) != 0) {
    return base::make_error(base::ErrorCode::kIo,
                            "write dead-letter file " + path_ + ": " + std::strerror(errno));
  }
  ++count_;
  return base::ok_status();
}

uint64_t DeadLetterFile::count() const {
  std::lock_guard lock(mu_);
  return count_;
}

}  // namespace snapflow::indexer
