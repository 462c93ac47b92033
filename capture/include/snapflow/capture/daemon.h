// The snapflow-capture daemon's lifecycle, kept out of main() so main stays a thin shell.
//
// Order (STYLE.md 25): block SIGTERM/SIGINT (before any thread exists, so only the signalfd
// sees them), umask(077), open the sources (privileged: raw sockets, NICs), open the ring
// (recovery), read the API settings, drop root (hardening.h), start the spooler, start the
// API, install the seccomp filter, print the readiness line on stderr, then wait on the
// signalfd (SIGHUP: reload the forwarder's rules). On SIGTERM/SIGINT (or a fatal error in a
// capture/writer thread): stop the API, stop the sources, drain the queues into the ring,
// commit, close the ring.
#pragma once

#include <functional>

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/capture/config.h"

namespace snapflow::capture {

// Re-reads the configuration (the same command line and --config file) on SIGHUP.
using ConfigReloader = std::function<base::Result<CaptureConfig>()>;

// Runs until SIGTERM/SIGINT; ok on a clean shutdown, the first fatal error otherwise. SIGHUP
// reloads the forwarder's rules (--forward-rule) through reload; other settings need a restart.
base::Status run_daemon(const CaptureConfig& config, const base::Logger& log,
                        const ConfigReloader& reload = {});

}  // namespace snapflow::capture
