// The indexer's names for the document types, which live in core/document
// (snapflow/document/batch.h) so that producers and file outputs do not depend on the indexer.
#pragma once

#include "snapflow/document/batch.h"

namespace snapflow::indexer {

using document::DocumentBatch;
using document::DocumentSink;
using document::SinkAccount;

}  // namespace snapflow::indexer
