#include "snapflow/document/batch.h"

namespace snapflow::document {

DocumentBatch BatchPool::take() {
  std::lock_guard lock(mu_);
  if (free_.empty()) return {};
  DocumentBatch batch = std::move(free_.back());
  free_.pop_back();
  return batch;
}

void BatchPool::give(DocumentBatch&& batch) {
  if (batch.body.capacity() == 0) return;  // its memory was taken: nothing to reuse
  batch.clear();
  std::lock_guard lock(mu_);
  if (free_.size() < max_batches_) free_.push_back(std::move(batch));
}

}  // namespace snapflow::document
