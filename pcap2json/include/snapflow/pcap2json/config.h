// Pcap2JsonConfig: every setting of the pcap2json command, parsed and validated in one place.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/indexer/config.h"
#include "snapflow/pcap/reader.h"
#include "snapflow/pcap2json/pipeline.h"
#include "snapflow/pcap2json/ring_input.h"

namespace snapflow::pcap2json {

struct Pcap2JsonConfig {
  std::vector<std::string> inputs;  ///< paths; "-" is stdin
  std::string output = "-";         ///< path or "-" for stdout
  bool gzip = false;
  bool show_stats = false;
  enum class ProgressMode { kAuto, kOn, kOff } progress = ProgressMode::kAuto;
  pcap::ReaderOptions reader;
  std::optional<int64_t> clock_step_ns;  ///< --clock-step (reader.new_part_after_step_back_ns)
  pcap::FileSelection files;             ///< --shard
  PipelineOptions pipeline;
  bool use_ring = false;  ///< --ring DIR: read the capture ring instead of files
  enum class Degrade { kAuto, kOn, kOff } degrade = Degrade::kAuto;  ///< --degrade
  RingInputOptions ring;
  // --forward-rules / --mirror-sessions: the capture daemon's state files ("" = the default:
  // RING/state/<file> when reading --ring and it exists; "none" = off).
  std::string forward_rules;
  std::string mirror_sessions;
  bool upload = false;             ///< an --es-* host was given: upload instead of writing
  indexer::IndexerConfig indexer;  ///< --es-* flags
  bool show_help = false;
  bool show_version = false;
};

// Parses argv. Errors name the offending flag: "--interval: duration '5parsecs': unknown unit".
base::Result<Pcap2JsonConfig> parse_command_line(int argc, char** argv);

// Checks cross-field constraints (e.g. --gzip with --es-host, interval range).
base::Status validate(Pcap2JsonConfig& config);

std::string usage_text();

}  // namespace snapflow::pcap2json
