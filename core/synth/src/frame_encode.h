// Encoding half of FrameBuilder: turns the pushed layers into bytes, innermost first.
#pragma once

#include <cstddef>
#include <vector>

#include "snapflow/synth/frame_builder.h"

namespace snapflow::synth::detail {

// Encodes layers (outermost first) into one frame with every length, checksum and
// next-protocol field filled in.
std::vector<std::byte> encode_layers(const std::vector<Layer>& layers);

// RFC 1071 ones'-complement sum over bytes, folded, not yet inverted; `initial` chains sums.
uint32_t ones_complement_sum(const std::byte* data, size_t size, uint32_t initial = 0);
uint16_t fold_checksum(uint32_t sum);

// CRC-32C (Castagnoli), as SCTP uses it.
uint32_t crc32c(const std::byte* data, size_t size);

}  // namespace snapflow::synth::detail
