// Helpers of api_hostile_test.cc: the API server in a child process over a real ring (so its
// CPU time and memory can be measured apart from the attacking clients), /proc readings, and
// the hostile clients themselves (idle sockets from many loopback addresses, a slow-header
// client).
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "snapflow/capture/api.h"
#include "snapflow/capture/auth.h"
#include "snapflow/capture/capture_service.h"
#include "snapflow/ring/writer.h"

namespace snapflow::capture::testing {

inline std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Record i of the capture the server process writes into its ring.
inline std::vector<std::byte> ring_record(uint64_t i) {
  std::vector<std::byte> bytes(60 + (i * 53) % 1440);
  for (size_t j = 0; j < bytes.size(); ++j) bytes[j] = std::byte((i * 13 + j) & 0xff);
  return bytes;
}

// The API server in a forked child: creates a ring in dir/ring holding one capture "hostile"
// of `records` records, serves it with `options`, logs to dir/daemon.log, and stops when the
// parent closes the control pipe (or dies).
class ServerProcess {
 public:
  ServerProcess(const std::string& dir, const ApiServerOptions& options, uint64_t records)
      : dir_(dir) {
    int ready[2], control[2];
    if (::pipe(ready) != 0 || ::pipe(control) != 0) return;
    pid_ = ::fork();
    if (pid_ == 0) {
      ::close(ready[0]);
      ::close(control[1]);
      ::_exit(serve(options, records, ready[1], control[0]));
    }
    ::close(ready[1]);
    ::close(control[0]);
    control_fd_ = control[1];
    uint16_t port = 0;
    if (::read(ready[0], &port, sizeof port) == static_cast<ssize_t>(sizeof port)) port_ = port;
    ::close(ready[0]);
  }
  ~ServerProcess() { stop(); }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  uint16_t port() const { return port_; }
  pid_t pid() const { return pid_; }
  std::string log() const { return read_text(dir_ + "/daemon.log"); }

  // User + system CPU time of the server process, in seconds.
  double cpu_seconds() const {
    std::string stat = read_text("/proc/" + std::to_string(pid_) + "/stat");
    std::istringstream in(stat.substr(stat.rfind(')') + 2));
    std::string field;
    unsigned long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && in >> field; ++i) {
      if (i == 14) utime = std::stoul(field);
      if (i == 15) stime = std::stoul(field);
    }
    return static_cast<double>(utime + stime) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  }
  // Resident set size of the server process, in KiB.
  long rss_kib() const {
    std::istringstream in(read_text("/proc/" + std::to_string(pid_) + "/status"));
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
    }
    return -1;
  }

  // Closes the control pipe and waits; returns the child's exit status (0 = clean stop).
  int stop() {
    if (pid_ <= 0) return -1;
    if (control_fd_ >= 0) ::close(control_fd_);
    control_fd_ = -1;
    int status = 0;
    for (int i = 0; i < 200; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
    return -1;
  }

 private:
  int serve(const ApiServerOptions& options, uint64_t records, int ready_fd, int control_fd) {
    FILE* log_file = std::fopen((dir_ + "/daemon.log").c_str(), "w");
    if (!log_file) return 10;
    std::setvbuf(log_file, nullptr, _IOLBF, 0);
    base::Logger log("hostile-daemon", base::LogLevel::kInfo, log_file);
    ring::RingConfig config;
    config.dir = dir_ + "/ring";
    config.segment_bytes = 8 << 20;
    config.segment_count = 8;
    config.snaplen = 65535;
    auto writer = ring::RingWriter::open(config);
    if (!writer) return 11;
    CaptureStatus status(base::now_monotonic_ns());
    auto service = CaptureService::open(**writer, nullptr, status, log);
    if (!service || !(*service)->start_capture("hostile").ok()) return 12;
    for (uint64_t i = 0; i < records; ++i) {
      const auto bytes = ring_record(i);
      const int64_t ts = 1'700'000'000'000'000'000 + static_cast<int64_t>(i) * 10'000;
      if (!(*writer)->append(ts, bytes, static_cast<uint32_t>(bytes.size())).ok()) return 13;
    }
    if (!(*writer)->commit().ok() || !(*service)->stop_capture().ok()) return 14;
    auto server = ApiServer::start(options, **service, log);
    if (!server) {
      log.error(server.error().to_string());
      return 15;
    }
    const uint16_t port = (*server)->port();
    if (::write(ready_fd, &port, sizeof port) != static_cast<ssize_t>(sizeof port)) return 16;
    char byte;
    while (::read(control_fd, &byte, 1) > 0) {
    }
    const ApiServerCounters c = (*server)->counters();
    log.info("counters: accepted " + std::to_string(c.connections.accepted) +
             " refused_address_full " + std::to_string(c.connections.refused_address_full) +
             " refused_full " + std::to_string(c.connections.refused_full) + " evicted " +
             std::to_string(c.connections.evicted) + " header_deadline_closed " +
             std::to_string(c.connections.header_deadline_closed) + " auth_failures " +
             std::to_string(c.auth.failures) + " auth_refused_locked " +
             std::to_string(c.auth.refused_locked));
    server->reset();
    return (*writer)->close().ok() ? 0 : 17;
  }

  std::string dir_;
  pid_t pid_ = -1;
  int control_fd_ = -1;
  uint16_t port_ = 0;
};

