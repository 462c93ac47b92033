// Process hardening of snapflow-capture, in steps around the start of its threads (STYLE.md 25;
// the calls are in capture/src/daemon.cc):
//
//   0. privileges.cc, before the first thread starts (started as root, switching users): empty
//      the capability bounding set. It is per thread and inherited, so every thread, DPDK's
//      included, gets the empty one; the capabilities in use are not affected.
//   1. privileges.cc, once the sources and the ring are open and the API settings read, before
//      any thread writes the ring or serves a request: when started as root, give the ring
//      directory to --user (default "snapflow"), switch every thread to that user and group
//      (glibc applies setgroups/setres[ug]id to all threads; leaving uid 0 clears every thread's
//      capabilities), and check /proc/self/task/*/status that no thread kept a capability or
//      root's uid. Nothing the daemon does after start-up needs a capability: the sources are
//      open, the ring files belong to the user, the API binds as the user (so --api-listen needs
//      a port >= 1024). Started as another user, it drops what the main thread holds and refuses
//      to run if another thread still holds any.
//   2. seccomp_policy.cc, once the spooler runs and the API listens, before the daemon reports
//      ready: a seccomp allow-list for every thread (TSYNC), no_new_privs set; any other system
//      call kills the whole process with SIGSYS and the kernel's audit log records it
//      (type=1326, with the syscall number).
//
// Test hook (documented in docs/capture.md, for tests only): with
// SNAPFLOW_TEST_SECCOMP_VIOLATION=1 in the environment, the daemon calls a forbidden system call
// right after installing the filter, which must kill it.
#pragma once

#include "snapflow/base/log.h"
#include "snapflow/base/result.h"
#include "snapflow/capture/config.h"

namespace snapflow::capture {

// Step 0, before any thread exists (started as root, switching users): empties the capability
// bounding set, which every thread inherits.
base::Status empty_bounding_set(const CaptureConfig& config);

// Step 1. Blocks on the directory walk of ring_dir only.
base::Status drop_privileges(const CaptureConfig& config, const base::Logger& log);

// The allow-list itself; returns how many system calls (or groups of them) it allows.
base::Result<int> install_seccomp_filter();

// Step 2 as configured (seccomp = false skips it, loudly), and the test hook.
base::Status apply_seccomp(const CaptureConfig& config, const base::Logger& log);

}  // namespace snapflow::capture
