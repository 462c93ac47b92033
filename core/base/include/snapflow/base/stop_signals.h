// StopSignals: SIGINT and SIGTERM as readable events on a file descriptor (signalfd), never as
// asynchronous handlers, so a program stops by finishing what it was doing: it checks
// pending() between units of work, or a thread waits in wait() and then asks the work to end.
//
// create() blocks the two signals in the calling thread. Call it in main before any thread
// starts: threads inherit the mask, so no thread is ever interrupted and the signals stay
// pending until read here. The object keeps no global state; the mask stays blocked after it
// is destroyed (a program that no longer listens must not die of a late signal while it exits).
//
// Thread-safety: wait()/pending() from one thread at a time; interrupt() and received() from any.
#pragma once

#include <atomic>
#include <memory>

#include "snapflow/base/result.h"

namespace snapflow::base {

class StopSignals {
 public:
  static Result<StopSignals> create();
  StopSignals(StopSignals&& other) noexcept;
  StopSignals& operator=(StopSignals&&) = delete;
  StopSignals(const StopSignals&) = delete;
  ~StopSignals();

  // Waits up to timeout_ms (-1: without limit) for SIGINT or SIGTERM. Returns the signal
  // number, or 0 on timeout or when interrupt() was called. A signal is consumed by the call
  // that returns it; received() remembers it.
  int wait(int timeout_ms);
  // A signal that arrived and was not yet returned, without waiting: its number, or 0.
  int pending() { return wait(0); }
  // Wakes a thread blocked in wait() (it returns 0), now or at its next call: how a watcher
  // thread is told to end when the program is done.
  void interrupt();
  // The last signal wait()/pending() returned, 0 if none.
  int received() const { return received_->load(std::memory_order_acquire); }
  // Readable when a signal (or interrupt()) is pending, for callers that poll several fds.
  int signal_fd() const { return signal_fd_; }

 private:
  StopSignals(int signal_fd, int wake_fd);

  int signal_fd_ = -1;
  int wake_fd_ = -1;  ///< eventfd written by interrupt()
  // Boxed so that moving the object keeps one address for threads reading it.
  std::unique_ptr<std::atomic<int>> received_;
};

}  // namespace snapflow::base
