#include "snapflow/pcap2json/input.h"

namespace snapflow::pcap2json {

base::Result<Pulled> FileInput::next(pcap::PacketBatch& batch, size_t max_packets) {
  if (cancelled_.load(std::memory_order_relaxed)) {
    batch.clear();
    Pulled pulled;
    pulled.end = true;
    pulled.interrupted = true;
    return pulled;
  }
  auto n = reader_->next_batch(batch, max_packets);
  if (!n.ok()) return std::move(n).error();
  Pulled pulled;
  pulled.packets = *n;
  pulled.end = *n == 0;
  return pulled;
}

InputProgress FileInput::progress() const {
  const pcap::ReaderStats& s = reader_->stats();
  return {s.input_bytes, reader_->size_bytes(), s.records, s.wire_bytes};
}

}  // namespace snapflow::pcap2json
