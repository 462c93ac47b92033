// DeadLetterFile: documents the cluster rejected for good, one JSON line each, with the
// server's status, error type and reason, so nothing is dropped silently and a person can fix
// and reload them. The file is opened on first use (no empty file when nothing is rejected)
// and flushed after every write so a crash cannot lose the record.
//
// Line: {"time":"…","status":400,"type":"…","reason":"…","action":"<action line>","source":"<source
// line>"} (action and source as JSON strings, because a rejected source may not even be valid
// JSON).
#pragma once

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::indexer {

class DeadLetterFile {
 public:
  explicit DeadLetterFile(std::string path) : path_(std::move(path)) {}
  ~DeadLetterFile();
  DeadLetterFile(const DeadLetterFile&) = delete;
  DeadLetterFile& operator=(const DeadLetterFile&) = delete;

  // document is the bulk-form bytes of one document (action line + source line). Thread-safe.
  base::Status write(std::string_view document, int status, std::string_view type,
                     std::string_view reason);
  uint64_t count() const;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  mutable std::mutex mu_;
  std::FILE* file_ = nullptr;
  uint64_t count_ = 0;
};

// Appends s to out as a JSON string literal (quotes included), escaping as RFC 8259 requires.
void append_json_string(std::string& out, std::string_view s);

}  // namespace snapflow::indexer
