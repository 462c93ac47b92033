// DocumentBatch and DocumentSink: the seam between producing documents (pcap2json's encoders)
// and delivering them (a file, stdout, or Elasticsearch/OpenSearch). A unit of its own so that
// producers and file outputs do not depend on the indexer.
//
// A batch holds many encoded documents in one string. In bulk form each document is an action
// line followed by its source line:
//   {"create":{"_index":"snapflow-2026.11.23","_id":"<deterministic id>"}}\n{...source...}\n
// In plain NDJSON form each document is just its source line. `offsets` marks where each
// document starts, so a client can resend only the failed documents or split a batch in two
// without parsing the body again.
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"

namespace snapflow::document {

struct DocumentBatch {
  std::string body;               ///< the documents, every line newline-terminated
  std::vector<uint32_t> offsets;  ///< start of each document (its action line in bulk form)
  bool bulk_form = true;          ///< action lines present
  uint64_t sequence = 0;          ///< order of this batch in its stream (set by the producer)
  uint64_t packets = 0;           ///< packets the documents account for (for progress and checks)
  uint64_t bytes = 0;             ///< wire bytes the documents account for

  size_t size() const { return offsets.size(); }
  bool empty() const { return offsets.empty(); }
  void clear() {
    body.clear();
    offsets.clear();
    sequence = packets = bytes = 0;
  }
  // The bytes of document i (action and source lines in bulk form).
  std::string_view document(size_t i) const {
    const size_t end = i + 1 < offsets.size() ? offsets[i + 1] : body.size();
    return std::string_view(body).substr(offsets[i], end - offsets[i]);
  }
};

// What a sink holds for good: documents, and the packets and wire bytes that its flow (and
// packet) documents count. Totals and gap documents count nothing here, as in DocumentBatch.
struct SinkAccount {
  uint64_t documents = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint64_t rejected_documents = 0;  ///< refused for good (dead-lettered or conflicting)
};

// Batches whose bytes are no longer needed, handed back to their producer so that their buffers
// are reused: a producer writing 500 MB of documents per second into fresh buffers would make
// the kernel fault in and zero 120 000 pages a second. Thread-safe (one lock per batch); keeps
// at most `max_batches`, so what it holds is bounded by what was in flight.
class BatchPool {
 public:
  explicit BatchPool(size_t max_batches) : max_batches_(max_batches) {}
  // An empty batch, with the capacity of one given back if there is one.
  DocumentBatch take();
  // Empties batch and keeps it (or frees it when the pool is full).
  void give(DocumentBatch&& batch);

 private:
  std::mutex mu_;
  std::vector<DocumentBatch> free_;
  size_t max_batches_;
};

// Where documents go. write() may block (backpressure: a slow cluster slows the producer)
// and takes the batch by value so the sink owns its memory until delivered. Batches arrive in
// sequence order, one write() at a time (OrderedWriter: not always from the same thread, but
// each call after the previous one returned); implementations need not be thread-safe.
class DocumentSink {
 public:
  virtual ~DocumentSink() = default;
  virtual base::Status write(DocumentBatch batch) = 0;
  // Delivers everything still pending; after it returns OK every written document is durable
  // (flushed file, or acknowledged by the cluster).
  virtual base::Status finish() = 0;
  // Highest batch sequence such that it and every earlier batch are delivered (acknowledged);
  // lets a live consumer commit its ring cursor only behind acknowledged data. A document
  // rejected for good counts as delivered here (it is resolved: resending cannot help) but
  // not in account().
  virtual uint64_t delivered_through() const = 0;
  // What the sink holds for good so far (after finish(): in total).
  virtual SinkAccount account() const = 0;

  // Where write() hands a batch once it no longer needs its bytes (none by default: the
  // batch is freed). Set before the first write.
  void set_batch_pool(BatchPool* pool) { pool_ = pool; }

 protected:
  // For implementations: the batch's bytes are copied or written; its buffers may be reused.
  void release(DocumentBatch&& batch) {
    if (pool_ != nullptr) pool_->give(std::move(batch));
  }

 private:
  BatchPool* pool_ = nullptr;
};

}  // namespace snapflow::document
