// The ring's records between two positions as a RecordSource (streaming_body.h): what
// /pcap/single streams for a named capture, and the building block of other ring downloads.
//
// A RingReader (not following) positioned at start delivers records until the ring-wide record
// number reaches stop.packets. Records overwritten before they are read (overwrite policy,
// while a long download runs or before it starts) are skipped: the reader reports a gap and
// resumes at the oldest surviving record; skipped_records() counts those of [start, stop).
#pragma once

#include <memory>
#include <string>

#include "snapflow/base/result.h"
#include "snapflow/capture/streaming_body.h"
#include "snapflow/ring/ring.h"

namespace snapflow::capture {

base::Result<std::unique_ptr<RecordSource>> open_ring_records(const std::string& ring_dir,
                                                              const ring::RingPosition& start,
                                                              const ring::RingPosition& stop);

}  // namespace snapflow::capture
