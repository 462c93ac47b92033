// Dropping root (hardening.h, step 1).
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "hardening.h"
#include "snapflow/capture/cloud_config.h"
#include "snapflow/forward/mirror_sessions.h"
#include "snapflow/forward/rule_history.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

base::Error os_error(const std::string& what) {
  return make_error(ErrorCode::kIo, what + ": " + std::strerror(errno));
}

struct Account {
  uid_t uid = 0;
  gid_t gid = 0;
};

base::Result<Account> look_up(const std::string& name) {
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  const int rc = ::getpwnam_r(name.c_str(), &pw, buf.data(), buf.size(), &found);
  if (rc != 0 || found == nullptr) {
    return make_error(ErrorCode::kNotFound,
                      "--user=" + name +
                          ": no such user (create it, e.g. useradd --system --no-create-home "
                          "--shell /usr/sbin/nologin " +
                          name + ", or name another with --user)");
  }
  return Account{pw.pw_uid, pw.pw_gid};
}

// Gives the ring directory and what it holds (one level of subdirectories: cursors/) to the
// user, without following symbolic links, so the daemon can create and replace its files once
// it runs as that user.
base::Status give_ring_to(const std::string& dir, const Account& to, int depth = 0) {
  if (::fchownat(AT_FDCWD, dir.c_str(), to.uid, to.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return os_error("chown " + dir);
  }
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) return os_error("open directory " + dir);
  while (const dirent* e = ::readdir(d.get())) {
    const std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    const std::string path = dir + "/" + name;
    if (e->d_type == DT_DIR && depth == 0) {
      SNAPFLOW_TRY_STATUS(give_ring_to(path, to, depth + 1), "ring directory");
    } else if (::fchownat(::dirfd(d.get()), name.c_str(), to.uid, to.gid, AT_SYMLINK_NOFOLLOW) !=
               0) {
      return os_error("chown " + path);
    }
  }
  return base::ok_status();
}

// The cloud modes' state directory (--state-dir) when it is not the ring's own state/ (which
// give_ring_to covers): the rules API rewrites the rules file and a restart the sessions file
// after the switch, so the user needs the directory and the daemon's files in it. Only those
// names are given away: the operator may point --state-dir at a directory holding other files.
// Nothing to do when it does not exist (no cloud mode).
base::Status give_state_dir_to(const CaptureConfig& config, const Account& to) {
  const std::string dir = state_dir(config);
  if (dir == config.ring_dir + "/state" || ::access(dir.c_str(), F_OK) != 0) {
    return base::ok_status();
  }
  if (::fchownat(AT_FDCWD, dir.c_str(), to.uid, to.gid, AT_SYMLINK_NOFOLLOW) != 0) {
    return os_error("chown " + dir);
  }
  for (const std::string_view name : {forward::kRulesFileName, forward::kMirrorSessionsFileName}) {
    const std::string path = dir + "/" + std::string(name);
    if (::fchownat(AT_FDCWD, path.c_str(), to.uid, to.gid, AT_SYMLINK_NOFOLLOW) != 0 &&
        errno != ENOENT) {
      return os_error("chown " + path);
    }
  }
  return base::ok_status();
}

// Empties the calling thread's capabilities (effective, permitted, inheritable, ambient).
base::Status clear_capabilities() {
  std::unique_ptr<std::remove_pointer_t<cap_t>, int (*)(void*)> caps(cap_init(), &cap_free);
  if (!caps || cap_set_proc(caps.get()) != 0) return os_error("cap_set_proc(empty)");
  if (CAP_AMBIENT_SUPPORTED() && cap_reset_ambient() != 0) return os_error("cap_reset_ambient");
  return base::ok_status();
}

// Every thread of the process: its uid and whether it holds any capability, from
// /proc/self/task/TID/status. Returns the first thread that breaks the rule, or "".
std::string thread_with_privileges(uid_t want_uid) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir("/proc/self/task"), &::closedir);
  if (!d) return "(cannot read /proc/self/task)";
  while (const dirent* e = ::readdir(d.get())) {
    if (e->d_name[0] == '.') continue;
    std::ifstream status(std::string("/proc/self/task/") + e->d_name + "/status");
    std::string line;
    bool ok = true;
    while (std::getline(status, line)) {
      if (line.rfind("Uid:", 0) == 0) {
        unsigned long r = 0, eff = 0, saved = 0, fs = 0;
        ok &= std::sscanf(line.c_str(), "Uid: %lu %lu %lu %lu", &r, &eff, &saved, &fs) == 4 &&
              r == want_uid && eff == want_uid && saved == want_uid && fs == want_uid;
      } else if (line.rfind("CapEff:", 0) == 0 || line.rfind("CapPrm:", 0) == 0 ||
                 line.rfind("CapAmb:", 0) == 0) {
        ok &= line.find_first_not_of("0\t ", line.find(':') + 1) == std::string::npos;
      }
    }
    if (!ok) return std::string("thread ") + e->d_name;
  }
  return "";
}

}  // namespace

