#include "snapflow/pcap2json/encoder_config.h"

#include "snapflow/filter/pcap_link.h"
#include "snapflow/pcap2json/document_id.h"

namespace snapflow::pcap2json {

std::string_view to_string(DocumentFormat format) {
  return format == DocumentFormat::kFmadio ? "fmadio" : "ecs";
}

base::Result<DocumentFormat> parse_document_format(std::string_view text) {
  if (text == "ecs") return DocumentFormat::kEcs;
  if (text == "fmadio") return DocumentFormat::kFmadio;
  return base::make_error(base::ErrorCode::kInvalidArgument,
                          "format '" + std::string(text) + "': expected ecs or fmadio");
}

base::Status validate(const EncoderConfig& config) {
  if (config.interval_ns <= 0) {
    return base::make_error(
        base::ErrorCode::kInvalidArgument,
        "interval must be positive, got " + std::to_string(config.interval_ns) + " ns");
  }
  SNAPFLOW_TRY_STATUS(validate_index_prefix(config.index_prefix), "encoder config");
  SNAPFLOW_TRY_STATUS(validate_index_prefix(config.packet_index_prefix), "encoder config");
  if (!config.pcap_link_base.empty()) {
    SNAPFLOW_TRY_STATUS(filter::validate_pcap_link_base(config.pcap_link_base), "--pcap-link-base");
  }
  return base::ok_status();
}

}  // namespace snapflow::pcap2json
