#include <xxhash.h>

#include <cstring>
#include <memory>

#include "snapflow/pcap/record.h"

namespace snapflow::pcap {

InputId fingerprint_first_record(const PacketRecord& record) {
  // Fixed-width little-endian fields, then the bytes: the same on every machine.
  uint8_t header[18];
  auto put = [&](size_t at, uint64_t value, size_t width) {
    for (size_t i = 0; i < width; ++i) header[at + i] = static_cast<uint8_t>(value >> (8 * i));
  };
  put(0, static_cast<uint64_t>(record.ts_ns), 8);
  put(8, record.wire_length, 4);
  put(12, record.captured_length, 4);
  put(16, record.link_type, 2);
  // Once per input: the allocation of the streaming state does not matter.
  std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> state(XXH3_createState(),
                                                                 &XXH3_freeState);
  XXH3_128bits_reset(state.get());
  XXH3_128bits_update(state.get(), header, sizeof header);
  XXH3_128bits_update(state.get(), record.data, record.captured_length);
  XXH128_canonical_t canonical;
  XXH128_canonicalFromHash(&canonical, XXH3_128bits_digest(state.get()));
  InputId id;
  std::memcpy(id.data(), canonical.digest, id.size());
  return id;
}

}  // namespace snapflow::pcap
