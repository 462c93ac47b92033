#include "snapflow/indexer/bulk_indexer.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "snapflow/base/time.h"
#include "snapflow/compress/gzip.h"
#include "snapflow/indexer/bulk_response.h"
#include "snapflow/indexer/es_client.h"
#include "snapflow/indexer/retry.h"
#include "snapflow/indexer/stored_check.h"

namespace snapflow::indexer {

using base::ErrorCode;
using base::make_error;

namespace {

std::string seconds(int64_t ns) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.1fs", static_cast<double>(ns) / 1e9);
  return buf;
}

}  // namespace

std::string format_stats(const IndexerStats& s) {
  char buf[256];
  std::snprintf(buf, sizeof(buf),
                "sent %llu acked %llu present %llu conflicting %llu retried %llu dead-lettered "
                "%llu requests %llu in-flight %.1f MB",
                static_cast<unsigned long long>(s.documents_sent),
                static_cast<unsigned long long>(s.documents_acknowledged),
                static_cast<unsigned long long>(s.documents_already_present),
                static_cast<unsigned long long>(s.documents_conflicting),
                static_cast<unsigned long long>(s.documents_retried),
                static_cast<unsigned long long>(s.documents_dead_lettered),
                static_cast<unsigned long long>(s.requests),
                static_cast<double>(s.in_flight_bytes) / 1e6);
  return buf;
}

// One send of some documents, and how many times they have been sent before.
struct BulkIndexer::Attempt {
  BulkRequest request;
  int retries = 0;         // sends before this one
  int64_t first_ns = 0;    // when the documents were first sent
  std::string last_error;  // why the previous send failed
};

BulkIndexer::BulkIndexer(const IndexerConfig& config, const base::Logger& logger)
    : config_(config), logger_(logger), dead_letter_(config.dead_letter_path) {
  senders_.reserve(static_cast<size_t>(config_.max_in_flight));
  for (int i = 0; i < config_.max_in_flight; ++i) {
    senders_.emplace_back([this, i] { sender_loop(static_cast<size_t>(i)); });
  }
  flusher_ = std::thread([this] { flush_loop(); });
}

BulkIndexer::~BulkIndexer() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    aborting_ = true;
  }
  queue_not_empty_.notify_all();
  queue_not_full_.notify_all();
  abort_cv_.notify_all();
  all_resolved_.notify_all();
  for (auto& t : senders_) t.join();
  flusher_.join();
}

IndexerStats BulkIndexer::stats() const {
  IndexerStats s;
  s.documents_written = counters_.written.load(std::memory_order_relaxed);
  s.documents_sent = counters_.sent.load(std::memory_order_relaxed);
  s.documents_acknowledged = counters_.acked.load(std::memory_order_relaxed);
  s.documents_already_present = counters_.present.load(std::memory_order_relaxed);
  s.documents_conflicting = counters_.conflicting.load(std::memory_order_relaxed);
  s.documents_retried = counters_.retried.load(std::memory_order_relaxed);
  s.documents_dead_lettered = counters_.dead.load(std::memory_order_relaxed);
  s.requests = counters_.requests.load(std::memory_order_relaxed);
  s.requests_split = counters_.splits.load(std::memory_order_relaxed);
  s.bytes_uncompressed = counters_.bytes_raw.load(std::memory_order_relaxed);
  s.bytes_compressed = counters_.bytes_gz.load(std::memory_order_relaxed);
  s.in_flight_bytes = counters_.in_flight.load(std::memory_order_relaxed);
  return s;
}

SinkAccount BulkIndexer::account() const {
  SinkAccount a;
  a.documents = counters_.acked.load(std::memory_order_relaxed) +
                counters_.present.load(std::memory_order_relaxed);
  a.packets = counters_.written_packets.load(std::memory_order_relaxed) -
              counters_.refused_packets.load(std::memory_order_relaxed);
  a.bytes = counters_.written_bytes.load(std::memory_order_relaxed) -
            counters_.refused_bytes.load(std::memory_order_relaxed);
  a.rejected_documents = counters_.dead.load(std::memory_order_relaxed) +
                         counters_.conflicting.load(std::memory_order_relaxed);
  return a;
}

