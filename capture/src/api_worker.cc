// The API's worker thread: runs handlers that may block (RouteRuns::kWorker) one at a time, so
// the event loop never waits for a ring commit or a lock (see api_server_impl.h).
#include "api_server_impl.h"

namespace snapflow::capture {

Worker::Worker(size_t max_queued, ApiContext context)
    : max_queued_(max_queued), context_(context), thread_([this] { run(); }) {}

Worker::~Worker() {
  stop();
}

bool Worker::submit(std::shared_ptr<DeferredCall> call) {
  std::lock_guard lock(mu_);
  if (stopping_ || queue_.size() >= max_queued_) return false;
  queue_.push_back(std::move(call));
  cv_.notify_one();
  return true;
}

void Worker::run() {
  std::unique_lock lock(mu_);
  while (true) {
    cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) break;  // stopping, nothing left
    std::shared_ptr<DeferredCall> call = std::move(queue_.front());
    queue_.pop_front();
    const bool answer_busy = stopping_;
    lock.unlock();
    call->answer = answer_busy ? busy_response("the server is stopping", 5)
                               : handle_request(call->request, context_);
    call->answered.store(true, std::memory_order_release);  // before the resume
    MHD_resume_connection(call->connection);
    lock.lock();
  }
}

void Worker::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace snapflow::capture
