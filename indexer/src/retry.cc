#include "snapflow/indexer/retry.h"

#include <algorithm>

#include "snapflow/base/time.h"
#include "snapflow/indexer/es_client.h"

namespace snapflow::indexer {

bool is_transient_block(std::string_view type, std::string_view reason) {
  if (type == "index_create_block_exception") return true;  // OpenSearch at flood stage
  if (type != "cluster_block_exception") return false;
  for (std::string_view mark : {"allow delete", "allow_delete", "allow-delete", "flood-stage"}) {
    if (reason.find(mark) != std::string_view::npos) return true;
  }
  return false;
}

bool is_retryable_response(long status, std::string_view body) {
  switch (status) {
    case 429:
    case 500:
    case 502:
    case 503:
    case 504:
      return true;
    case 403: {
      const ServerError error = read_server_error(body);
      return is_transient_block(error.type, error.reason);
    }
    default:
      return false;
  }
}

ItemOutcome classify_item(int status, std::string_view type, std::string_view reason) {
  if (status == 403 && is_transient_block(type, reason)) return ItemOutcome::kRetry;
  return classify_item_status(status);
}

BackoffPolicy::BackoffPolicy(int64_t initial_ns, int64_t max_ns, int64_t total_ns, uint64_t seed)
    : initial_ns_(std::max<int64_t>(initial_ns, 1)),
      max_ns_(std::max(max_ns, initial_ns_)),
      total_ns_(total_ns),
      rng_(seed) {}

BackoffPolicy BackoffPolicy::from_config(const IndexerConfig& config, uint64_t stream) {
  return BackoffPolicy(config.retry_initial_ns, config.retry_max_ns, config.retry_total_ns,
                       static_cast<uint64_t>(base::now_monotonic_ns()) + stream);
}

int64_t BackoffPolicy::cap_ns(int attempt) const {
  int64_t d = initial_ns_;
  for (int i = 0; i < attempt && d < max_ns_; ++i) d *= 2;  // no overflow: stops at max
  return std::min(d, max_ns_);
}

int64_t BackoffPolicy::delay_ns(int attempt) {
  const int64_t cap = cap_ns(attempt);
  std::uniform_int_distribution<int64_t> dist(cap / 2, cap);
  return dist(rng_);
}

bool BackoffPolicy::within_budget(int64_t start_ns, int64_t now_ns, int64_t next_delay_ns) const {
  return now_ns + next_delay_ns - start_ns <= total_ns_;
}

}  // namespace snapflow::indexer
