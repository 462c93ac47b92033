// load: uploads NDJSON that pcap2json wrote in bulk form (action line + source line per
// document). Plain NDJSON (sources only) is refused: its _id cannot be recomputed without the
// flow key, and an id-less upload would break exactly-once. SIGINT/SIGTERM stop it between
// batches: what was read is still delivered, then it exits 1 saying where it stopped (a re-run
// of the same files is safe: the ids make already-indexed documents 409s, not duplicates).
#include <cstring>
#include <iostream>

#include "cli.h"
#include "snapflow/base/stop_signals.h"
#include "snapflow/compress/gzip_file.h"
#include "snapflow/indexer/bulk_indexer.h"

namespace snapflow::indexer::cli {

namespace {

constexpr size_t kBatchBytes = 1u << 20;

base::Status load_file(const std::string& path, BulkIndexer& indexer, base::StopSignals& signals,
                       uint64_t& sequence, uint64_t& documents) {
  auto file = compress::InputFile::open(path);
  if (!file.ok()) return std::move(file).error();
  DocumentBatch batch;
  std::string action, source;
  uint64_t line_no = 0;
  for (;;) {
    auto more = (*file)->read_line(action);
    if (!more.ok()) return std::move(more).error().context("read " + path);
    if (!*more) break;
    ++line_no;
    if (action.empty()) continue;
    if (action.rfind("{\"create\":", 0) != 0 && action.rfind("{\"index\":", 0) != 0) {
      return base::make_error(
          base::ErrorCode::kFormat,
          path + " line " + std::to_string(line_no) +
              ": not a bulk action line; load takes bulk-form NDJSON (pcap2json's bulk "
              "output), because plain documents carry no deterministic _index/_id");
    }
    auto got = (*file)->read_line(source);
    if (!got.ok()) return std::move(got).error().context("read " + path);
    ++line_no;
    if (!*got || source.empty()) {
      return base::make_error(
          base::ErrorCode::kTruncated,
          path + " line " + std::to_string(line_no) + ": action without source");
    }
    batch.offsets.push_back(static_cast<uint32_t>(batch.body.size()));
    batch.body.append(action).append("\n").append(source).append("\n");
    if (batch.body.size() >= kBatchBytes) {
      batch.sequence = ++sequence;
      documents += batch.size();
      SNAPFLOW_TRY_STATUS(indexer.write(std::move(batch)), "upload " + path);
      batch = DocumentBatch{};
      if (const int signal = signals.pending(); signal != 0) {
        return base::make_error(base::ErrorCode::kCancelled,
                                std::string("stopped by ") + strsignal(signal) + " at " + path +
                                    " line " + std::to_string(line_no));
      }
    }
  }
  if (!batch.empty()) {
    batch.sequence = ++sequence;
    documents += batch.size();
    SNAPFLOW_TRY_STATUS(indexer.write(std::move(batch)), "upload " + path);
  }
  return base::ok_status();
}

}  // namespace

int run_load(const Options& options, const base::Logger& logger) {
  if (options.args.empty()) {
    logger.error("load needs at least one FILE.ndjson[.gz] (or - for stdin)");
    return kExitUsage;
  }
  // Before the indexer's threads start, so that they inherit the blocked signals.
  auto signals = base::StopSignals::create();
  if (!signals.ok()) {
    logger.error(signals.error().to_string());
    return kExitError;
  }
  BulkIndexer indexer(options.config, logger);
  uint64_t sequence = 0, documents = 0;
  base::Status st;
  for (const auto& path : options.args) {
    st = load_file(path, indexer, *signals, sequence, documents);
    if (!st.ok()) break;
  }
  // A stop still delivers every document read before it.
  if (st.ok() || st.error().code() == base::ErrorCode::kCancelled) {
    if (auto finished = indexer.finish(); !finished.ok()) st = std::move(finished);
  }
  const IndexerStats stats = indexer.stats();
  std::cout << "documents " << documents << ": " << format_stats(stats) << '\n';
  if (!st.ok()) {
    logger.error(st.error().to_string());
    return kExitError;
  }
  if (stats.documents_dead_lettered + stats.documents_conflicting > 0) {
    logger.warning(std::to_string(stats.documents_dead_lettered) + " documents rejected and " +
                   std::to_string(stats.documents_conflicting) +
                   " in conflict with a different stored document; see " +
                   options.config.dead_letter_path);
    return kExitDeadLettered;
  }
  return kExitOk;
}

}  // namespace snapflow::indexer::cli
