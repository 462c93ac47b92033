// Private glue between the source registry (source.cc) and the backends, one .cc each.
#pragma once

#include <memory>
#include <string_view>
#include <vector>

#include "snapflow/base/log.h"
#include "snapflow/capture/config.h"
#include "snapflow/capture/source.h"

namespace snapflow::capture {

using SourceFactory = base::Result<std::vector<std::unique_ptr<PacketSource>>> (*)(
    const CaptureConfig&, const base::Logger&);

// Backends. make_dpdk_sources exists only when snapflow is built with DPDK (source_dpdk.cc).
base::Result<std::vector<std::unique_ptr<PacketSource>>> make_pcap_sources(
    const CaptureConfig& config, const base::Logger& log);
base::Result<std::vector<std::unique_ptr<PacketSource>>> make_dpdk_sources(
    const CaptureConfig& config, const base::Logger& log);

// Link state and speed of a Linux interface from /sys/class/net (down/0 when unknown).
LinkInfo read_link_info(std::string_view iface);

}  // namespace snapflow::capture
