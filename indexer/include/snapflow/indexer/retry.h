// Capped exponential backoff with full jitter, the retry budget of one request, and which
// answers are worth retrying at all.
//
// Delay n (n = 0, 1, …) is uniform in [d/2, d] with d = min(max, initial * 2^n): the half floor
// keeps a busy cluster from being hammered by near-zero retries, the jitter keeps several
// senders from retrying in lockstep.
#pragma once

#include <cstdint>
#include <random>
#include <string_view>

#include "snapflow/indexer/bulk_response.h"
#include "snapflow/indexer/config.h"

namespace snapflow::indexer {

// A cluster block that the cluster lifts by itself, so writes will succeed later: the disk
// monitor's flood-stage block (index.blocks.read_only_allow_delete: Elasticsearch 7.4+ and
// OpenSearch answer 429, older servers 403 "index read-only / allow delete"), the cluster-wide
// cluster.blocks.read_only_allow_delete (403 from both), and OpenSearch's flood-stage
// create-index block. Operator blocks (index.blocks.write, read_only) are not: a document sent
// to such an index is rejected and goes to the dead-letter file.
bool is_transient_block(std::string_view type, std::string_view reason);

// Whether an HTTP answer to a whole bulk request is worth repeating after a backoff: 429, 500,
// 502, 503, 504, and a 403 whose body is a transient block.
bool is_retryable_response(long status, std::string_view body);

// What to do with one item of a bulk answer: classify_item_status, except that a 403 for a
// transient block is retried rather than dead-lettered.
ItemOutcome classify_item(int status, std::string_view type, std::string_view reason);

class BackoffPolicy {
 public:
  BackoffPolicy(int64_t initial_ns, int64_t max_ns, int64_t total_ns, uint64_t seed);
  // The policy the --es-retry-* flags set, seeded from the clock plus `stream`, so senders
  // started at the same moment do not retry in lockstep.
  static BackoffPolicy from_config(const IndexerConfig& config, uint64_t stream = 0);

  // Delay before retry number `attempt` (0 for the first retry).
  int64_t delay_ns(int attempt);
  // The upper bound of delay_ns(attempt), without jitter.
  int64_t cap_ns(int attempt) const;
  // True when a request first tried at start_ns may still be retried at now_ns after waiting
  // next_delay_ns more.
  bool within_budget(int64_t start_ns, int64_t now_ns, int64_t next_delay_ns) const;
  int64_t total_ns() const { return total_ns_; }

 private:
  int64_t initial_ns_;
  int64_t max_ns_;
  int64_t total_ns_;
  std::mt19937_64 rng_;
};

}  // namespace snapflow::indexer