// Raises the soft limit of open files to what the test needs (capped by the hard limit).
inline bool ensure_open_files(rlim_t want) {
  rlimit r{};
  if (::getrlimit(RLIMIT_NOFILE, &r) != 0) return false;
  if (r.rlim_cur >= want) return true;
  r.rlim_cur = std::min(want, r.rlim_max);
  return ::setrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur >= want;
}

inline int connect_from(const std::string& source, uint16_t port, bool nonblocking) {
  int fd = ::socket(AF_INET, SOCK_STREAM | (nonblocking ? SOCK_NONBLOCK : 0), 0);
  if (fd < 0) return -1;
  sockaddr_in local{};
  local.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &local.sin_addr);
  sockaddr_in remote{};
  remote.sin_family = AF_INET;
  remote.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0 ||
      (::connect(fd, reinterpret_cast<sockaddr*>(&remote), sizeof remote) != 0 &&
       errno != EINPROGRESS)) {
    ::close(fd);
    return -1;
  }
  return fd;
}

// Keeps `per_address` idle connections open from each of `addresses` loopback addresses
// (127.1.0.1, ...): connects and never sends a byte; when the server closes one, reconnects
// after reconnect_delay.
class IdleSocketAttack {
 public:
  IdleSocketAttack(uint16_t port, int addresses, int per_address,
                   std::chrono::milliseconds reconnect_delay)
      : thread_([=, this] { run(port, addresses, per_address, reconnect_delay); }) {}
  ~IdleSocketAttack() {
    stop_ = true;
    thread_.join();
  }
  int open() const { return open_.load(); }
  int max_open() const { return max_open_.load(); }
  uint64_t closed_by_server() const { return closed_.load(); }
  uint64_t connects() const { return connects_.load(); }

 private:
  void run(uint16_t port, int addresses, int per_address, std::chrono::milliseconds delay) {
    struct Sock {
      std::string source;
      int fd = -1;
      std::chrono::steady_clock::time_point retry_at;
    };
    std::vector<Sock> socks;
    for (int a = 1; a <= addresses; ++a) {
      for (int i = 0; i < per_address; ++i) {
        socks.push_back({"127.1.0." + std::to_string(a), -1, {}});
      }
    }
    std::vector<pollfd> fds(socks.size());
    while (!stop_) {
      const auto now = std::chrono::steady_clock::now();
      int open = 0;
      for (size_t i = 0; i < socks.size(); ++i) {
        if (socks[i].fd < 0 && now >= socks[i].retry_at) {
          socks[i].fd = connect_from(socks[i].source, port, true);
          connects_++;
        }
        fds[i] = {socks[i].fd, POLLIN | POLLRDHUP, 0};
        open += socks[i].fd >= 0 ? 1 : 0;
      }
      open_ = open;
      if (open > max_open_) max_open_ = open;
      ::poll(fds.data(), fds.size(), 50);
      for (size_t i = 0; i < socks.size(); ++i) {
        if (socks[i].fd < 0 || fds[i].revents == 0) continue;
        char buf[256];
        if (::recv(socks[i].fd, buf, sizeof buf, MSG_DONTWAIT) > 0) continue;  // not expected
        ::close(socks[i].fd);
        socks[i].fd = -1;
        socks[i].retry_at = std::chrono::steady_clock::now() + delay;
        closed_++;
      }
    }
    for (auto& s : socks) {
      if (s.fd >= 0) ::close(s.fd);
    }
  }

  std::atomic<bool> stop_{false};
  std::atomic<int> open_{0};
  std::atomic<int> max_open_{0};
  std::atomic<uint64_t> closed_{0};
  std::atomic<uint64_t> connects_{0};
  std::thread thread_;
};

// Sends a request one byte a second from 127.2.0.1; records how long each connection lasted
// until the server closed it, then starts again.
class SlowHeaderClient {
 public:
  explicit SlowHeaderClient(uint16_t port) : thread_([=, this] { run(port); }) {}
  ~SlowHeaderClient() {
    stop_ = true;
    thread_.join();
  }
  std::vector<double> lifetimes_s() const {
    std::lock_guard lock(mu_);
    return lifetimes_;
  }

 private:
  void run(uint16_t port) {
    const std::string request =
        "GET /sysmaster/status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
    while (!stop_) {
      int fd = connect_from("127.2.0.1", port, false);
      if (fd < 0) return;
      const auto start = std::chrono::steady_clock::now();
      bool closed = false;
      for (size_t i = 0; i < request.size() && !stop_ && !closed; ++i) {
        if (::send(fd, &request[i], 1, MSG_NOSIGNAL) != 1) {
          closed = true;
          break;
        }
        pollfd p{fd, POLLIN | POLLRDHUP, 0};
        if (::poll(&p, 1, 1000) > 0) {
          char buf[512];
          closed = ::recv(fd, buf, sizeof buf, 0) <= 0;
        }
      }
      ::close(fd);
      if (closed) {
        std::lock_guard lock(mu_);
        lifetimes_.push_back(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
      }
    }
  }

  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<double> lifetimes_;
  std::thread thread_;
};

}  // namespace snapflow::capture::testing
