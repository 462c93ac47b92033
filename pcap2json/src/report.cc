#include "snapflow/pcap2json/report.h"

#include <sys/resource.h>

#include <cinttypes>
#include <cstdarg>

namespace snapflow::pcap2json {
namespace {

void append_format(std::string& out, const char* format, ...) __attribute__((format(printf, 2, 3)));
void append_format(std::string& out, const char* format, ...) {
  char line[256];
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(line, sizeof line, format, args);
  va_end(args);
  if (n > 0) out.append(line, std::min<size_t>(static_cast<size_t>(n), sizeof line - 1));
}

}  // namespace

std::string format_stats(const PipelineStats& s, const pcap::ReaderStats* reader) {
  std::string out;
  const double secs = s.seconds > 0 ? s.seconds : 1e-9;
  append_format(out, "packets             %" PRIu64 "\n", s.packets);
  append_format(out, "bytes               %" PRIu64 "\n", s.bytes);
  append_format(out, "snapshots           %" PRIu64 "\n", s.engine.snapshots);
  append_format(out, "flow records        %" PRIu64 "\n", s.engine.flows);
  append_format(out, "documents           %" PRIu64 " (%" PRIu64 " bytes of JSON)\n", s.documents,
                s.document_bytes);
  append_format(out,
                "late packets        %" PRIu64 " (%" PRIu64
                " bytes, counted in the oldest open snapshot)\n",
                s.engine.late_packets, s.engine.late_bytes);
  append_format(out,
                "fragments           %" PRIu64 " matched to their first fragment, %" PRIu64
                " unmatched\n",
                s.engine.fragments_matched, s.engine.fragments_unmatched);
  for (size_t i = 0; i < s.decode_status.size(); ++i) {
    if (s.decode_status[i] == 0) continue;
    append_format(out, "decode %-12s %" PRIu64 "\n",
                  packet::to_string(static_cast<packet::DecodeStatus>(i)), s.decode_status[i]);
  }
  if (reader != nullptr && reader->steps_back > 0) {
    append_format(
        out, "clock stepped back  %" PRIu64 " times (snapshots started afresh; --clock-step)\n",
        reader->steps_back);
  }
  if (reader != nullptr && (reader->skipped_records > 0 || reader->skipped_bytes > 0)) {
    append_format(out, "skipped input       %" PRIu64 " bad records, %" PRIu64 " bytes\n",
                  reader->skipped_records, reader->skipped_bytes);
  }
  if (s.gaps > 0) {
    append_format(out,
                  "gaps                %" PRIu64 " (%" PRIu64 " packets, %" PRIu64
                  " bytes not read: overwritten first, or damaged)\n",
                  s.gaps, s.gap_packets, s.gap_bytes);
  }
  if (s.accounting_documents > 0) {
    append_format(out, "accounting samples  %" PRIu64 "\n", s.accounting_documents);
  }
  if (s.degraded_parts > 0) {
    append_format(out, "degraded parts      %" PRIu64 " (coarser snapshots to catch up)\n",
                  s.degraded_parts);
  }
  if (s.commits > 0) append_format(out, "cursor commits      %" PRIu64 "\n", s.commits);
  append_format(out,
                "peak flow memory    %.1f MiB (flow tables %.1f MiB, %" PRIu64 " flows at most)\n",
                static_cast<double>(s.engine.peak_flow_memory_bytes) / (1 << 20),
                static_cast<double>(s.engine.peak_flow_table_bytes) / (1 << 20),
                s.engine.peak_flow_table_entries);
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) == 0) {
    append_format(out, "peak RSS            %.1f MiB\n",
                  static_cast<double>(usage.ru_maxrss) / 1024);
  }
  append_format(out, "time                %.3f s (%.2f Mpps, %.2f Gbps, %.0f docs/s)\n", s.seconds,
                static_cast<double>(s.packets) / secs / 1e6,
                static_cast<double>(s.bytes) * 8 / secs / 1e9,
                static_cast<double>(s.documents) / secs);
  const auto share = [&](int64_t ns) { return static_cast<double>(ns) / 1e9 / secs * 100; };
  append_format(
      out, "serial stages busy  read %.1f %%, settle %.1f %%, close %.1f %%, deliver %.1f %%\n",
      share(s.read_busy_ns), share(s.aggregate_busy_ns), share(s.close_busy_ns),
      share(s.deliver_busy_ns));
  // From CPU times: what each serial stage would hold of a core if the run kept every thread
  // busy (no other process on the cores): stage CPU / (run CPU / threads).
  if (s.process_cpu_ns > 0 && s.threads > 0) {
    const double per_thread = static_cast<double>(s.process_cpu_ns) / s.threads;
    const auto of_core = [&](int64_t ns) { return static_cast<double>(ns) / per_thread * 100; };
    append_format(
        out,
        "serial stages cpu   read %.1f %%, settle %.1f %%, close %.1f %%, deliver %.1f "
        "%% of a core at %u threads (shard counting, parallel: %.1f %% of the CPU)\n",
        of_core(s.read_cpu_ns), of_core(s.aggregate_cpu_ns), of_core(s.close_cpu_ns),
        of_core(s.deliver_cpu_ns), s.threads,
        static_cast<double>(s.shard_cpu_ns) / static_cast<double>(s.process_cpu_ns) * 100);
  }
  if (s.interrupted) {
    append_format(out,
                  "interrupted         %" PRIu64 " packets, %" PRIu64
                  " bytes read but not exported (snapshots still open)\n",
                  s.unexported_packets, s.unexported_bytes);
  }
  const bool exact = check_account(s).ok();
  if (s.delivered.rejected_documents > 0) {
    append_format(out, "documents refused   %" PRIu64 " (see the dead-letter file)\n",
                  s.delivered.rejected_documents);
  }
  append_format(out,
                "documents account   %" PRIu64 " packets, %" PRIu64 " bytes in the %" PRIu64
                " documents the output holds: %s\n",
                s.delivered.packets, s.delivered.bytes, s.delivered.documents,
                exact ? "exact" : "MISMATCH");
  return out;
}

