// The retrieval side of the capture API (docs/capture.md "Retrieval over HTTP"), private to
// snapflow::capture: downloads of a ring's records through core/extract, shared by
// /pcap/splittime and /pcap/single, and the helpers the retrieval routes share.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api_handlers.h"
#include "snapflow/extract/extract.h"

namespace snapflow::capture {

// The limits in force: the server's, or the defaults for a context without them.
const RetrievalLimits& retrieval_limits(const ApiContext& context);

// An answer for a failed extract/ring call: 400 kInvalidArgument, 404 kNotFound, 503
// kUnavailable (the writer lapped the lookup: retry), 500 otherwise.
ApiResponse error_response(const base::Error& error, std::string_view what);

// A query parameter as an optional view (absent = nullopt).
std::optional<std::string_view> optional_arg(const ApiRequest& request, std::string_view name);

// Plans and starts a download of the ring's records for a validated request text and answers
// with it: 200 and a streamed PCAP/PCAPNG body (trailers X-Snapflow-Records and
// X-Snapflow-Records-Skipped), or 400 (bad times, filters, window too long), 404 (no such
// capture), 416 (window outside the ring or capture: the body and the headers
// X-Snapflow-Oldest-Ns / X-Snapflow-Newest-Ns say what is there).
ApiResponse ring_download(std::unique_ptr<extract::RingIndex> index,
                          const extract::RequestText& text, const RetrievalLimits& limits);

// The body of a ring download: Extractor::next_piece() on a download slot. Each call reads at
// most about 1 MiB of records and hands over what it has after 20 ms, so a narrow filter over
// a long window still streams its first matches early and a cancellation is seen quickly.
class ExtractBody final : public StreamingBody {
 public:
  explicit ExtractBody(std::unique_ptr<extract::Extractor> extractor);
  base::Result<bool> next(std::vector<std::byte>& out, size_t target_bytes) override;
  std::vector<std::string> trailer_names() const override;
  std::vector<HttpField> trailers() const override;
  void cancel() override;

 private:
  std::unique_ptr<extract::Extractor> extractor_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace snapflow::capture
