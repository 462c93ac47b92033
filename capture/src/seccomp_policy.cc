// The seccomp allow-list (hardening.h, step 2).
//
// The list was measured (strace -f on the running daemon, from its "ready" line to its exit, in
// both source modes: libpcap on a veth pair and DPDK's net_pcap vdev, with captures started,
// stopped, listed and downloaded through the API, the ring wrapping, and SIGTERM), then widened
// only with close relatives of what was seen (e.g. ppoll next to poll, the *at forms of file
// calls) and with what the daemon's own code can reach on rarer paths (ring full: reopen and
// recovery; fdatasync vs fsync; clock reads outside the vDSO). docs/capture.md lists the
// method to re-measure. Not allowed, among others: execve, fork (clone without CLONE_THREAD),
// ptrace, mount, setuid and friends, new sockets, bpf, kernel keyrings, module loading,
// executable memory (mmap/mprotect with PROT_EXEC).
#include <linux/sched.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "hardening.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

// Allowed whatever their arguments.
constexpr const char* kAllowed[] = {
    // memory (mmap and mprotect: below, never executable)
    "brk",
    "munmap",
    "mremap",
    "madvise",
    // threads, time, synchronisation (clone: below, threads only)
    "futex",
    "set_robust_list",
    "get_robust_list",
    "rseq",
    "exit",
    "exit_group",
    "sched_yield",
    "sched_getaffinity",
    "sched_setaffinity",
    "gettid",
    "getpid",
    "getppid",
    "getuid",
    "geteuid",
    "getgid",
    "getegid",
    "tgkill",
    "nanosleep",
    "clock_nanosleep",
    "clock_gettime",
    "clock_getres",
    "gettimeofday",
    "time",
    "getrandom",
    "membarrier",
    "restart_syscall",
    // signals: the signalfd of SIGTERM/SIGINT, and what glibc and libraries do with masks
    "rt_sigprocmask",
    "rt_sigaction",
    "rt_sigreturn",
    "sigaltstack",
    // files: the ring (segments, index, checksums, metadata, catalog, cursors), /sys, /proc
    "read",
    "write",
    "readv",
    "writev",
    "pread64",
    "pwrite64",
    "preadv",
    "pwritev",
    "open",
    "openat",
    "close",
    "fstat",
    "stat",
    "lstat",
    "newfstatat",
    "statx",
    "lseek",
    "fcntl",
    "ftruncate",
    "fallocate",
    "fsync",
    "fdatasync",
    "fadvise64",  // retrieval downloads: sequential read-ahead, then drop what was streamed
    "rename",
    "renameat",
    "renameat2",
    "unlink",
    "unlinkat",
    "mkdir",
    "mkdirat",
    "getdents64",
    "flock",
    "access",
    "faccessat",
    "faccessat2",
    "readlink",
    "readlinkat",
    "umask",
    // waiting: capture sources, the API server (libmicrohttpd), DPDK's interrupt thread
    "poll",
    "ppoll",
    "select",
    "pselect6",
    "epoll_wait",
    "epoll_pwait",
    "epoll_ctl",
    // DPDK's interrupt thread builds a new epoll set each time its interrupt sources change
    // (a memif peer connecting or leaving, a port closed at shutdown, link-state interrupts of
    // physical NICs); an epoll instance is a waiting list, it opens nothing to the outside.
    "epoll_create",
    "epoll_create1",
    "timerfd_settime",
    "timerfd_gettime",
    "eventfd2",
    // sockets already open: API connections, the capture socket, DPDK's telemetry socket
    "accept",
    "accept4",
    "recvfrom",
    "recvmsg",
    "sendto",
    "sendmsg",
    "shutdown",
    "setsockopt",
    "getsockopt",
    "getsockname",
    "getpeername",
};

struct Filter {
  scmp_filter_ctx ctx;
  ~Filter() { seccomp_release(ctx); }
};

// One argument comparison (libseccomp's SCMP_A* macros are C compound literals).
scmp_arg_cmp arg_cmp(unsigned int arg, scmp_compare op, scmp_datum_t a, scmp_datum_t b = 0) {
  scmp_arg_cmp c{};
  c.arg = arg;
  c.op = op;
  c.datum_a = a;
  c.datum_b = b;
  return c;
}

// Allows syscall nr when its argument comparison holds.
int allow_if(scmp_filter_ctx ctx, int nr, const scmp_arg_cmp& cmp) {
  return seccomp_rule_add_array(ctx, SCMP_ACT_ALLOW, nr, 1, &cmp);
}

