// Test tool (not installed): loads a capture file into a new ring with the real RingWriter, the
// way the capture daemon spools packets, for the command-line tests of snapflow-pcap.
//   ring_load --ring DIR [--segment-bytes N] [--segments N] [--capture NAME:FIRST:LAST]...
//             [--kill [--uncommitted N]] INPUT.pcap
// --capture records a named capture from record FIRST to record LAST (0-based, exclusive) in the
// catalog at the committed positions, as capture_start/capture_stop do. --kill ends the process
// without closing the ring (a killed daemon): the active segment stays active, and the last N
// records (--uncommitted) are appended after the last commit, so they may reach the file but
// are never committed.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "snapflow/pcap/reader.h"
#include "snapflow/ring/catalog.h"
#include "snapflow/ring/writer.h"

namespace {

struct Capture {
  std::string name;
  uint64_t first = 0;
  uint64_t last = 0;
};

[[noreturn]] void fail(const std::string& what) {
  std::fprintf(stderr, "ring_load: %s\n", what.c_str());
  std::exit(1);
}

}  // namespace

int main(int argc, char** argv) {
  using namespace snapflow;
  ring::RingConfig config;
  config.segment_bytes = 1 << 20;
  config.segment_count = 64;
  config.write_block_bytes = 64 << 10;
  config.index_interval_bytes = 64 << 10;
  std::vector<Capture> captures;
  bool kill = false;
  uint64_t uncommitted = 0;
  std::string input;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) fail(arg + ": missing value");
      return argv[++i];
    };
    if (arg == "--ring") {
      config.dir = value();
    } else if (arg == "--segment-bytes") {
      config.segment_bytes = std::stoull(value());
    } else if (arg == "--segments") {
      config.segment_count = static_cast<uint32_t>(std::stoul(value()));
    } else if (arg == "--capture") {
      const std::string v = value();
      const size_t a = v.find(':');
      const size_t b = v.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) fail("--capture NAME:FIRST:LAST");
      captures.push_back(
          {v.substr(0, a), std::stoull(v.substr(a + 1, b - a - 1)), std::stoull(v.substr(b + 1))});
    } else if (arg == "--kill") {
      kill = true;
    } else if (arg == "--uncommitted") {
      uncommitted = std::stoull(value());
    } else {
      input = arg;
    }
  }
  if (config.dir.empty() || input.empty()) fail("usage: ring_load --ring DIR [...] INPUT.pcap");
  auto reader = pcap::PacketReader::open(input);
  if (!reader.ok()) fail(reader.error().to_string());
  auto writer = ring::RingWriter::open(config);
  if (!writer.ok()) fail(writer.error().to_string());
  ring::RingWriter& w = **writer;
  std::vector<pcap::PacketRecord> all;
  std::vector<std::vector<std::byte>> bytes;
  pcap::PacketBatch batch;
  while (true) {
    auto n = (*reader)->next_batch(batch, 1024);
    if (!n.ok()) fail(n.error().to_string());
    if (*n == 0) break;
    for (const auto& r : batch.records) {
      bytes.emplace_back(r.data, r.data + r.captured_length);
      pcap::PacketRecord copy = r;
      all.push_back(copy);
    }
  }
  const uint64_t count = all.size();
  const uint64_t committed_count = kill && uncommitted < count ? count - uncommitted : count;
  auto catalog = ring::CaptureCatalog::open(config.dir);
  if (!catalog.ok()) fail(catalog.error().to_string());
  for (uint64_t i = 0; i <= count; ++i) {
    for (const Capture& c : captures) {
      if (c.first != i && c.last != i) continue;
      if (auto st = w.commit(); !st.ok()) fail(st.error().to_string());
      const ring::RingPosition at = w.committed_position();
      const int64_t ts = i < count ? all[i].ts_ns : all.back().ts_ns + 1;
      auto st = c.first == i ? catalog->start(c.name, at, ts) : catalog->stop(at, ts);
      if (!st.ok()) fail(st.error().to_string());
    }
    if (i == committed_count) {
      if (auto st = w.commit(); !st.ok()) fail(st.error().to_string());
    }
    if (i == count) break;
    auto st = w.append(all[i].ts_ns, bytes[i], all[i].wire_length);
    if (!st.ok()) fail(st.error().to_string());
  }
  if (kill) {
    std::fflush(stderr);
    ::_exit(0);  // no close(): what a killed daemon leaves behind
  }
  if (auto st = w.close(); !st.ok()) fail(st.error().to_string());
  return 0;
}
