// Test tool: writes the records of capture files into a ring with RingWriter, timestamps as
// they are (snapflow-capture stamps packets with the capture time; tests of time handling and
// of damaged segments need rings with chosen times and no root). Not installed.
//   ring_from_pcap RING_DIR SEGMENT_BYTES SEGMENT_COUNT CHECKSUM_BLOCK_BYTES FILE...
// Prints "records N wire_bytes W" on stdout; exit 1 with one line on stderr on failure.
#include <cstdio>
#include <string>

#include "snapflow/pcap/reader.h"
#include "snapflow/ring/writer.h"

int main(int argc, char** argv) {
  using namespace snapflow;
  if (argc < 6) {
    std::fputs(
        "usage: ring_from_pcap RING_DIR SEGMENT_BYTES SEGMENT_COUNT CHECKSUM_BLOCK FILE...\n",
        stderr);
    return 2;
  }
  ring::RingConfig config;
  config.dir = argv[1];
  config.segment_bytes = std::stoull(argv[2]);
  config.segment_count = static_cast<uint32_t>(std::stoul(argv[3]));
  config.checksum_block_bytes = std::stoull(argv[4]);
  config.write_block_bytes = 256 << 10;
  uint64_t records = 0, wire = 0;
  std::unique_ptr<ring::RingWriter> writer;
  for (int i = 5; i < argc; ++i) {
    auto reader = pcap::PacketReader::open(argv[i]);
    if (!reader.ok()) {
      std::fprintf(stderr, "ring_from_pcap: %s\n", reader.error().to_string().c_str());
      return 1;
    }
    pcap::PacketBatch batch;
    while (true) {
      auto n = (*reader)->next_batch(batch, 1024);
      if (!n.ok()) {
        std::fprintf(stderr, "ring_from_pcap: %s\n", n.error().to_string().c_str());
        return 1;
      }
      if (*n == 0) break;
      if (!writer) {
        config.link_type = batch.records.front().link_type;
        auto w = ring::RingWriter::open(config);
        if (!w.ok()) {
          std::fprintf(stderr, "ring_from_pcap: %s\n", w.error().to_string().c_str());
          return 1;
        }
        writer = std::move(*w);
      }
      if (auto st = writer->append_batch(batch.records); !st.ok()) {
        std::fprintf(stderr, "ring_from_pcap: %s\n", st.error().to_string().c_str());
        return 1;
      }
      records += batch.size();
      for (const auto& r : batch.records) wire += r.wire_length;
    }
  }
  if (writer) {
    if (auto st = writer->close(); !st.ok()) {
      std::fprintf(stderr, "ring_from_pcap: %s\n", st.error().to_string().c_str());
      return 1;
    }
  }
  std::printf("records %llu wire_bytes %llu\n", static_cast<unsigned long long>(records),
              static_cast<unsigned long long>(wire));
  return 0;
}
