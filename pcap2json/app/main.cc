// pcap2json: packet captures in, snapflow documents out. Parses and validates the command
// line, builds the reader, the sink and the pipeline, runs, and maps errors to exit codes.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>

#include "snapflow/pcap/reader.h"
#include "snapflow/pcap2json/config.h"
#include "snapflow/pcap2json/file_sink.h"
#include "snapflow/pcap2json/pipeline.h"
#include "snapflow/pcap2json/report.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;

int fail(const snapflow::base::Error& error, int code) {
  std::fprintf(stderr, "pcap2json: %s\n", error.to_string().c_str());
  return code;
}

bool show_progress(const snapflow::pcap2json::Pcap2JsonConfig& config) {
  using Mode = snapflow::pcap2json::Pcap2JsonConfig::ProgressMode;
  if (config.progress != Mode::kAuto) return config.progress == Mode::kOn;
  return isatty(STDERR_FILENO) && config.inputs.front() != "-";
}

int run(int argc, char** argv) {
  using namespace snapflow;
  auto parsed = pcap2json::parse_command_line(argc, argv);
  if (!parsed.ok()) return fail(parsed.error(), kExitUsage);
  pcap2json::Pcap2JsonConfig& config = *parsed;
  if (auto valid = pcap2json::validate(config); !valid.ok()) return fail(valid.error(), kExitUsage);
  if (config.show_help) {
    std::fputs(pcap2json::usage_text().c_str(), stdout);
    return kExitOk;
  }
  if (config.show_version) {
    std::printf("pcap2json (snapflow) %s\n", SNAPFLOW_VERSION);
    return kExitOk;
  }

  auto reader = pcap::open_files(config.inputs, config.reader);
  if (!reader.ok()) return fail(reader.error(), kExitRuntime);
  pcap2json::FileSinkOptions sink_options;
  sink_options.gzip = config.gzip;
  auto sink = pcap2json::FileSink::open(config.output, sink_options);
  if (!sink.ok()) return fail(sink.error(), kExitRuntime);

  pcap2json::ProgressBar bar(stderr);
  pcap2json::ProgressCallback progress;
  if (show_progress(config)) progress = [&bar](const pcap2json::Progress& p) { bar.update(p); };

  pcap2json::PipelineStats stats;
  const base::Status status =
      pcap2json::run_pipeline(config.pipeline, **reader, **sink, stats, progress);
  bar.finish();
  if (config.show_stats) {
    std::fputs(pcap2json::format_stats(stats, (*reader)->stats()).c_str(), stderr);
  }
  if (!status.ok()) return fail(status.error(), kExitRuntime);
  return kExitOk;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "pcap2json: internal error: %s\n", e.what());
    return kExitRuntime;
  }
}
