// Helpers of the capture end-to-end tests: run commands, run snapflow-capture as a child
// process (RAII: SIGTERM, then SIGKILL, on scope exit), and read a ring or a PCAP back.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "snapflow/pcap/reader.h"
#include "snapflow/ring/reader.h"

namespace snapflow::e2e {

struct Packet {
  int64_t ts_ns;
  std::string bytes;
  uint32_t wire_length;
};

inline std::string run(const std::string& command, int* exit_code = nullptr) {
  std::string out;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = ::pclose(p);
  if (exit_code) *exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

inline std::vector<Packet> read_pcap(const std::string& path) {
  std::vector<Packet> out;
  auto reader = pcap::PacketReader::open(path);
  if (!reader) return out;
  pcap::PacketBatch batch;
  while (true) {
    auto n = (*reader)->next_batch(batch, 1024);
    if (!n || *n == 0) break;
    for (const auto& r : batch.records) {
      out.push_back({r.ts_ns, std::string(reinterpret_cast<const char*>(r.data), r.captured_length),
                     r.wire_length});
    }
  }
  return out;
}

inline std::vector<Packet> read_ring(const std::string& dir) {
  std::vector<Packet> out;
  auto reader = ring::RingReader::open(dir);
  if (!reader) return out;
  pcap::PacketBatch batch;
  while (true) {
    auto st = (*reader)->next_batch(batch, 1024);
    if (!st || *st == ring::ReadStatus::kEnd || *st == ring::ReadStatus::kCancelled) break;
    if (*st != ring::ReadStatus::kRecords) continue;  // a gap or damage: nothing to read here
    for (const auto& r : batch.records) {
      out.push_back({r.ts_ns, std::string(reinterpret_cast<const char*>(r.data), r.captured_length),
                     r.wire_length});
    }
  }
  return out;
}

// snapflow-capture as a child process; stderr goes to a log file the test can read.
class Daemon {
 public:
  Daemon(const std::vector<std::string>& args, const std::string& log_path) : log_(log_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      FILE* f = std::freopen(log_path.c_str(), "w", stderr);
      (void)f;
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~Daemon() {
    if (pid_ > 0 && !exited_) {
      ::kill(pid_, SIGTERM);
      for (int i = 0; i < 100 && !try_wait(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
      }
      if (!exited_) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, nullptr, 0);
      }
    }
  }
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  std::string log() const {
    std::ifstream in(log_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Waits for the "ready: api on HOST:PORT" line; returns "HOST:PORT" or "" on failure.
  std::string wait_ready(int timeout_s = 20) {
    for (int i = 0; i < timeout_s * 20; ++i) {
      std::string text = log();
      auto at = text.find("ready: api on ");
      if (at != std::string::npos) {
        auto start = at + 14;
        auto end = text.find(',', start);
        return text.substr(start, end - start);
      }
      if (try_wait()) return "";
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return "";
  }
  pid_t pid() const { return pid_; }
  // Waits up to timeout_s for the process to end by itself; true if it did.
  bool wait_exit(int timeout_s) {
    for (int i = 0; i < timeout_s * 20 && !try_wait(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exited_;
  }
  // The signal that ended the process (0: it exited, or has not ended).
  int term_signal() const { return term_signal_; }
  // SIGTERM and wait; returns the exit code (-1 if it did not exit normally).
  int stop() {
    if (!exited_) ::kill(pid_, SIGTERM);
    for (int i = 0; i < 400 && !try_wait(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return exited_ ? exit_code_ : -1;
  }

 private:
  bool try_wait() {
    if (exited_) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exited_ = true;
      exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      term_signal_ = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
    }
    return exited_;
  }
  std::string log_;
  pid_t pid_ = -1;
  bool exited_ = false;
  int exit_code_ = -1;
  int term_signal_ = 0;
};

// Extracts the number after "key": in a flat JSON object (the status endpoint's).
inline int64_t json_number(const std::string& json, const std::string& key) {
  auto at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return -1;
  return std::stoll(json.substr(at + key.size() + 3));
}

inline std::string temp_dir(const std::string& tag) {
  std::string dir = "/tmp/snapflow-e2e-" + tag + "-" + std::to_string(::getpid());
  run("rm -rf " + dir + " && mkdir -p " + dir);
  return dir;
}

}  // namespace snapflow::e2e