uint64_t BulkIndexer::delivered_through() const {
  std::lock_guard lock(mu_);
  if (pending_batches_.empty()) return highest_sequence_;
  return pending_batches_.begin()->first - 1;
}

base::Status BulkIndexer::write(DocumentBatch batch) {
  if (!batch.empty() && !batch.bulk_form) {
    return make_error(ErrorCode::kInvalidArgument,
                      "the indexer needs bulk-form documents (action lines with _index and _id)");
  }
  std::unique_lock lock(mu_);
  if (failure_) return *failure_;
  if (stopping_) return make_error(ErrorCode::kInvalidArgument, "write after finish");
  highest_sequence_ = std::max(highest_sequence_, batch.sequence);
  if (batch.empty()) return base::ok_status();
  counters_.written.fetch_add(batch.size(), std::memory_order_relaxed);
  counters_.written_packets.fetch_add(batch.packets, std::memory_order_relaxed);
  counters_.written_bytes.fetch_add(batch.bytes, std::memory_order_relaxed);
  pending_batches_[batch.sequence] += batch.size();

  size_t first = 0;
  while (first < batch.size()) {
    if (building_.empty()) building_since_ns_ = base::now_monotonic_ns();
    // Take as many documents as fit in the request; at least one, so a single document
    // larger than bulk_bytes still goes out (alone).
    size_t last = first;
    const size_t room =
        config_.bulk_bytes > building_.body.size() ? config_.bulk_bytes - building_.body.size() : 0;
    const size_t start_off = batch.offsets[first];
    if (batch.body.size() - start_off <= room) {
      last = batch.size();
    } else {
      // Binary search for the last document end within room.
      size_t lo = first, hi = batch.size();
      while (lo < hi) {
        const size_t mid = (lo + hi + 1) / 2;
        const size_t end = mid < batch.size() ? batch.offsets[mid] : batch.body.size();
        if (end - start_off <= room) {
          lo = mid;
        } else {
          hi = mid - 1;
        }
      }
      last = lo;
      if (last == first && building_.empty()) last = first + 1;
    }
    if (last > first) {
      if (building_.empty() && first == 0 && last == batch.size()) {
        // The common case of a fresh request: take the batch's memory instead of copying.
        building_.body = std::move(batch.body);
        building_.offsets = std::move(batch.offsets);
        building_.sequences.assign(building_.offsets.size(), batch.sequence);
        first = last;
        if (building_.body.size() >= config_.bulk_bytes) seal_locked(lock);
        break;
      }
      building_.append_range(batch, first, last);
      first = last;
    }
    if (building_.body.size() >= config_.bulk_bytes || first < batch.size()) {
      seal_locked(lock);
      if (failure_) return *failure_;
    }
  }
  release(std::move(batch));  // copied into requests (or its memory taken: then nothing to reuse)
  return base::ok_status();
}

void BulkIndexer::seal_locked(std::unique_lock<std::mutex>& lock) {
  if (building_.empty()) return;
  BulkRequest sealed = std::move(building_);
  building_ = BulkRequest{};
  counters_.in_flight.fetch_add(sealed.body.size(), std::memory_order_relaxed);
  // Backpressure: wait for room in the bounded queue (the lock is released while waiting).
  queue_not_full_.wait(lock, [&] {
    return queue_.size() < static_cast<size_t>(config_.queue_requests) || failure_ || aborting_;
  });
  if (failure_ || aborting_) {
    counters_.in_flight.fetch_sub(sealed.body.size(), std::memory_order_relaxed);
    return;
  }
  queue_.push_back(std::move(sealed));
  queue_not_empty_.notify_one();
}

void BulkIndexer::flush_loop() {
  const auto tick = std::chrono::nanoseconds(
      std::clamp<int64_t>(config_.flush_interval_ns / 4, base::kNsPerMs, 100 * base::kNsPerMs));
  std::unique_lock lock(mu_);
  while (!stopping_) {
    abort_cv_.wait_for(lock, tick);
    if (stopping_) break;
    if (!building_.empty() &&
        base::now_monotonic_ns() - building_since_ns_ >= config_.flush_interval_ns) {
      seal_locked(lock);
    }
  }
}

