// EAL initialisation shared by the DPDK capture source and the DPDK forwarder datapath (one of
// them per process: rte_eal_init may run once). Compiled only with DPDK.
#pragma once

#include <string>

#include "snapflow/base/result.h"
#include "snapflow/capture/config.h"

namespace snapflow::capture {

// rte_eal_init with --dpdk-eal-args; adds --file-prefix=snapflow-PID unless one is given, so
// concurrent processes never share runtime files.
base::Status init_eal(const DpdkConfig& config);

std::string rte_error(std::string_view what, int rc);

}  // namespace snapflow::capture
