// snapflow-pcap: PCAP retrieval from a capture ring without the daemon (info, list, view,
// split, extract, bandwidth). Thin shell: parse and validate the config, run the command, map
// errors to exit codes (0 done, 1 failure, 2 bad command line or input, 3 window outside the ring,
// 4 extracted with overwritten records missing).
#include <cstdio>
#include <exception>

#include "cli_config.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace snapflow::extract::cli;
  try {
    auto config = parse_command_line(argc, argv);
    if (!config.ok()) {
      std::fprintf(stderr, "snapflow-pcap: %s\n", config.error().message().c_str());
      return 2;
    }
    if (config->help) {
      std::fputs(usage_text(), stdout);
      return 0;
    }
    snapflow::base::Result<int> status = 1;
    switch (config->command) {
      case Command::kInfo:
        status = run_info(*config);
        break;
      case Command::kList:
        status = run_list(*config);
        break;
      case Command::kView:
        status = run_view(*config);
        break;
      case Command::kSplit:
        status = run_split(*config);
        break;
      case Command::kExtract:
        status = run_extract(*config);
        break;
      case Command::kBandwidth:
        status = run_bandwidth(*config);
        break;
    }
    if (!status.ok()) {
      std::fprintf(stderr, "snapflow-pcap: %s\n", status.error().message().c_str());
      return status.error().code() == snapflow::base::ErrorCode::kInvalidArgument ? 2 : 1;
    }
    std::fflush(stdout);
    return *status;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "snapflow-pcap: %s\n", e.what());
    return 1;
  }
}
