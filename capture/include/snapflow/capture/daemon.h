// The snapflow-capture daemon's lifecycle, kept out of main() so main stays a thin shell.
//
// Order (STYLE.md 25): block SIGTERM/SIGINT (before any thread exists, so only the signalfd
// sees them), umask(077), open the sources (privileged: raw sockets, NICs), open the ring
// (recovery), start the spooler, start the API, print the readiness line on stderr, then wait
// on the signalfd. On a signal (or a fatal error in a capture/writer thread): stop the API,
// stop the sources, drain the queues into the ring, commit, close the ring.
#pragma once

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/capture/config.h"

namespace snapflow::capture {

// Runs until SIGTERM/SIGINT; ok on a clean shutdown, the first fatal error otherwise.
base::Status run_daemon(const CaptureConfig& config, const base::Logger& log);

}  // namespace snapflow::capture
