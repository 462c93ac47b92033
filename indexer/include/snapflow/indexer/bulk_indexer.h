// BulkIndexer: the DocumentSink that delivers bulk-form batches to Elasticsearch/OpenSearch.
//
//   producer --write(batch)--> [request builder] --seal (bulk_bytes or flush interval)-->
//   [bounded queue of requests] --> max_in_flight sender threads: gzip, POST _bulk, parse,
//   retry failed items with backoff, split on 413, dead-letter rejected items, then mark the
//   documents' batches resolved.
//
// Backpressure: write() blocks while the queue is full; the queue is bounded in requests and
// each request in bytes, so memory is bounded by about (queue + in flight + 1) × bulk_bytes.
// Exactly-once: documents carry deterministic _ids and go out as `create`, so a resend of a
// document the server already stored answers 409. A 409 is verified, never trusted: the
// stored documents are fetched (_mget) and compared with what was sent (stored_check.h); the
// same bytes count as already present, anything else is a conflict that is dead-lettered,
// counted and makes the run fail.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/indexer/bulk_request.h"
#include "snapflow/indexer/config.h"
#include "snapflow/indexer/dead_letter.h"
#include "snapflow/indexer/document_batch.h"

namespace snapflow::compress {
class GzipCompressor;
}

namespace snapflow::indexer {

class EsClient;

struct IndexerStats {
  uint64_t documents_written = 0;          ///< handed to write()
  uint64_t documents_sent = 0;             ///< sent at least once
  uint64_t documents_acknowledged = 0;     ///< indexed now (200/201)
  uint64_t documents_already_present = 0;  ///< 409 on create, stored document verified identical
  uint64_t documents_conflicting = 0;      ///< 409 on create, but a different document is stored
  uint64_t documents_retried = 0;          ///< resends (a document resent twice counts twice)
  uint64_t documents_dead_lettered = 0;
  uint64_t requests = 0;            ///< HTTP bulk requests made (including retries)
  uint64_t requests_split = 0;      ///< 413 answers that split a request
  uint64_t bytes_uncompressed = 0;  ///< request bodies before gzip (first sends)
  uint64_t bytes_compressed = 0;    ///< request bodies on the wire (all sends)
  uint64_t in_flight_bytes = 0;     ///< uncompressed bytes queued or being sent now

  // Documents resolved for good: acknowledged + already present + dead-lettered + conflicting.
  uint64_t documents_resolved() const {
    return documents_acknowledged + documents_already_present + documents_dead_lettered +
           documents_conflicting;
  }
};

// One line for progress output: "sent 1200 acked 1100 present 100 retried 0 dead 0 in-flight 3.1
// MB".
std::string format_stats(const IndexerStats& stats);

class BulkIndexer final : public DocumentSink {
 public:
  // config must have passed validate(); the logger must outlive the indexer. Starts the
  // sender and flush threads.
  BulkIndexer(const IndexerConfig& config, const base::Logger& logger);
  // Stops the threads without waiting for delivery (an interrupted retry wait ends at once):
  // call finish() first to deliver everything.
  ~BulkIndexer() override;
  BulkIndexer(const BulkIndexer&) = delete;
  BulkIndexer& operator=(const BulkIndexer&) = delete;

  // Takes a bulk-form batch (plain batches are refused: they carry no _index/_id). Blocks
  // while the queue is full. Returns the indexer's error once it has failed for good.
  base::Status write(DocumentBatch batch) override;
  // Sends everything pending and waits until every document is resolved.
  base::Status finish() override;
  // Batches are resolved in any order; this is the highest sequence s such that every batch
  // written with a sequence <= s is resolved (0 before any). Producers number batches from 1.
  uint64_t delivered_through() const override;
  // Acknowledged and verified-present documents, and the traffic they count (what was written
  // minus what was refused); exact once finish() has returned.
  SinkAccount account() const override;

  IndexerStats stats() const;

 private:
  struct Attempt;

  void seal_locked(std::unique_lock<std::mutex>& lock);  // queue the request being built
  void flush_loop();
  void sender_loop(size_t slot);
  base::Status deliver(size_t slot, EsClient& client, compress::GzipCompressor& gzip,
                       BulkRequest request);
  void resolve(const BulkRequest& request, const std::vector<size_t>& indices);
  // 409s: fetch what is stored under those ids and sort them into present (resolved here),
  // conflicting (dead-lettered and resolved here) and missing (appended to retry).
  base::Status verify_present(EsClient& client, const BulkRequest& request,
                              const std::vector<size_t>& present, std::vector<size_t>& resolved,
                              std::vector<size_t>& retry);
  base::Status reject(const BulkRequest& request, size_t index, int status, std::string_view type,
                      std::string_view reason);
  void fail(base::Error error);
  bool sleep_unless_aborted(int64_t delay_ns);

  IndexerConfig config_;
  const base::Logger& logger_;
  DeadLetterFile dead_letter_;

  mutable std::mutex mu_;
  std::condition_variable queue_not_full_;
  std::condition_variable queue_not_empty_;
  std::condition_variable all_resolved_;
  std::condition_variable abort_cv_;
  BulkRequest building_;
  int64_t building_since_ns_ = 0;
  std::deque<BulkRequest> queue_;
  size_t busy_senders_ = 0;
  bool stopping_ = false;  // no more writes; threads exit once idle
  bool aborting_ = false;  // destructor: threads exit now
  std::optional<base::Error> failure_;
  // sequence -> documents of that batch not yet resolved (only unresolved batches are kept).
  std::map<uint64_t, uint64_t> pending_batches_;
  uint64_t highest_sequence_ = 0;

  struct AtomicStats {
    std::atomic<uint64_t> written{0}, sent{0}, acked{0}, present{0}, conflicting{0}, retried{0},
        dead{0}, requests{0}, splits{0}, bytes_raw{0}, bytes_gz{0}, in_flight{0};
    // Traffic counted by written documents, and by the refused ones among them.
    std::atomic<uint64_t> written_packets{0}, written_bytes{0}, refused_packets{0},
        refused_bytes{0};
  } counters_;

  std::vector<std::thread> senders_;
  std::thread flusher_;
};

}  // namespace snapflow::indexer