base::Error seccomp_error(const std::string& what, int rc) {
  return make_error(ErrorCode::kInternal, "seccomp: " + what + ": " + std::strerror(-rc));
}

}  // namespace

base::Result<int> install_seccomp_filter() {
  // KILL_PROCESS (not just the thread) needs API level 3 (kernel >= 4.14).
  if (seccomp_api_get() < 3) {
    return make_error(ErrorCode::kUnsupported,
                      "seccomp: this kernel/libseccomp cannot kill a process on a forbidden "
                      "system call; --seccomp=false runs without the filter");
  }
  Filter f{seccomp_init(SCMP_ACT_KILL_PROCESS)};
  if (f.ctx == nullptr) return make_error(ErrorCode::kInternal, "seccomp_init failed");
  // Every thread (TSYNC also gives them no_new_privs). The kernel logs every kill to the audit
  // log by itself (kernel.seccomp.actions_logged); asking it to log the other non-allow
  // actions too would log each thread start (clone3's ENOSYS below).
  int rc = seccomp_attr_set(f.ctx, SCMP_FLTATR_CTL_TSYNC, 1);
  if (rc != 0) return seccomp_error("filter attributes", rc);
  int allowed = 0;
  for (const char* name : kAllowed) {
    const int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR) continue;  // not a system call on this architecture
    if ((rc = seccomp_rule_add(f.ctx, SCMP_ACT_ALLOW, nr, 0)) != 0) return seccomp_error(name, rc);
    ++allowed;
  }
  // Memory, never executable: nothing is loaded or generated at run time.
  for (const int nr : {SCMP_SYS(mmap), SCMP_SYS(mprotect)}) {  // prot is argument 2 of both
    rc = allow_if(f.ctx, nr, arg_cmp(2, SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
    if (rc != 0) return seccomp_error("mmap/mprotect", rc);
    ++allowed;
  }
  // New threads only (the API server starts one per connection); a fork is not a thread.
  // clone3 passes its flags in memory, where a filter cannot look: it fails with ENOSYS and
  // glibc falls back to clone, whose flags are checked.
  rc = allow_if(f.ctx, SCMP_SYS(clone), arg_cmp(0, SCMP_CMP_MASKED_EQ, CLONE_THREAD, CLONE_THREAD));
  if (rc == 0) rc = seccomp_rule_add(f.ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0);
  if (rc != 0) return seccomp_error("clone", rc);
  ++allowed;
  // Thread names only (libmicrohttpd and the ring name their threads).
  for (const int option : {PR_SET_NAME, PR_GET_NAME}) {
    rc = allow_if(f.ctx, SCMP_SYS(prctl),
                  arg_cmp(0, SCMP_CMP_EQ, static_cast<scmp_datum_t>(option)));
    if (rc != 0) return seccomp_error("prctl", rc);
  }
  ++allowed;
  // Terminal queries only (isatty on the log stream).
  rc = allow_if(f.ctx, SCMP_SYS(ioctl), arg_cmp(1, SCMP_CMP_EQ, static_cast<scmp_datum_t>(TCGETS)));
  if (rc != 0) return seccomp_error("ioctl", rc);
  ++allowed;
  if ((rc = seccomp_load(f.ctx)) != 0) return seccomp_error("load", rc);
  return allowed;
}

base::Status apply_seccomp(const CaptureConfig& config, const base::Logger& log) {
  if (!config.seccomp) {
    log.warning("seccomp: OFF (--seccomp=false): any system call is allowed");
    return base::ok_status();
  }
  auto allowed = install_seccomp_filter();
  if (!allowed) return std::move(allowed).error().context("harden");
  log.info("seccomp: " + std::to_string(*allowed) +
           " system calls allowed in every thread; any other kills the process (SIGSYS, "
           "recorded in the kernel audit log)");
  if (const char* hook = std::getenv("SNAPFLOW_TEST_SECCOMP_VIOLATION"); hook && *hook == '1') {
    log.warning(
        "test hook SNAPFLOW_TEST_SECCOMP_VIOLATION: calling personality(2), which the "
        "filter forbids");
    ::syscall(SYS_personality, 0xffffffffUL);
    log.error("test hook: the forbidden system call returned: the filter is not working");
    std::_Exit(3);
  }
  return base::ok_status();
}

}  // namespace snapflow::capture
