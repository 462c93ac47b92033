// A one-line progress bar for snapflow-pcap extract on a terminal (stderr), redrawn at most
// ten times a second.
#pragma once

#include <cstdint>

#include "snapflow/extract/extract.h"

namespace snapflow::extract::cli {

class ProgressBar {
 public:
  // total_record_bytes: the window's record bytes (what will be scanned, filtered or not).
  ProgressBar(bool enabled, uint64_t total_record_bytes);
  void update(const ExtractStats& stats);
  void finish(const ExtractStats& stats);  ///< final line, then a newline

 private:
  void draw(const ExtractStats& stats);
  bool enabled_;
  uint64_t total_;
  int64_t started_ns_;
  int64_t last_draw_ns_ = 0;
};

}  // namespace snapflow::extract::cli