base::Status check_account(const PipelineStats& s) {
  const document::SinkAccount& held = s.delivered;
  // Interrupted: what was read and not exported is reported, not lost (main says so).
  const uint64_t packets = s.packets - s.unexported_packets;
  const uint64_t bytes = s.bytes - s.unexported_bytes;
  if (s.delivered.rejected_documents == 0 && held.packets == packets && held.bytes == bytes) {
    return base::ok_status();
  }
  if (s.delivered.rejected_documents > 0) {
    return base::make_error(
        base::ErrorCode::kRejected,
        std::to_string(s.delivered.rejected_documents) +
            " documents were refused by the output (dead-letter file): it holds " +
            std::to_string(held.packets) + " of " + std::to_string(s.packets) + " packets and " +
            std::to_string(held.bytes) + " of " + std::to_string(s.bytes) + " bytes");
  }
  return base::make_error(base::ErrorCode::kInternal,
                          "documents count " + std::to_string(held.packets) + " packets and " +
                              std::to_string(held.bytes) + " bytes for " + std::to_string(packets) +
                              " packets and " + std::to_string(bytes) +
                              " bytes exported (a bug: please report)");
}

void ProgressBar::update(const Progress& p) {
  const double secs = p.seconds > 0 ? p.seconds : 1e-9;
  const double mpps = static_cast<double>(p.packets) / secs / 1e6;
  const double gbps = static_cast<double>(p.bytes) * 8 / secs / 1e9;
  if (p.input_size && *p.input_size > 0) {
    const double fraction =
        std::min(1.0, static_cast<double>(p.input_bytes) / static_cast<double>(*p.input_size));
    const double eta = fraction > 0 ? secs * (1 - fraction) / fraction : 0;
    constexpr int kWidth = 30;
    const int filled = static_cast<int>(fraction * kWidth);
    std::fprintf(out_, "\r[%.*s%*s] %5.1f%%  %6.2f Mpps  %6.2f Gbps  ETA %4.0fs ", filled,
                 "##############################", kWidth - filled, "", fraction * 100, mpps, gbps,
                 eta);
  } else {
    std::fprintf(out_, "\r%" PRIu64 " packets  %6.2f Mpps  %6.2f Gbps ", p.packets, mpps, gbps);
  }
  std::fflush(out_);
  drawn_ = true;
}

void ProgressBar::finish() {
  if (drawn_) std::fputc('\n', out_);
  drawn_ = false;
}

}  // namespace snapflow::pcap2json
