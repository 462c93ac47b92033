// Parsing of _bulk responses (simdjson On Demand). Requests ask for
// filter_path=errors,items.*.status,items.*.error so a response is small: when errors is
// false the items are not even looked at.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"

namespace snapflow::indexer {

// What to do with one document after the server answered for it.
enum class ItemOutcome : uint8_t {
  kIndexed,         ///< 200/201: stored now
  kAlreadyPresent,  ///< 409 on create: a document is stored under the id (then verified)
  kRetry,           ///< 429/502/503/504: the server is busy or a node is down; resend later
  kReject,          ///< any other failure (mapping, parse): dead-letter it
};

ItemOutcome classify_item_status(int status);

struct BulkItemError {
  size_t index = 0;  ///< position of the document in the request
  int status = 0;    ///< per-item HTTP status
  ItemOutcome outcome = ItemOutcome::kReject;
  std::string type;    ///< error.type, e.g. mapper_parsing_exception
  std::string reason;  ///< error.reason plus caused_by.reason when present
};

struct BulkResponse {
  bool errors = false;  ///< the response's top-level flag
  size_t items = 0;     ///< items in the response (0 when errors is false: not parsed)
  size_t indexed = 0;
  size_t already_present = 0;  ///< 409s; their positions are in present (ascending)
  std::vector<size_t> present;
  // Only items that were not indexed and not already present (retry or reject).
  std::vector<BulkItemError> failures;
};

// Parses a bulk response body. expected_items is the number of documents sent; when errors
// is true, the response must hold exactly that many items (otherwise kFormat: the server's
// answer cannot be matched to what was sent, so nothing is assumed).
base::Result<BulkResponse> parse_bulk_response(std::string_view body, size_t expected_items);

// The query string every bulk request carries.
inline constexpr std::string_view kBulkFilterPath =
    "filter_path=errors,items.*.status,items.*.error";

}  // namespace snapflow::indexer
