#include "snapflow/ring/capture_stats.h"

#include "file_util.h"
#include "key_value_text.h"

namespace snapflow::ring {
namespace {

constexpr std::string_view kMagic = "snapflow-capture-stats 1";
constexpr std::string_view kFileName = "capture.stats";

}  // namespace

std::string encode_capture_totals(const CaptureTotals& t) {
  return std::string(kMagic) + "\nseen_packets=" + std::to_string(t.seen_packets) +
         "\ndropped_packets=" + std::to_string(t.dropped_packets) +
         "\nspooled_packets=" + std::to_string(t.spooled_packets) +
         "\nspooled_bytes=" + std::to_string(t.spooled_bytes) +
         "\npending_packets=" + std::to_string(t.pending_packets) +
         "\nupdated_ns=" + std::to_string(t.updated_ns) + "\n";
}

base::Result<CaptureTotals> decode_capture_totals(std::string_view text) {
  CaptureTotals t;
  const bool ok = text.substr(0, kMagic.size()) == kMagic &&
                  find_number_field(text, "seen_packets", t.seen_packets) &&
                  find_number_field(text, "dropped_packets", t.dropped_packets) &&
                  find_number_field(text, "spooled_packets", t.spooled_packets) &&
                  find_number_field(text, "spooled_bytes", t.spooled_bytes) &&
                  find_number_field(text, "pending_packets", t.pending_packets) &&
                  find_number_field(text, "updated_ns", t.updated_ns);
  if (!ok) return base::make_error(base::ErrorCode::kFormat, "malformed capture.stats");
  return t;
}

base::Status save_capture_totals(const std::string& ring_dir, const CaptureTotals& totals) {
  return write_file_atomic(ring_dir, std::string(kFileName), encode_capture_totals(totals));
}

base::Result<std::optional<CaptureTotals>> load_capture_totals(const std::string& ring_dir) {
  const std::string path = ring_dir + "/" + std::string(kFileName);
  auto text = read_small_file(path, 4096);
  if (!text.ok()) {
    if (text.error().code() == base::ErrorCode::kNotFound) return std::optional<CaptureTotals>();
    return std::move(text).error();
  }
  auto totals = decode_capture_totals(*text);
  if (!totals.ok()) return std::move(totals).error().context(path);
  return std::optional<CaptureTotals>(*totals);
}

}  // namespace snapflow::ring