base::Status BulkIndexer::finish() {
  std::unique_lock lock(mu_);
  if (!failure_) seal_locked(lock);
  all_resolved_.wait(lock, [&] {
    return failure_ || aborting_ || (queue_.empty() && busy_senders_ == 0 && building_.empty());
  });
  if (failure_) return *failure_;
  if (aborting_) return make_error(ErrorCode::kCancelled, "indexer stopped");
  if (!pending_batches_.empty()) {
    return make_error(ErrorCode::kInternal, std::to_string(pending_batches_.size()) +
                                                " batches unresolved after all requests ended");
  }
  return base::ok_status();
}

void BulkIndexer::fail(base::Error error) {
  std::lock_guard lock(mu_);
  if (!failure_) {
    logger_.error(error.to_string());
    failure_ = std::move(error);
  }
  queue_not_full_.notify_all();
  queue_not_empty_.notify_all();
  all_resolved_.notify_all();
}

bool BulkIndexer::sleep_unless_aborted(int64_t delay_ns) {
  std::unique_lock lock(mu_);
  return !abort_cv_.wait_for(lock, std::chrono::nanoseconds(delay_ns),
                             [&] { return aborting_ || failure_.has_value(); });
}

void BulkIndexer::resolve(const BulkRequest& request, const std::vector<size_t>& indices) {
  const auto counts = count_by_sequence(request, indices);
  std::lock_guard lock(mu_);
  for (const auto& [seq, n] : counts) {
    auto it = pending_batches_.find(seq);
    if (it == pending_batches_.end()) continue;  // cannot happen: every document was counted
    it->second -= std::min(it->second, n);
    if (it->second == 0) pending_batches_.erase(it);
  }
}

base::Status BulkIndexer::reject(const BulkRequest& request, size_t index, int status,
                                 std::string_view type, std::string_view reason) {
  const std::string_view document = request.document(index);
  SNAPFLOW_TRY_STATUS(dead_letter_.write(document, status, type, reason), "dead letter");
  const CountedTraffic counted = counted_traffic(document);
  counters_.refused_packets.fetch_add(counted.packets, std::memory_order_relaxed);
  counters_.refused_bytes.fetch_add(counted.bytes, std::memory_order_relaxed);
  (status == 409 ? counters_.conflicting : counters_.dead).fetch_add(1, std::memory_order_relaxed);
  return base::ok_status();
}

base::Status BulkIndexer::verify_present(EsClient& client, const BulkRequest& request,
                                         const std::vector<size_t>& present,
                                         std::vector<size_t>& resolved,
                                         std::vector<size_t>& retry) {
  auto body = mget_body(request, present);
  if (!body.ok()) return std::move(body).error();
  auto sent = client.send({"POST", "/_mget", *body, "application/json", false});
  if (!sent.ok() && sent.error().code() != ErrorCode::kUnavailable) return std::move(sent).error();
  if (!sent.ok() || is_retryable_response(sent->status, sent->body)) {
    // Cannot look now: resend them; a later 409 is verified then.
    retry.insert(retry.end(), present.begin(), present.end());
    return base::ok_status();
  }
  if (sent->status != 200) {
    return make_error(ErrorCode::kRejected, describe_http_error(*sent, "_mget of conflicting ids"));
  }
  auto checks = compare_stored(sent->body, request, present);
  if (!checks.ok()) return std::move(checks).error();
  for (size_t k = 0; k < present.size(); ++k) {
    const StoredCheck& check = (*checks)[k];
    switch (check.match) {
      case StoredMatch::kSame:
        counters_.present.fetch_add(1, std::memory_order_relaxed);
        resolved.push_back(present[k]);
        break;
      case StoredMatch::kMissing:
        retry.push_back(present[k]);
        break;
      case StoredMatch::kDifferent: {
        const std::string reason =
            "document " + check.id +
            " exists with different content; the stored one is kept, this one is not "
            "indexed (stored: " +
            check.stored + ")";
        SNAPFLOW_TRY_STATUS(reject(request, present[k], 409, "conflicting_document", reason),
                            "dead letter");
        logger_.error("conflict: " + reason.substr(0, 200) + "...; written to " +
                      dead_letter_.path());
        resolved.push_back(present[k]);
        break;
      }
    }
  }
  return base::ok_status();
}

