// Download slots: the threads that run kDownloadSlot handlers and produce their bodies, and the
// Download that hands the produced pieces to the event loop (see api_server_impl.h).
#include <cstring>

#include "api_server_impl.h"

namespace snapflow::capture {

namespace {
// A piece may overshoot its target by one record: reserve for the largest PCAP record.
constexpr size_t kLargestRecordBytes = 16 + 262144;
}  // namespace

Download::Download(MHD_Connection* connection, std::unique_ptr<StreamingBody> body,
                   size_t piece_bytes, std::atomic<int>* unfinished)
    : connection_(connection),
      body_(std::move(body)),
      piece_bytes_(piece_bytes),
      trailer_names_(body_->trailer_names()),
      unfinished_(unfinished) {
  unfinished_->fetch_add(1, std::memory_order_relaxed);
  spare_.resize(2);
  for (auto& piece : spare_) piece.reserve(piece_bytes_ + kLargestRecordBytes);
}

void Download::set_response(MHD_Response* response) {
  std::lock_guard lock(mu_);
  response_ = response;
}

void Download::wake_locked() {
  if (suspended_ && !abandoned_) {
    suspended_ = false;
    MHD_resume_connection(connection_);
  }
}

ssize_t Download::read(char* buf, size_t max) {
  std::lock_guard lock(mu_);
  if (!ready_.empty()) {
    std::vector<std::byte>& piece = ready_.front();
    const size_t n = std::min(max, piece.size() - front_offset_);
    std::memcpy(buf, piece.data() + front_offset_, n);
    front_offset_ += n;
    if (front_offset_ == piece.size()) {
      piece.clear();
      spare_.push_back(std::move(piece));
      ready_.pop_front();
      front_offset_ = 0;
      cv_.notify_all();
    }
    return static_cast<ssize_t>(n);
  }
  // Everything produced was sent: only now may an error end the transfer, so the client holds
  // whole records up to the cut.
  if (failed_ || cancelled_) return MHD_CONTENT_READER_END_WITH_ERROR;
  if (finished_) {
    if (!trailers_added_ && response_ != nullptr) {
      for (const HttpField& f : trailers_) {
        MHD_add_response_footer(response_, f.name.c_str(), f.value.c_str());
      }
      trailers_added_ = true;
    }
    return MHD_CONTENT_READER_END_OF_STREAM;
  }
  // Nothing ready: park the connection (no polling) until the slot has the next piece.
  suspended_ = true;
  MHD_suspend_connection(connection_);
  return 0;
}

void Download::produce(const base::Logger& log) {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return !spare_.empty() || cancelled_ || abandoned_; });
    if (cancelled_ || abandoned_) break;
    std::vector<std::byte> piece = std::move(spare_.back());
    spare_.pop_back();
    lock.unlock();
    auto more = body_->next(piece, piece_bytes_);
    lock.lock();
    if (!more) {
      failed_ = true;
      if (!cancelled_ && !abandoned_) {
        log.warning("api: download cut short: " + more.error().to_string());
      }
    } else {
      if (!*more) {
        finished_ = true;
        trailers_ = body_->trailers();
      }
    }
    if (!failed_ && !piece.empty()) {
      ready_.push_back(std::move(piece));
    } else {
      piece.clear();
      spare_.push_back(std::move(piece));
    }
    wake_locked();
    if (failed_ || finished_) break;
  }
  // The slot stays taken until the client has the last byte (or left): that is what
  // api-max-downloads bounds.
  cv_.wait(lock, [&] { return abandoned_ || cancelled_; });
}

void Download::abandon() {
  std::lock_guard lock(mu_);
  if (!abandoned_) unfinished_->fetch_sub(1, std::memory_order_release);
  abandoned_ = true;
  body_->cancel();
  cv_.notify_all();
}

void Download::cancel() {
  std::lock_guard lock(mu_);
  cancelled_ = true;
  body_->cancel();
  wake_locked();  // read() then ends the transfer
  cv_.notify_all();
}

DownloadSlots::DownloadSlots(uint32_t count, size_t piece_bytes, ApiContext context,
                             const base::Logger& log)
    : piece_bytes_(piece_bytes), context_(context), log_(log) {
  for (uint32_t i = 0; i < count; ++i) slots_.push_back(std::make_unique<Slot>());
  for (auto& slot : slots_) slot->thread = std::thread([this, s = slot.get()] { run(*s); });
}

DownloadSlots::~DownloadSlots() {
  stop();
}

bool DownloadSlots::submit(std::shared_ptr<DeferredCall> call) {
  std::lock_guard lock(mu_);
  if (stopping_) return false;
  for (auto& slot : slots_) {
    if (slot->job) continue;
    slot->job = std::move(call);
    started_.fetch_add(1, std::memory_order_relaxed);
    cv_.notify_all();
    return true;
  }
  return false;
}

void DownloadSlots::run(Slot& slot) {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || slot.job != nullptr; });
    if (!slot.job) break;  // stopping, idle
    std::shared_ptr<DeferredCall> call = slot.job;
    lock.unlock();

    ApiResponse answer = handle_request(call->request, context_);
    std::shared_ptr<Download> download;
    if (answer.stream && call->request.method != "HEAD") {
      download = std::make_shared<Download>(call->connection, std::move(answer.stream),
                                            piece_bytes_, &unfinished_);
    }
    answer.stream.reset();  // HEAD: headers only
    call->download = download;
    call->answer = std::move(answer);
    lock.lock();
    slot.download = download;
    if (stopping_ && download) download->cancel();
    lock.unlock();
    // answered before the resume: the event loop, called again, must see the answer.
    call->answered.store(true, std::memory_order_release);
    MHD_resume_connection(call->connection);

    if (download) download->produce(log_);
    lock.lock();
    slot.job.reset();
    slot.download.reset();
  }
}

void DownloadSlots::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& slot : slots_) {
      if (slot->download) slot->download->cancel();
    }
    cv_.notify_all();
  }
  for (auto& slot : slots_) {
    if (slot->thread.joinable()) slot->thread.join();
  }
}

}  // namespace snapflow::capture
