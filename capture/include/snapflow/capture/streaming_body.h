// Streamed response bodies of the capture API (PCAP downloads), and the PCAP encoder they share.
//
// A StreamingBody produces a response piece by piece on a download slot: one of a few threads
// of the API server reserved for downloads (api-max-downloads), never the event-loop thread, so
// a slow disk read delays only its own download. Each slot double-buffers: while the event loop
// sends one piece, the slot produces the next; when the client reads slower than the disk, the
// slot waits for the client, and when the disk is slower, the connection waits (suspended, no
// polling) for the slot.
//
// Pieces are whole units: the PCAP file header, then whole records. An error in next() ends the
// transfer after the last whole piece without the chunked terminator, so the client sees a
// truncated transfer (curl: "transfer closed with outstanding read data"), never a record cut
// in half followed by more data. Counts known only at the end (records sent, records skipped
// because the ring overwrote them meanwhile) travel as HTTP trailer fields after the last
// chunk; trailer_names() announces them in the response header "Trailer:".
//
// To add a download route (e.g. a time window of the ring, filtered):
//   1. write a RecordSource that yields the records in order and counts those it had to skip;
//      a filter is a RecordSource wrapping another one, dropping records (and counting them
//      in its own trailer, if useful);
//   2. in the route handler (RouteRuns::kDownloadSlot, see api.h), validate the request, open
//      the source (404/416/400 as plain ApiResponses), and return
//      ApiResponse{.stream = std::make_unique<PcapBody>(std::move(source))};
//   3. the server does the rest: slot accounting (503 when all are busy), chunked transfer,
//      trailers, cancellation when the client goes away or the daemon stops.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "snapflow/base/result.h"
#include "snapflow/pcap/record.h"

namespace snapflow::capture {

struct HttpField {
  std::string name;
  std::string value;
};

// One streamed response body. Not thread-safe: one slot thread calls next() and trailers();
// cancel() may be called from any thread.
class StreamingBody {
 public:
  virtual ~StreamingBody() = default;
  // Appends the next piece to out (empty on entry): whole units only, about target_bytes (one
  // unit may overshoot). Returns true while more may follow, false when this was the last piece
  // (out may be empty then). Blocks on I/O; a cancelled body returns kCancelled soon.
  virtual base::Result<bool> next(std::vector<std::byte>& out, size_t target_bytes) = 0;
  // Names of the trailer fields (announced before the body), and their values (called once,
  // after next() returned false).
  virtual std::vector<std::string> trailer_names() const { return {}; }
  virtual std::vector<HttpField> trailers() const { return {}; }
  // Any thread: makes a blocked or later next() return soon (shutdown, client gone).
  virtual void cancel() {}
};

// Records for a PcapBody, in order. Not thread-safe except cancel().
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  virtual uint16_t link_type() const = 0;
  virtual uint32_t snaplen() const = 0;
  // Clears batch and fills it with the next records; returns false at the end (batch empty).
  // A batch may be empty while more follow (e.g. everything in it was skipped).
  virtual base::Result<bool> next_batch(pcap::PacketBatch& batch) = 0;
  // Records that belonged to the requested range but could not be delivered (overwritten).
  virtual uint64_t skipped_records() const = 0;
  virtual void cancel() {}
};

// A nanosecond PCAP stream: the 24-byte file header (link type and snaplen of the source), then
// every record of the source. A piece is handed over when it reaches target_bytes, or, between
// source batches, once 20 ms have passed with something in it: the first bytes (and the records
// of a sparse, filtered source) do not wait for a full piece. Trailers: X-Snapflow-Records
// (records sent) and X-Snapflow-Records-Skipped (source's skipped_records()).
class PcapBody final : public StreamingBody {
 public:
  explicit PcapBody(std::unique_ptr<RecordSource> source);
  base::Result<bool> next(std::vector<std::byte>& out, size_t target_bytes) override;
  std::vector<std::string> trailer_names() const override;
  std::vector<HttpField> trailers() const override;
  void cancel() override;

  uint64_t records_sent() const { return records_sent_; }

 private:
  std::unique_ptr<RecordSource> source_;
  pcap::PacketBatch batch_;
  size_t batch_next_ = 0;  ///< next record of batch_ to encode
  bool header_sent_ = false;
  bool source_done_ = false;
  uint64_t records_sent_ = 0;
  std::atomic<bool> cancelled_{false};
};

}  // namespace snapflow::capture
