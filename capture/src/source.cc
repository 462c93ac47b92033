// The source registry: backends by name, chosen at startup. Which backends exist is decided by
// CMake (source_dpdk.cc is compiled only with DPDK); this table is the one place that knows.
#include <array>
#include <fstream>
#include <string>

#include "source_impl.h"

namespace snapflow::capture {
namespace {

struct Backend {
  std::string_view prefix;  ///< matched against the start of --source
  SourceFactory factory;
};

constexpr std::array kBackends = {
    Backend{"pcap:", &make_pcap_sources},
#if SNAPFLOW_HAVE_DPDK
    Backend{"dpdk", &make_dpdk_sources},
#endif
};

}  // namespace

void prepare_batch(pcap::PacketBatch& batch, size_t storage_bytes, size_t max_packets) {
  if (batch.storage.size() < storage_bytes) batch.storage.resize(storage_bytes);
  batch.records.reserve(max_packets);
  batch.clear();
}

std::vector<std::string_view> available_sources() {
  std::vector<std::string_view> names;
  for (const auto& b : kBackends) names.push_back(b.prefix);
  return names;
}

base::Result<std::vector<std::unique_ptr<PacketSource>>> make_sources(const CaptureConfig& config,
                                                                      const base::Logger& log) {
  for (const auto& b : kBackends) {
    if (config.source.rfind(b.prefix, 0) == 0) {
      auto sources = b.factory(config, log);
      if (!sources) return std::move(sources).error().context("open --source=" + config.source);
      return sources;
    }
  }
  std::string known;
  for (const auto& b : kBackends) known.append(known.empty() ? "" : ", ").append(b.prefix);
  return base::make_error(base::ErrorCode::kUnsupported,
                          "--source=" + config.source + ": this build supports " + known);
}

LinkInfo read_link_info(std::string_view iface) {
  LinkInfo info;
  std::string base = "/sys/class/net/" + std::string(iface) + "/";
  std::ifstream oper(base + "operstate");
  std::string state;
  if (oper >> state) info.up = state == "up" || state == "unknown";
  std::ifstream speed(base + "speed");
  long long mbps = 0;
  if (speed >> mbps && mbps > 0) info.speed_mbps = static_cast<uint64_t>(mbps);
  return info;
}

}  // namespace snapflow::capture
