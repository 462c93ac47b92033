#include "snapflow/pcap2json/flow_id.h"

// The header's own inline implementation: XXH3 specialised for a 48-byte key here, instead of
// a call into the shared library's general entry point per packet.
#define XXH_INLINE_ALL
#include <xxhash.h>

#include <random>

namespace snapflow::pcap2json {

static_assert(FlowIdKey::kSecretBytes >= XXH3_SECRET_SIZE_MIN);

FlowIdKey::FlowIdKey() : secret_{} {
  std::random_device random;
  for (size_t i = 0; i < secret_.size(); i += sizeof(uint32_t)) {
    const uint32_t word = random();
    for (size_t b = 0; b < sizeof word; ++b) secret_[i + b] = static_cast<uint8_t>(word >> (8 * b));
  }
}

FlowId FlowIdKey::operator()(const packet::FlowKey& key) const {
  const XXH128_hash_t h = XXH3_128bits_withSecret(&key, sizeof key, secret_.data(), secret_.size());
  // The upper half odd: a flow table marks its empty and deleted entries with an even one.
  return FlowId{h.low64, h.high64 | 1};
}

}  // namespace snapflow::pcap2json
