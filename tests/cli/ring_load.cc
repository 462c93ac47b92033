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

#include <cstdint>
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
  // The record count first (a second pass over the file), when --uncommitted needs it.
  uint64_t count = UINT64_MAX;
  if (kill && uncommitted > 0) {
    if (input == "-") fail("--uncommitted needs a file, not stdin");
    auto counter = pcap::PacketReader::open(input);
    if (!counter.ok()) fail(counter.error().to_string());
    pcap::PacketBatch batch;
    count = 0;
    while (true) {
      auto n = (*counter)->next_batch(batch, 4096);
      if (!n.ok()) fail(n.error().to_string());
      if (*n == 0) break;
      count += *n;
    }
  }
  const uint64_t commit_at =
      count == UINT64_MAX || uncommitted > count ? count : count - uncommitted;
  auto reader = pcap::PacketReader::open(input);
  if (!reader.ok()) fail(reader.error().to_string());
  auto writer = ring::RingWriter::open(config);
  if (!writer.ok()) fail(writer.error().to_string());
  ring::RingWriter& w = **writer;
  auto catalog = ring::CaptureCatalog::open(config.dir);
  if (!catalog.ok()) fail(catalog.error().to_string());
  // Catalog entries at record i: committed first, so the position is the writer's "now".
  auto mark = [&](uint64_t i, int64_t ts) {
    for (const Capture& c : captures) {
      if (c.first != i && c.last != i) continue;
      if (auto st = w.commit(); !st.ok()) fail(st.error().to_string());
      auto st = c.first == i ? catalog->start(c.name, w.committed_position(), ts)
                             : catalog->stop(w.committed_position(), ts);
      if (!st.ok()) fail(st.error().to_string());
    }
  };
  uint64_t i = 0;
  int64_t last_ts = 0;
  pcap::PacketBatch batch;
  while (true) {
    auto n = (*reader)->next_batch(batch, 1024);
    if (!n.ok()) fail(n.error().to_string());
    if (*n == 0) break;
    for (const auto& r : batch.records) {
      mark(i, r.ts_ns);
      if (i == commit_at) {
        if (auto st = w.commit(); !st.ok()) fail(st.error().to_string());
      }
      auto st = w.append(r.ts_ns, r.bytes(), r.wire_length);
      if (!st.ok()) fail(st.error().to_string());
      last_ts = r.ts_ns;
      ++i;
    }
  }
  mark(i, last_ts + 1);
  if (commit_at == UINT64_MAX || commit_at >= i) {
    if (auto st = w.commit(); !st.ok()) fail(st.error().to_string());
  }
  if (kill) {
    std::fflush(stderr);
    ::_exit(0);  // no close(): what a killed daemon leaves behind
  }
  if (auto st = w.close(); !st.ok()) fail(st.error().to_string());
  return 0;
}
