// BulkRequest: the documents of one _bulk HTTP request, each remembering the batch it came
// from, so that partial failures, retries of a subset and 413 splits can still tell when a
// producer's batch is fully delivered.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "snapflow/indexer/document_batch.h"

namespace snapflow::indexer {

struct BulkRequest {
  std::string body;                 ///< bulk-form documents, newline-terminated
  std::vector<uint32_t> offsets;    ///< start of each document in body
  std::vector<uint64_t> sequences;  ///< batch sequence of each document

  size_t size() const { return offsets.size(); }
  bool empty() const { return offsets.empty(); }
  std::string_view document(size_t i) const {
    const size_t end = i + 1 < offsets.size() ? offsets[i + 1] : body.size();
    return std::string_view(body).substr(offsets[i], end - offsets[i]);
  }
  void append(std::string_view document, uint64_t sequence) {
    offsets.push_back(static_cast<uint32_t>(body.size()));
    sequences.push_back(sequence);
    body.append(document);
  }
  // Appends documents [first, last) of batch.
  void append_range(const DocumentBatch& batch, size_t first, size_t last);
};

// The documents at `indices` (ascending) of request, in a new request.
BulkRequest subset(const BulkRequest& request, const std::vector<size_t>& indices);

// Splits a request of two or more documents into two halves by document count (what a 413
// "request entity too large" answer calls for). Each half keeps its documents' sequences.
std::pair<BulkRequest, BulkRequest> split_in_half(const BulkRequest& request);

// Counts documents per batch sequence over `indices` of request (runs of equal sequences
// collapse to one entry), for marking batches resolved with one lock per request.
std::vector<std::pair<uint64_t, uint64_t>> count_by_sequence(const BulkRequest& request,
                                                             const std::vector<size_t>& indices);

}  // namespace snapflow::indexer
