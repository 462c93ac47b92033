// EncoderConfig: what the flow encoder (snapflows, "other", totals, gaps) and the packet
// encoder (--json-packet) are configured with, and its validation. One header for both, so a
// setting means the same thing in either (docs/json.md).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::pcap2json {

class CloudAnnotator;  // cloud_annotation.h

enum class DocumentFormat : uint8_t { kEcs, kFmadio };
std::string_view to_string(DocumentFormat format);
base::Result<DocumentFormat> parse_document_format(std::string_view text);  // "ecs" | "fmadio"

struct EncoderConfig {
  DocumentFormat format = DocumentFormat::kEcs;
  bool bulk_form = true;  ///< action lines for the _bulk API; false = plain NDJSON
  std::string observer;   ///< observer.name (any text; escaped)
  std::string capture;    ///< labels.capture (any text; escaped)
  int64_t interval_ns = 100'000'000;
  std::string index_prefix = "snapflow";                 ///< flow/totals/gap documents
  std::string packet_index_prefix = "snapflow-packets";  ///< --json-packet documents
  bool community_id = true;  ///< network.community_id (one SHA-1 per document)
  // --pcap-link-base: the capture API's base URL (https://probe1:8480). When set, every ECS
  // flow document carries snapflow.pcap_link, the /pcap/splittime URL of its packets
  // (filter::pcap_link over its snapshot's own window and flow key). Empty: no link, no cost.
  std::string pcap_link_base;
  // --forward-rules / --mirror-sessions: capture mode, rule and mirror session of flow
  // documents (cloud_annotation.h). Null: none, at no cost.
  std::shared_ptr<const CloudAnnotator> cloud;
};

// Checks what the encoders rely on: interval > 0, valid index prefixes, a link base that
// filter::validate_pcap_link_base() accepts (http/https, no credentials, JSON-safe).
base::Status validate(const EncoderConfig& config);

}  // namespace snapflow::pcap2json