base::Status empty_bounding_set(const CaptureConfig& config) {
  if (::geteuid() != 0 || config.user == "root") return base::ok_status();
  // The bounding set limits what any execve could gain (the seccomp filter forbids execve
  // anyway). It is per thread and inherited, so it goes before the first thread starts; it
  // needs CAP_SETPCAP, which root still has. The capabilities in use are not affected.
  for (cap_value_t c = 0; c <= CAP_LAST_CAP; ++c) {
    if (CAP_IS_SUPPORTED(c) && cap_drop_bound(c) != 0) {
      return os_error("drop capability " + std::to_string(c) + " from the bounding set");
    }
  }
  return base::ok_status();
}

base::Status drop_privileges(const CaptureConfig& config, const base::Logger& log) {
  if (::geteuid() != 0) {
    // Not root: no other user to become. Whatever capabilities were granted (file or ambient
    // capabilities) are dropped in this thread; threads that already exist keep theirs, which
    // is refused below rather than left to chance.
    SNAPFLOW_TRY_STATUS(clear_capabilities(), "drop capabilities");
    if (const std::string t = thread_with_privileges(::getuid()); !t.empty()) {
      return make_error(ErrorCode::kUnsupported,
                        t + " still holds capabilities: start snapflow-capture as root (it "
                            "switches to --user) or without capabilities");
    }
    log.info("privileges: running as uid " + std::to_string(::getuid()) +
             " (not started as root: --user not applied), no capabilities");
    return base::ok_status();
  }
  if (config.user == "root") {
    log.warning(
        "privileges: --user=root: the daemon keeps running as root with every "
        "capability (not recommended)");
    return base::ok_status();
  }
  auto account = look_up(config.user);
  if (!account) return std::move(account).error();
  SNAPFLOW_TRY_STATUS(give_ring_to(config.ring_dir, *account), "--ring-dir=" + config.ring_dir);
  SNAPFLOW_TRY_STATUS(give_state_dir_to(config, *account), "--state-dir");
  // Supplementary groups, then group, then user: glibc applies each to every thread of the
  // process, and leaving uid 0 clears every thread's capabilities.
  if (::setgroups(1, &account->gid) != 0) return os_error("setgroups");
  if (::setresgid(account->gid, account->gid, account->gid) != 0) return os_error("setresgid");
  if (::setresuid(account->uid, account->uid, account->uid) != 0) return os_error("setresuid");
  SNAPFLOW_TRY_STATUS(clear_capabilities(), "drop capabilities");
  uid_t r = 0, e = 0, s = 0;
  if (::getresuid(&r, &e, &s) != 0 || r != account->uid || e != account->uid || s != account->uid ||
      ::setresuid(0, 0, 0) == 0) {
    return make_error(ErrorCode::kInternal,
                      "privileges: still able to become root after "
                      "switching to " +
                          config.user);
  }
  if (const std::string t = thread_with_privileges(account->uid); !t.empty()) {
    return make_error(ErrorCode::kInternal,
                      "privileges: " + t + " kept root's uid or a capability after the switch");
  }
  if (::access(config.ring_dir.c_str(), R_OK | W_OK | X_OK) != 0) {
    return os_error("--ring-dir=" + config.ring_dir + " is not usable as " + config.user +
                    " (a parent directory closed to it?)");
  }
  if (const std::string dir = state_dir(config);
      ::access(dir.c_str(), F_OK) == 0 && ::access(dir.c_str(), W_OK | X_OK) != 0) {
    return os_error("--state-dir=" + dir + " is not writable as " + config.user +
                    " (the rules API and restarts rewrite files there)");
  }
  log.info("privileges: running as " + config.user + " (uid " + std::to_string(account->uid) +
           ", gid " + std::to_string(account->gid) + "), no capabilities, empty bounding set");
  return base::ok_status();
}

}  // namespace snapflow::capture
