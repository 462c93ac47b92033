// Points in time as users and URLs write them: the one parser behind the Start=/Stop= URL
// parameters, the CLI's --start/--stop and the filter block frame.time.
//
// Accepted forms (all UTC unless an offset is given), result in ns since the Unix epoch:
//   1434793018780588947         epoch nanoseconds
//   1434793018780588947ULL      the same with fmadio's C-literal suffix (as its URLs carry it)
//   2015-06-20T09:36:58.780588947Z, 2015-06-20T09:36:58+02:00, 2015-06-20 09:36:58.5Z
//                               RFC 3339: 0-9 fraction digits, Z or +-HH:MM ('T', 't' or ' ')
//   20150620_09:36:58.780.588.947, 20150620_09:36:58.780, 20150620_09:36:58
//                               fmadio's filter form: ms.us.ns groups of three digits
// Times before 1970 or after 2262-04-11 (the int64 ns range) are rejected. Pure functions,
// thread-safe, no allocation except for error messages.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"

namespace snapflow::filter {

// Parses one point in time; the error (kInvalidArgument) quotes the text and lists the forms.
base::Result<int64_t> parse_time_ns(std::string_view text);

// "20261123_000001": the UTC second of ts_ns, safe in file names (used for split names).
std::string format_compact_second(int64_t ts_ns);

}  // namespace snapflow::filter
