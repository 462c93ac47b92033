#include "dpdk_eal.h"

#include <pthread.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <sched.h>
#include <unistd.h>

#include <vector>

namespace snapflow::capture {

std::string rte_error(std::string_view what, int rc) {
  return std::string(what) + ": " + rte_strerror(rc < 0 ? -rc : rc);
}

base::Status init_eal(const DpdkConfig& config, bool keep_affinity) {
  cpu_set_t before;
  CPU_ZERO(&before);
  const bool saved =
      keep_affinity && pthread_getaffinity_np(pthread_self(), sizeof before, &before) == 0;
  // rte_eal_init takes a mutable argv and may permute it; keep the strings alive here.
  std::vector<std::string> args = {"snapflow-capture"};
  args.insert(args.end(), config.eal_args.begin(), config.eal_args.end());
  bool has_prefix = false;
  for (const auto& a : args) has_prefix = has_prefix || a.rfind("--file-prefix", 0) == 0;
  if (!has_prefix) args.push_back("--file-prefix=snapflow-" + std::to_string(::getpid()));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  if (rte_eal_init(static_cast<int>(args.size()), argv.data()) < 0) {
    return base::make_error(base::ErrorCode::kUnavailable, rte_error("rte_eal_init", rte_errno))
        .context("--dpdk-eal-args");
  }
  if (saved) pthread_setaffinity_np(pthread_self(), sizeof before, &before);
  return {};
}

int main_lcore_cpu() {
  const rte_cpuset_t set = rte_lcore_cpuset(rte_get_main_lcore());
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) return cpu;
  }
  return -1;
}

}  // namespace snapflow::capture
