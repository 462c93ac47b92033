// Parsers of the values people type: command-line flags and config-file settings of every
// snapflow program (pcap2json, snapflow-index, snapflow-capture, snapflow-gen) go through these,
// so a count, a size or a duration is written the same way everywhere.
//
//   whole numbers  decimal digits only: "0", "8192". No sign, spaces, "0x" or suffix.
//   integers       the same with an optional leading '-'.
//   sizes          a whole number of bytes with an optional binary suffix, any case:
//                  K = 2^10, M = 2^20, G = 2^30, T = 2^40, each optionally followed by "B" or
//                  "iB" ("512K", "8MB", "64MiB", "1G"), or a bare "B" ("4096B").
//   durations      a whole number with a unit: ns, us, ms, s, m or min, h, d ("100ms", "2s",
//                  "30d"); a bare number is nanoseconds.
// Every function rejects empty text, trailing garbage and overflow, and returns kInvalidArgument
// with a message that quotes the text. Callers add the flag or setting name in front.
#pragma once

#include <cstdint>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::base {

// "expected a whole number, got 'x'".
Result<uint64_t> parse_uint(std::string_view text);
// "expected a whole number from MIN to MAX, got 'x'".
Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max);
// "expected an integer, got 'x'".
Result<int64_t> parse_int(std::string_view text);
// "expected a size such as 4096, 512K, 64M, 1G, got 'x'"; "size 'x' overflows".
Result<uint64_t> parse_size_bytes(std::string_view text);
// "duration 'x': <why>" (see the top of this file for the units).
Result<int64_t> parse_duration_ns(std::string_view text);

}  // namespace snapflow::base
