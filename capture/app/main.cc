// snapflow-capture: packets from a NIC (libpcap or DPDK) into the SSD ring, with the HTTP API.
// Thin shell: parse and validate the one config struct, run the daemon, map errors to exit codes
// (0 clean stop, 1 runtime failure, 2 bad configuration).
#include <cstdio>
#include <exception>
#include <string>

#include "snapflow/base/log.h"
#include "snapflow/capture/config.h"
#include "snapflow/capture/daemon.h"

int main(int argc, char** argv) {
  using namespace snapflow;
  try {
    bool help = false;
    auto config = capture::parse_command_line(argc, argv, &help);
    if (help) {
      std::fputs(capture::usage_text().c_str(), stdout);
      return 0;
    }
    if (!config) {
      std::fprintf(stderr, "snapflow-capture: %s\n", config.error().to_string().c_str());
      return 2;
    }
    if (auto st = capture::load_credentials(*config); !st.ok()) {
      std::fprintf(stderr, "snapflow-capture: %s\n", st.error().to_string().c_str());
      return 2;
    }
    if (auto st = capture::validate(*config); !st.ok()) {
      std::fprintf(stderr, "snapflow-capture: %s\n", st.error().to_string().c_str());
      return 2;
    }
    base::Logger log("snapflow-capture", config->log_level);
    // SIGHUP re-reads the same command line and --config file (the forwarder's rules).
    auto reload = [argc, argv]() -> base::Result<capture::CaptureConfig> {
      auto fresh = capture::parse_command_line(argc, argv, nullptr);
      if (!fresh) return fresh;
      if (auto st = capture::load_credentials(*fresh); !st.ok()) return std::move(st).error();
      if (auto st = capture::validate(*fresh); !st.ok()) return std::move(st).error();
      return fresh;
    };
    if (auto st = capture::run_daemon(*config, log, reload); !st.ok()) {
      log.error(st.error().to_string());
      return 1;
    }
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "snapflow-capture: %s\n", e.what());
    return 1;
  }
}
