#include "progress.h"

#include <cstdio>

#include "snapflow/base/time.h"

namespace snapflow::extract::cli {

ProgressBar::ProgressBar(bool enabled, uint64_t total_record_bytes)
    : enabled_(enabled), total_(total_record_bytes), started_ns_(base::now_monotonic_ns()) {}

void ProgressBar::update(const ExtractStats& stats) {
  if (!enabled_) return;
  const int64_t now = base::now_monotonic_ns();
  if (now - last_draw_ns_ < 100 * base::kNsPerMs) return;
  last_draw_ns_ = now;
  draw(stats);
}

void ProgressBar::finish(const ExtractStats& stats) {
  if (!enabled_) return;
  draw(stats);
  std::fputc('\n', stderr);
}

void ProgressBar::draw(const ExtractStats& stats) {
  constexpr int kWidth = 30;
  const uint64_t done = stats.scanned_record_bytes + stats.lost_record_bytes;
  const double fraction =
      total_ == 0 ? 1.0 : static_cast<double>(done) / static_cast<double>(total_);
  const int filled = static_cast<int>(fraction * kWidth + 0.5);
  char bar[kWidth + 1];
  for (int i = 0; i < kWidth; ++i) bar[i] = i < filled ? '#' : '.';
  bar[kWidth] = 0;
  const double seconds =
      static_cast<double>(base::now_monotonic_ns() - started_ns_) / base::kNsPerSec;
  const double mb = static_cast<double>(stats.bytes) / 1e6;
  std::fprintf(stderr, "\r[%s] %5.1f%%  %.1f MB, %llu packets, %.0f MB/s   ", bar, fraction * 100.0,
               mb, static_cast<unsigned long long>(stats.packets),
               seconds > 0 ? mb / seconds : 0.0);
  std::fflush(stderr);
}

}  // namespace snapflow::extract::cli
