// Verifying a 409: when a bulk `create` answers "version conflict" for a document, the server
// already holds a document under that _id. Deterministic ids make that the normal answer to a
// retry or a re-run, but only if the stored document is the one being sent; anything else (a
// different input that hashed to the same id, a document written by another tool, a re-run
// with other options) must not count as delivered. So the indexer fetches the conflicting ids
// with _mget and compares each stored _source with the source line it sent, byte for byte
// (both servers return _source exactly as it was indexed).
//
// Also here: what a document counts (its packets and wire bytes), read from its source only on
// the rare paths where a document is refused, to keep the run's account exact.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/indexer/bulk_request.h"

namespace snapflow::indexer {

enum class StoredMatch : uint8_t {
  kSame,       ///< the stored document is byte-identical: already present
  kDifferent,  ///< another document is stored under the id: a conflict, never "present"
  kMissing,    ///< nothing is stored (deleted since the 409): send it again
};

struct StoredCheck {
  StoredMatch match = StoredMatch::kMissing;
  std::string id;      ///< the document's _id (for messages)
  std::string stored;  ///< kDifferent: the stored source, cut to 512 bytes (for messages)
};

// The _mget body fetching the documents at `indices` of request (index and id from each
// action line). Fails if an action line is not a create/index action with _index and _id.
base::Result<std::string> mget_body(const BulkRequest& request, const std::vector<size_t>& indices);

// Compares an _mget response (docs in request order) with the documents sent.
base::Result<std::vector<StoredCheck>> compare_stored(std::string_view response,
                                                      const BulkRequest& request,
                                                      const std::vector<size_t>& indices);

// Packets and wire bytes a snapflow document counts: network.packets/network.bytes of a flow
// document (event.dataset snapflow.flow, "other" documents included; TotalPkt/TotalByte in
// fmadio form), 1 and network.bytes of a packet document, nothing for totals, gap and anything
// else. `document` is the bulk-form
// bytes (action line + source line) or a bare source line.
struct CountedTraffic {
  uint64_t packets = 0;
  uint64_t bytes = 0;
};
CountedTraffic counted_traffic(std::string_view document);

}  // namespace snapflow::indexer
