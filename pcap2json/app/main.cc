// pcap2json: packet captures (files, stdin, or the live capture ring) in, snapflow documents
// out (a file, stdout, or Elasticsearch). Parses and validates the command line, builds the
// input, the sink and the pipeline, runs, and maps errors to exit codes.
#include <unistd.h>

#include <cstdio>
#include <exception>
#include <memory>
#include <optional>
#include <thread>

#include "snapflow/base/log.h"
#include "snapflow/base/stop_signals.h"
#include "snapflow/indexer/bulk_indexer.h"
#include "snapflow/indexer/retraction.h"
#include "snapflow/pcap2json/config.h"
#include "snapflow/pcap2json/file_sink.h"
#include "snapflow/pcap2json/input.h"
#include "snapflow/pcap2json/pipeline.h"
#include "snapflow/pcap2json/report.h"
#include "snapflow/pcap2json/ring_input.h"

namespace {

using namespace snapflow;

constexpr int kExitOk = 0;
constexpr int kExitRuntime = 1;
constexpr int kExitUsage = 2;
constexpr int kExitInterrupted = 130;  ///< the shell's code for SIGINT

int fail(const base::Error& error, int code) {
  std::fprintf(stderr, "pcap2json: %s\n", error.to_string().c_str());
  return code;
}

// A ring consumer restarted with a cluster as its sink first removes the documents its
// previous run delivered after the cursor (RingInput::resume_point): they may count packets the
// ring has overwritten since, which this run's gap document counts too.
base::Status retract_after_resume(pcap2json::RingInput& ring,
                                  const pcap2json::Pcap2JsonConfig& config,
                                  const base::Logger& logger) {
  const auto point = ring.resume_point();
  if (!point) return base::ok_status();
  auto client = indexer::EsClient::create(config.indexer, logger);
  if (!client.ok()) return std::move(client).error();
  indexer::BackoffPolicy backoff = indexer::BackoffPolicy::from_config(config.indexer);
  const indexer::RetractionScope scope{config.indexer.index_prefix, config.ring.observer,
                                       config.ring.capture, point->after_record, point->since_ns};
  auto retracted = indexer::retract_documents(**client, scope, backoff);
  if (!retracted.ok()) {
    return std::move(retracted).error().context("--consumer " + config.ring.consumer);
  }
  ring.previous_documents_retracted();
  if (retracted->deleted > 0) {
    logger.info("consumer " + config.ring.consumer + " resumes after ring record " +
                std::to_string(point->after_record) + ": removed " +
                std::to_string(retracted->deleted) +
                " documents its previous run delivered after it (made again from the ring, or "
                "counted in a gap document where the ring no longer has them)");
  }
  return base::ok_status();
}

base::Result<std::unique_ptr<pcap2json::PacketInput>> open_input(pcap2json::Pcap2JsonConfig& config,
                                                                 const base::Logger& logger) {
  if (config.use_ring) {
    auto ring = pcap2json::RingInput::open(config.ring);
    if (!ring.ok()) return std::move(ring).error();
    if (config.upload) {
      SNAPFLOW_TRY_STATUS(retract_after_resume(**ring, config, logger),
                          "--ring " + config.ring.dir);
    }
    return std::unique_ptr<pcap2json::PacketInput>(std::move(*ring));
  }
  // Opened by open_files() once the signal watcher runs (FileInput::open).
  auto files = pcap2json::FileInput::create();
  if (!files.ok()) return std::move(files).error();
  return std::unique_ptr<pcap2json::PacketInput>(std::move(*files));
}

// Opens the files of a FileInput with the signal watcher already running, so SIGINT/SIGTERM
// also end a wait for stdin's first bytes. Returns an exit code, or nothing to go on.
std::optional<int> open_files(pcap2json::PacketInput& input,
                              const pcap2json::Pcap2JsonConfig& config,
                              base::StopSignals& signals) {
  auto* files = dynamic_cast<pcap2json::FileInput*>(&input);
  if (files == nullptr) return std::nullopt;
  const base::Status opened = files->open(config.inputs, config.reader, config.files);
  if (opened.ok()) return std::nullopt;
  if (signals.received() != 0) {
    std::fprintf(stderr, "pcap2json: interrupted before the first packet; nothing was read\n");
    return kExitInterrupted;
  }
  return fail(opened.error(), kExitRuntime);
}

base::Result<std::unique_ptr<document::DocumentSink>> open_sink(
    const pcap2json::Pcap2JsonConfig& config, const base::Logger& logger) {
  if (config.upload) {
    return std::unique_ptr<document::DocumentSink>(
        std::make_unique<indexer::BulkIndexer>(config.indexer, logger));
  }
  pcap2json::FileSinkOptions options;
  // gzip runs in the pipeline's parallel stage (PipelineOptions::gzip_level); the sink only
  // writes the finished members.
  options.precompressed = config.gzip;
  auto file = pcap2json::FileSink::open(config.output, options);
  if (!file.ok()) return std::move(file).error();
  return std::unique_ptr<document::DocumentSink>(std::move(*file));
}

// SIGINT/SIGTERM end the input (a following reader stops waiting); the pipeline then drains,
// delivers and commits. The signals arrive as events on base::StopSignals (created before any
// thread starts, so every thread inherits the blocked mask), watched by one thread.
class SignalWatcher {
 public:
  SignalWatcher(base::StopSignals& signals, pcap2json::PacketInput& input)
      : signals_(signals), thread_([this, &input] {
          if (signals_.wait(-1) != 0) input.cancel();
        }) {}
  ~SignalWatcher() {
    signals_.interrupt();
    thread_.join();
  }

