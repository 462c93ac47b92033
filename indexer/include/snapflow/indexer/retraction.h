// Retraction: deleting the documents a ring consumer's previous run delivered after the cursor
// it resumes from (docs/decisions/0009-retraction-at-resume.md). pcap2json calls it once at
// start, before it writes anything, so the run can count everything from the cursor again:
// what the ring still holds is made again, what it lost since goes into the gap document.
// snapflow-index delete uses it to remove a whole replay (every record above 0).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "snapflow/base/result.h"
#include "snapflow/indexer/es_client.h"
#include "snapflow/indexer/retry.h"

namespace snapflow::indexer {

struct RetractionScope {
  std::string index_prefix;         ///< indices `<prefix>-*` (flow and packet indices)
  std::string observer;             ///< observer.name
  std::string capture;              ///< labels.capture
  uint64_t after_record = 0;        ///< documents whose snapflow.record is above this
  std::optional<int64_t> since_ns;  ///< and whose @timestamp is not older than this
};

struct RetractionResult {
  uint64_t deleted = 0;
  int passes = 0;  ///< searches made (the last one found nothing)
};

// Refreshes, searches a page of the documents of scope, deletes them with one bulk request,
// and repeats until a search finds none (a request the previous run sent before it died may
// still be landing). Unavailable hosts, 429/5xx and transient blocks are retried with backoff
// within its budget; anything else is an error naming the server's answer.
base::Result<RetractionResult> retract_documents(EsClient& client, const RetractionScope& scope,
                                                 BackoffPolicy& backoff);

// How many documents of scope the server holds (after a refresh): what retract_documents would
// delete now. One attempt; an unavailable server is an error.
base::Result<uint64_t> count_documents(EsClient& client, const RetractionScope& scope);

}  // namespace snapflow::indexer
