// snapflow-pcap's command line: one validated config struct (STYLE 17).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"
#include "snapflow/extract/extract.h"
#include "snapflow/extract/split.h"

namespace snapflow::extract::cli {

enum class Command { kInfo, kList, kView, kSplit, kExtract, kBandwidth };
enum class TextFormat { kCsv, kJson };

struct CliConfig {
  Command command = Command::kInfo;
  std::string ring_dir;
  // As given (absent = nullopt): --start --stop --stream --filter --bpf, --format of extract.
  std::optional<std::string> start, stop, stream, filter, bpf, output_format;
  TextFormat text_format = TextFormat::kCsv;  ///< info/list/view/split --format csv|json
  std::optional<SplitMode> view;              ///< split --view
  size_t max_rows = kDefaultMaxSplitRows;
  std::optional<std::string> points;  ///< bandwidth --points
  std::string output = "-";           ///< extract -o FILE|-
  bool progress = true;               ///< progress bar when stderr is a terminal
  bool help = false;

  // Views of the strings above (valid while this config lives), for make_request().
  RequestText request_text() const {
    auto as_view = [](const std::optional<std::string>& s) {
      return s ? std::optional<std::string_view>(*s) : std::nullopt;
    };
    return {as_view(start),  as_view(stop), as_view(stream),
            as_view(filter), as_view(bpf),  as_view(output_format)};
  }
};

// Parses and validates argv; errors (kInvalidArgument) name the flag.
base::Result<CliConfig> parse_command_line(int argc, char** argv);
const char* usage_text();

}  // namespace snapflow::extract::cli
