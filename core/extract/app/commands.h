// The snapflow-pcap commands. Each returns the process exit status on success (0, or 3 for a
// window outside the ring, 4 for an extraction that lost overwritten records) and an Error on
// failure (main maps kInvalidArgument to 2, everything else to 1).
#pragma once

#include "cli_config.h"

namespace snapflow::extract::cli {

base::Result<int> run_info(const CliConfig& config);
base::Result<int> run_list(const CliConfig& config);
base::Result<int> run_view(const CliConfig& config);
base::Result<int> run_split(const CliConfig& config);
base::Result<int> run_extract(const CliConfig& config);
base::Result<int> run_bandwidth(const CliConfig& config);

}  // namespace snapflow::extract::cli
