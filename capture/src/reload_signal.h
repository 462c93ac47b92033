// ReloadSignal: SIGHUP as a readable event (signalfd), like base::StopSignals for SIGINT and
// SIGTERM. create() blocks SIGHUP in the calling thread; call it before any thread starts so
// that every thread inherits the mask and the signal waits here until read. The daemon checks
// pending() between its waits for a stop signal and reloads the forwarder's rules.
#pragma once

#include "snapflow/base/result.h"

namespace snapflow::capture {

class ReloadSignal {
 public:
  static base::Result<ReloadSignal> create();
  ReloadSignal(ReloadSignal&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  ReloadSignal& operator=(ReloadSignal&&) = delete;
  ReloadSignal(const ReloadSignal&) = delete;
  ~ReloadSignal();

  // True (once per signal burst) when SIGHUP arrived since the last call; never blocks.
  bool pending();

 private:
  explicit ReloadSignal(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace snapflow::capture