 private:
  base::StopSignals& signals_;
  std::thread thread_;
};

int run(int argc, char** argv) {
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

  // Before any thread starts (the ring input's and the indexer's inherit the blocked mask).
  auto signals = base::StopSignals::create();
  if (!signals.ok()) return fail(signals.error(), kExitRuntime);
  const base::Logger logger("pcap2json");
  auto input = open_input(config, logger);
  if (!input.ok()) return fail(input.error(), kExitRuntime);
  SignalWatcher watcher(*signals, **input);
  if (const auto code = open_files(**input, config, *signals)) return *code;
  if (config.gzip) config.pipeline.gzip_level = 1;
  auto sink = open_sink(config, logger);
  if (!sink.ok()) return fail(sink.error(), kExitRuntime);

  using Mode = pcap2json::Pcap2JsonConfig::ProgressMode;
  const bool show_progress =
      config.progress == Mode::kAuto
          ? isatty(STDERR_FILENO) && !config.use_ring && config.inputs.front() != "-"
          : config.progress == Mode::kOn;
  pcap2json::ProgressBar bar(stderr);
  pcap2json::ProgressCallback progress;
  if (show_progress) progress = [&bar](const pcap2json::Progress& p) { bar.update(p); };

  pcap2json::PipelineStats stats;
  const base::Status status =
      pcap2json::run_pipeline(config.pipeline, **input, **sink, stats, progress);
  bar.finish();
  if (config.show_stats) {
    std::fputs(pcap2json::format_stats(stats, (*input)->reader_stats()).c_str(), stderr);
    if (auto* bulk = dynamic_cast<indexer::BulkIndexer*>(sink->get())) {
      std::fprintf(stderr, "indexer             %s\n",
                   indexer::format_stats(bulk->stats()).c_str());
    }
  }
  if (!status.ok()) return fail(status.error(), kExitRuntime);
  // The run is good only if the sink holds every packet read: a document the cluster refused
  // (dead-lettered, or a different document stored under its id) is a loss, and says so.
  if (auto exact = pcap2json::check_account(stats); !exact.ok()) {
    return fail(exact.error(), kExitRuntime);
  }
  if (stats.interrupted) {
    std::fprintf(stderr,
                 "pcap2json: interrupted after %llu packets: the last %llu (%llu bytes), in "
                 "snapshots still open, were not exported; run the same command again to "
                 "finish (the documents already written are made again, with the same ids)\n",
                 static_cast<unsigned long long>(stats.packets),
                 static_cast<unsigned long long>(stats.unexported_packets),
                 static_cast<unsigned long long>(stats.unexported_bytes));
    return kExitInterrupted;
  }
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
