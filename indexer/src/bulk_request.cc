#include "snapflow/indexer/bulk_request.h"

namespace snapflow::indexer {

void BulkRequest::append_range(const DocumentBatch& batch, size_t first, size_t last) {
  if (first >= last) return;
  const size_t begin = batch.offsets[first];
  const size_t end = last < batch.offsets.size() ? batch.offsets[last] : batch.body.size();
  const size_t base = body.size();
  offsets.reserve(offsets.size() + (last - first));
  for (size_t i = first; i < last; ++i) {
    offsets.push_back(static_cast<uint32_t>(base + batch.offsets[i] - begin));
  }
  sequences.insert(sequences.end(), last - first, batch.sequence);
  body.append(batch.body, begin, end - begin);
}

BulkRequest subset(const BulkRequest& request, const std::vector<size_t>& indices) {
  BulkRequest out;
  out.offsets.reserve(indices.size());
  out.sequences.reserve(indices.size());
  for (const size_t i : indices) out.append(request.document(i), request.sequences[i]);
  return out;
}

std::pair<BulkRequest, BulkRequest> split_in_half(const BulkRequest& request) {
  const size_t n = request.size();
  std::vector<size_t> first, second;
  for (size_t i = 0; i < n; ++i) (i < n / 2 ? first : second).push_back(i);
  return {subset(request, first), subset(request, second)};
}

std::vector<std::pair<uint64_t, uint64_t>> count_by_sequence(const BulkRequest& request,
                                                             const std::vector<size_t>& indices) {
  std::vector<std::pair<uint64_t, uint64_t>> counts;
  for (const size_t i : indices) {
    const uint64_t seq = request.sequences[i];
    if (!counts.empty() && counts.back().first == seq) {
      ++counts.back().second;
    } else {
      counts.emplace_back(seq, 1);
    }
  }
  return counts;
}

}  // namespace snapflow::indexer