void BulkIndexer::sender_loop(size_t slot) {
  compress::GzipCompressor gzip(config_.gzip_level);
  auto client = EsClient::create(config_, logger_, slot);
  if (!client.ok()) {
    fail(std::move(client).error().context("sender start"));
    return;
  }
  for (;;) {
    BulkRequest request;
    {
      std::unique_lock lock(mu_);
      queue_not_empty_.wait(lock,
                            [&] { return !queue_.empty() || stopping_ || failure_ || aborting_; });
      if (failure_ || aborting_ || queue_.empty()) return;  // empty: stopping
      request = std::move(queue_.front());
      queue_.pop_front();
      ++busy_senders_;
      queue_not_full_.notify_one();
    }
    const size_t bytes = request.body.size();
    base::Status st = deliver(slot, **client, gzip, std::move(request));
    counters_.in_flight.fetch_sub(bytes, std::memory_order_relaxed);
    if (!st.ok()) fail(std::move(st).error());
    {
      std::lock_guard lock(mu_);
      --busy_senders_;
    }
    all_resolved_.notify_all();
  }
}

base::Status BulkIndexer::deliver(size_t slot, EsClient& client, compress::GzipCompressor& gzip,
                                  BulkRequest request) {
  BackoffPolicy backoff = BackoffPolicy::from_config(config_, slot);
  std::string path = "/_bulk?";
  path += kBulkFilterPath;
  std::string compressed;

  counters_.sent.fetch_add(request.size(), std::memory_order_relaxed);
  counters_.bytes_raw.fetch_add(request.body.size(), std::memory_order_relaxed);
  std::vector<Attempt> attempts;
  attempts.push_back(Attempt{std::move(request), 0, base::now_monotonic_ns(), {}});

  while (!attempts.empty()) {
    Attempt a = std::move(attempts.back());
    attempts.pop_back();
    const size_t n = a.request.size();
    if (a.retries > 0) {
      const int64_t delay = backoff.delay_ns(a.retries - 1);
      if (!backoff.within_budget(a.first_ns, base::now_monotonic_ns(), delay)) {
        return make_error(ErrorCode::kOverloaded,
                          "gave up on " + std::to_string(n) + " documents after retrying for " +
                              seconds(base::now_monotonic_ns() - a.first_ns) +
                              " (--es-retry-max-time " + seconds(config_.retry_total_ns) +
                              "); last error: " + a.last_error);
      }
      if (!sleep_unless_aborted(delay)) return make_error(ErrorCode::kCancelled, "stopped");
      counters_.retried.fetch_add(n, std::memory_order_relaxed);
    }
    HttpRequest http{"POST", path, a.request.body, "application/x-ndjson", false};
    if (config_.gzip) {
      SNAPFLOW_TRY_STATUS(gzip.compress(a.request.body, compressed), "gzip bulk body");
      http.body = compressed;
      http.gzipped = true;
    }
    counters_.requests.fetch_add(1, std::memory_order_relaxed);
    counters_.bytes_gz.fetch_add(http.body.size(), std::memory_order_relaxed);
    auto sent = client.send(http);
    // The first failure of a request is a warning; its further retries are debug noise.
    const base::LogLevel retry_level =
        a.retries == 0 ? base::LogLevel::kWarning : base::LogLevel::kDebug;
    auto retry_all = [&](std::string why) {
      logger_.log(retry_level,
                  "bulk of " + std::to_string(n) + " documents: " + why + "; retrying");
      a.last_error = std::move(why);
      ++a.retries;
      attempts.push_back(std::move(a));
    };
    if (!sent.ok()) {
      if (sent.error().code() == ErrorCode::kUnavailable) {
        retry_all(sent.error().message());
        continue;
      }
      return std::move(sent).error().context("bulk request");
    }
    const HttpResponse& response = *sent;
    if (response.status == 413) {
      if (n == 1) {
        SNAPFLOW_TRY_STATUS(reject(a.request, 0, 413, "request_too_large",
                                   "a single document exceeds the server's "
                                   "http.max_content_length"),
                            "dead letter");
        resolve(a.request, {0});
        continue;
      }
      counters_.splits.fetch_add(1, std::memory_order_relaxed);
      auto [left, right] = split_in_half(a.request);
      logger_.info("HTTP 413 for " + std::to_string(n) + " documents (" +
                   std::to_string(a.request.body.size()) + " bytes): splitting");
      attempts.push_back(Attempt{std::move(right), a.retries, a.first_ns, a.last_error});
      attempts.push_back(Attempt{std::move(left), a.retries, a.first_ns, a.last_error});
      continue;
    }
    if (is_retryable_response(response.status, response.body)) {
      retry_all(describe_http_error(response, "bulk request"));
      continue;
    }
    if (response.status < 200 || response.status >= 300) {
      return make_error(ErrorCode::kRejected, describe_http_error(response, "bulk request"));
    }
    auto parsed = parse_bulk_response(response.body, n);
    if (!parsed.ok()) {
      // Resending is safe (create with deterministic ids), so an answer we cannot read is
      // treated like a lost one.
      retry_all(parsed.error().message());
      continue;
    }
    counters_.acked.fetch_add(parsed->indexed, std::memory_order_relaxed);
    std::vector<size_t> resolved, retry;
    resolved.reserve(n);
    size_t next_failure = 0, rejected = 0;
    size_t next_present = 0;
    const BulkItemError* first_rejected = nullptr;
    for (size_t i = 0; i < n; ++i) {
      if (next_present < parsed->present.size() && parsed->present[next_present] == i) {
        ++next_present;  // resolved by verify_present below
        continue;
      }
      if (next_failure < parsed->failures.size() && parsed->failures[next_failure].index == i) {
        const BulkItemError& f = parsed->failures[next_failure++];
        if (f.outcome == ItemOutcome::kRetry) {
          retry.push_back(i);
          continue;
        }
        SNAPFLOW_TRY_STATUS(reject(a.request, i, f.status, f.type, f.reason), "dead letter");
        if (rejected++ == 0) first_rejected = &f;
      }
      resolved.push_back(i);
    }
    if (first_rejected != nullptr) {  // one line per request, not one per document
      logger_.warning(std::to_string(rejected) + " of " + std::to_string(n) +
                      " documents rejected (first: HTTP " + std::to_string(first_rejected->status) +
                      " " + first_rejected->type + ": " + first_rejected->reason +
                      "); written to " + dead_letter_.path());
    }
    if (!parsed->present.empty()) {
      SNAPFLOW_TRY_STATUS(verify_present(client, a.request, parsed->present, resolved, retry),
                          "verify documents already present");
      std::sort(resolved.begin(), resolved.end());
      std::sort(retry.begin(), retry.end());
    }
    resolve(a.request, resolved);
    if (!retry.empty()) {
      const BulkItemError* example = nullptr;
      for (const auto& f : parsed->failures) {
        if (f.outcome == ItemOutcome::kRetry) {
          example = &f;
          break;
        }
      }
      std::string why = example != nullptr
                            ? std::to_string(retry.size()) + " of " + std::to_string(n) +
                                  " documents answered " + std::to_string(example->status) + " " +
                                  example->type
                            : std::to_string(retry.size()) + " of " + std::to_string(n) +
                                  " documents answered 409 but are no longer stored";
      logger_.log(retry_level, why + "; retrying those");
      attempts.push_back(Attempt{subset(a.request, retry), a.retries + 1, a.first_ns, why});
    }
  }
  return base::ok_status();
}

}  // namespace snapflow::indexer
