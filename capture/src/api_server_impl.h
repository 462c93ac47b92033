// Internals of ApiServer shared by its files: api_server.cc (start, stop, housekeeping),
// api_dispatch.cc (the libmicrohttpd callbacks: admission, authentication, routing),
// api_worker.cc (the worker thread) and api_download.cc (download slots and streaming).
//
// Threads and who touches what:
//   * the event loop (libmicrohttpd's internal epoll thread) runs every callback, builds and
//     queues responses, and suspends a connection whose handler runs elsewhere;
//   * the worker thread and the download slot threads run handlers and produce bodies; they
//     touch a connection only through MHD_resume_connection(), which libmicrohttpd allows from
//     any thread, and only while that connection is suspended (a suspended connection is never
//     closed by libmicrohttpd, so the pointer stays valid);
//   * the housekeeping thread enforces header deadlines and writes the bounded summary lines.
// Ownership: a DeferredCall and a Download are shared (shared_ptr) between the event loop's
// per-request state, the thread running them and the libmicrohttpd response, so whichever
// lets go last frees them.
#pragma once

#include <microhttpd.h>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "snapflow/capture/api.h"
#include "snapflow/capture/api_security.h"

namespace snapflow::capture {

class Download;

// A request whose handler runs off the event loop. The runner writes answer (and download),
// sets answered (release), then resumes the connection; the event loop, called again for the
// request, reads them after seeing answered (acquire).
struct DeferredCall {
  MHD_Connection* connection = nullptr;
  const ApiRoute* route = nullptr;
  ApiRequest request;
  ApiResponse answer;
  std::shared_ptr<Download> download;  ///< set when the answer streams a body
  std::atomic<bool> answered{false};
};

// The streaming state of one download: two pieces of `piece_bytes` circulate between the slot
// thread (which fills them from the StreamingBody) and the event loop (which copies them into
// libmicrohttpd's send buffer). Thread-safe (one mutex).
class Download {
 public:
  // unfinished counts Downloads not yet abandoned (it must outlive this Download).
  Download(MHD_Connection* connection, std::unique_ptr<StreamingBody> body, size_t piece_bytes,
           std::atomic<int>* unfinished);
  void set_response(MHD_Response* response);  ///< event loop, once, before the first read()
  // Taken from the body at construction (slot thread), so the event loop never touches the body.
  const std::vector<std::string>& trailer_names() const { return trailer_names_; }

  // Event loop: libmicrohttpd's content reader. Copies ready bytes, or suspends the connection
  // and returns 0 when none are ready yet (the slot resumes it).
  ssize_t read(char* buf, size_t max);
  // Slot thread: produces until the body ends, fails or is cancelled; then waits until the
  // response is gone (abandon) or the server stops (cancel), so a slot is held for the whole
  // download.
  void produce(const base::Logger& log);
  // Any thread: the response is gone (finished, client left); stop producing.
  void abandon();
  // Any thread: stop now; the client sees a truncated transfer (server shutdown).
  void cancel();

 private:
  void wake_locked();  ///< resumes the connection if read() suspended it

  MHD_Connection* const connection_;
  const std::unique_ptr<StreamingBody> body_;
  const size_t piece_bytes_;
  const std::vector<std::string> trailer_names_;
  std::atomic<int>* const unfinished_;
  std::mutex mu_;
  std::condition_variable cv_;
  MHD_Response* response_ = nullptr;
  std::deque<std::vector<std::byte>> ready_;  ///< produced, not yet sent (front first)
  std::vector<std::vector<std::byte>> spare_;
  size_t front_offset_ = 0;  ///< bytes of ready_.front() already sent
  bool suspended_ = false;
  bool finished_ = false;
  bool failed_ = false;
  bool cancelled_ = false;
  bool abandoned_ = false;
  bool trailers_added_ = false;
  std::vector<HttpField> trailers_;
};

// The api-max-downloads slots: one thread each, running a kDownloadSlot handler and then
// producing its body. Thread-safe.
class DownloadSlots {
 public:
  DownloadSlots(uint32_t count, size_t piece_bytes, ApiContext context, const base::Logger& log);
  ~DownloadSlots();
  // Event loop: hands the call (its connection already suspended) to a free slot; false when
  // every slot is busy or the server is stopping.
  bool submit(std::shared_ptr<DeferredCall> call);
  // Cancels running downloads and joins the threads (after which submit() fails).
  void stop();
  uint64_t started() const { return started_.load(std::memory_order_relaxed); }
  // Downloads whose response still exists (being sent, or cut and not yet reaped).
  int unfinished() const { return unfinished_.load(std::memory_order_acquire); }

 private:
  struct Slot {
    std::thread thread;
    std::shared_ptr<DeferredCall> job;
    std::shared_ptr<Download> download;
  };
  void run(Slot& slot);

  const size_t piece_bytes_;
  ApiContext context_;
  const base::Logger& log_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Slot>> slots_;
  bool stopping_ = false;
  std::atomic<uint64_t> started_{0};
  std::atomic<int> unfinished_{0};
};

// One thread running kWorker handlers in arrival order from a bounded queue. Thread-safe.
class Worker {
 public:
  Worker(size_t max_queued, ApiContext context);
  ~Worker();
  // Event loop: queues the call (its connection already suspended); false when the queue is
  // full or the server is stopping.
  bool submit(std::shared_ptr<DeferredCall> call);
  // Finishes the running call, answers the queued ones 503, joins the thread.
  void stop();

 private:
  void run();

  const size_t max_queued_;
  ApiContext context_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<DeferredCall>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

// Per-request state of the event loop (libmicrohttpd's con_cls).
struct RequestState {
  ConnectionTable::Entry* entry = nullptr;  ///< the connection's accounting entry
  std::shared_ptr<DeferredCall> call;       ///< set while a handler runs off the loop
};

struct ApiServer::Impl {
  explicit Impl(CaptureControl& c) : context{c} {}
  ApiServerOptions options;
  ApiContext context;
  const base::Logger* log = nullptr;
  MHD_Daemon* daemon = nullptr;
  std::unique_ptr<ConnectionTable> connections;
  std::unique_ptr<AuthThrottle> throttle;
  std::optional<CsrfTokens> csrf;
  std::unique_ptr<Worker> worker;
  std::unique_ptr<DownloadSlots> downloads;
  std::atomic<bool> stopping{false};
  std::atomic<uint64_t> downloads_refused{0};
  std::atomic<uint64_t> worker_refused{0};
  // housekeeping thread
  std::thread housekeeping;
  std::mutex housekeeping_mu;
  std::condition_variable housekeeping_cv;
  bool housekeeping_stop = false;
};

// The libmicrohttpd callbacks (api_dispatch.cc); cls is the ApiServer::Impl.
MHD_Result accept_policy(void* cls, const sockaddr* addr, socklen_t addrlen);
void on_connection(void* cls, MHD_Connection* connection, void** socket_context,
                   MHD_ConnectionNotificationCode code);
MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url, const char* method,
                      const char* version, const char* upload_data, size_t* upload_data_size,
                      void** con_cls);
void on_completed(void* cls, MHD_Connection* connection, void** con_cls,
                  MHD_RequestTerminationCode code);

// Responses "503 busy" answered by the worker or a slot that cannot take a call.
ApiResponse busy_response(std::string_view what, uint32_t retry_after_s);

}  // namespace snapflow::capture
