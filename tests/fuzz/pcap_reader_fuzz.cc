// Fuzzes the pcap/pcapng readers, strict and skip_bad_records, through a memfd with a tiny
// batch so records straddle chunks, and parts begun where the clock steps back by over 1 ms.
// Traps if a record escapes its batch's storage, claims more captured than wire bytes, or
// (strict) a batch's first record number does not follow the records before it.
#include <sys/mman.h>
#include <unistd.h>

#include <cstdint>

#include "snapflow/pcap/reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace snapflow::pcap;
  for (bool skip : {false, true}) {
    int fd = ::memfd_create("pcap_fuzz", MFD_CLOEXEC);
    if (fd < 0 || ::write(fd, data, size) != static_cast<ssize_t>(size)) __builtin_trap();
    ::lseek(fd, 0, SEEK_SET);
    ReaderOptions options;
    options.skip_bad_records = skip;
    options.batch_bytes = 256;
    options.max_captured_length = 4096;
    options.new_part_after_step_back_ns = 1'000'000;
    auto reader = PacketReader::open_fd(fd, "fuzz", options);
    PacketBatch batch;
    volatile uint8_t sink = 0;  // keeps the byte reads from being optimised away
    uint64_t records = 0;
    while (reader.ok()) {
      auto got = (*reader)->next_batch(batch, 8);
      if (!got.ok() || *got == 0) break;
      if (!skip && batch.first_record_number != records + 1) __builtin_trap();
      records += batch.size();
      const std::byte* begin = batch.storage.data();
      const std::byte* end = begin + batch.storage.size();
      for (const PacketRecord& r : batch.records) {
        if (r.captured_length > r.wire_length || r.data < begin || r.data + r.captured_length > end)
          __builtin_trap();
        for (std::byte b : r.bytes()) sink = sink ^ static_cast<uint8_t>(b);
      }
    }
    ::close(fd);
  }
  return 0;
}
