// Pcap2JsonConfig: every setting of the pcap2json command, parsed and validated in one place.
#pragma once

#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/pcap/reader.h"
#include "snapflow/pcap2json/pipeline.h"

namespace snapflow::pcap2json {

struct Pcap2JsonConfig {
  std::vector<std::string> inputs;  ///< paths; "-" is stdin
  std::string output = "-";         ///< path or "-" for stdout
  bool gzip = false;
  bool show_stats = false;
  enum class ProgressMode { kAuto, kOn, kOff } progress = ProgressMode::kAuto;
  pcap::ReaderOptions reader;
  PipelineOptions pipeline;
  bool show_help = false;
  bool show_version = false;
};

// Parses argv. Errors name the offending flag: "--interval: duration '5parsecs': unknown unit".
base::Result<Pcap2JsonConfig> parse_command_line(int argc, char** argv);

// Checks cross-field constraints (e.g. --gzip with --es-host, interval range).
base::Status validate(Pcap2JsonConfig& config);

std::string usage_text();

}  // namespace snapflow::pcap2json
