// CaptureService: the ring-backed CaptureControl behind the HTTP API.
//
// Named captures are ranges of the one ring kept in its captures catalog (ring/catalog.h).
// capture_start/capture_stop first ask the ring writer thread for a commit and wait for it (at
// most a second), so a capture's bounds are "everything received up to this request". A
// download (open_capture) is a RingReader over [start, stop) of the capture (stop = the
// committed end, for an active capture), as a RecordSource (ring_record_source.h) that the API
// encodes as one nanosecond PCAP stream. Records overwritten before they are read are skipped
// and counted (the stream is shorter than /plain/list said; loss under the overwrite policy,
// never corruption).
//
// Thread-safety: all public functions may be called from any thread; the catalog is guarded by
// a mutex (control path only). The returned streams are independent, one per connection.
#pragma once

#include <memory>
#include <mutex>

#include "snapflow/base/log.h"
#include "snapflow/capture/api.h"
#include "snapflow/capture/spooler.h"
#include "snapflow/capture/status.h"
#include "snapflow/ring/catalog.h"
#include "snapflow/ring/writer.h"

namespace snapflow::capture {

class CaptureService final : public CaptureControl {
 public:
  // Loads the catalog and closes a capture left active by a previous process (at the recovered
  // end of the ring). spooler may be null (no live data: tests, read-only serving).
  static base::Result<std::unique_ptr<CaptureService>> open(ring::RingWriter& writer,
                                                            Spooler* spooler, CaptureStatus& status,
                                                            const base::Logger& log);

  StatusSnapshot status() override;
  base::Result<std::string> start_capture(const std::string& name) override;
  base::Result<std::string> stop_capture() override;
  std::vector<CaptureInfo> list_captures() override;
  base::Result<std::unique_ptr<RecordSource>> open_capture(const std::string& name) override;
  base::Result<std::unique_ptr<extract::RingIndex>> open_ring_index() override;

 private:
  CaptureService(ring::RingWriter& writer, Spooler* spooler, CaptureStatus& status,
                 const base::Logger& log, ring::CaptureCatalog catalog);
  void commit_now();

  ring::RingWriter& writer_;
  Spooler* spooler_;
  CaptureStatus& status_;
  const base::Logger& log_;
  std::mutex mu_;  ///< guards catalog_
  ring::CaptureCatalog catalog_;
};

}  // namespace snapflow::capture
