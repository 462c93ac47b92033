// FlowId: what a flow table compares per packet instead of the 48-byte flow key
// (docs/decisions/0059-keyed-flow-ids.md).
//
// A FlowId is XXH3-128 of the key under a secret drawn once per engine from the system's
// random source, with the lowest bit of its upper half set (127 bits left). The flow table
// trusts it as the key: two keys with the same id would be counted as one flow. With a secret
// nobody outside the process knows, no traffic can be crafted towards such a merge, and by
// chance it is about n^2 / 2^128 for n flows in one table (3e-27 for a million). Ids never leave
// the process: document ids, snapflow.flow_id and the shard of a flow come from the key and
// packet::flow_hash(), so output does not depend on the secret.
#pragma once

#include <array>
#include <cstdint>

#include "snapflow/packet/flow_key.h"

namespace snapflow::pcap2json {

struct FlowId {
  uint64_t low = 0;
  uint64_t high = 0;
  friend bool operator==(const FlowId&, const FlowId&) = default;
};

class FlowIdKey {
 public:
  static constexpr size_t kSecretBytes = 192;  ///< XXH3's default secret size
  using Secret = std::array<uint8_t, kSecretBytes>;

  // A secret from std::random_device (getrandom(2) on Linux).
  FlowIdKey();
  explicit FlowIdKey(const Secret& secret) : secret_(secret) {}

  FlowId operator()(const packet::FlowKey& key) const;

 private:
  Secret secret_;
};

}  // namespace snapflow::pcap2json
