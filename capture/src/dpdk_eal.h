// EAL initialisation shared by the DPDK capture source and the DPDK forwarder datapath (one of
// them per process: rte_eal_init may run once). Compiled only with DPDK.
#pragma once

#include <string>

#include "snapflow/base/result.h"
#include "snapflow/capture/config.h"

namespace snapflow::capture {

// rte_eal_init with --dpdk-eal-args; adds --file-prefix=snapflow-PID unless one is given, so
// concurrent processes never share runtime files. rte_eal_init pins the calling thread to the
// main lcore's CPU, and every thread created later inherits that; with keep_affinity the
// caller's CPU set is restored afterwards, so only the threads that pin themselves (the
// forwarder's datapath) occupy the lcore's CPU and the rest of the daemon does not compete.
base::Status init_eal(const DpdkConfig& config, bool keep_affinity = false);

// The CPU of the EAL's main lcore (-l / --main-lcore), or -1.
int main_lcore_cpu();

std::string rte_error(std::string_view what, int rc);

}  // namespace snapflow::capture
