// Durable-then-visible small files for the forwarder's state (STYLE.md 19), the same protocol
// as core/ring's cursors and catalog: write DIR/.NAME.tmp, fsync it, rename over DIR/NAME,
// fsync DIR. A reader (or the daemon after a crash) sees the old or the new content, never a
// mix. Private to snapflow::forward.
#pragma once

#include <string>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::forward {

base::Status write_file_atomic(const std::string& dir, const std::string& name,
                               std::string_view content);
// The whole file; kNotFound when it does not exist, kFormat when larger than max_bytes.
base::Result<std::string> read_small_file(const std::string& path, size_t max_bytes);
// mkdir -p with mode 0700 for the parts it creates.
base::Status make_dirs(const std::string& dir);

}  // namespace snapflow::forward
