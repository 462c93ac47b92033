#include "dpdk_eal.h"

#include <rte_eal.h>
#include <rte_errno.h>
#include <unistd.h>

#include <vector>

namespace snapflow::capture {

std::string rte_error(std::string_view what, int rc) {
  return std::string(what) + ": " + rte_strerror(rc < 0 ? -rc : rc);
}

base::Status init_eal(const DpdkConfig& config) {
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
  return {};
}

}  // namespace snapflow::capture
