// The forwarder's end-to-end fixture: three network namespaces joined by two veth pairs,
//
//     netns A (clA: 10.10.1.2, 2001:db8:10::2) <-veth-> netns P: probe ports PA, PB
//                                           <-veth-> netns B (clB: 10.20.1.2, 2001:db8:20::2)
//
// where snapflow-capture runs inside P as the forwarder (the probe's capture address on PA is
// 10.10.1.1, its egress address on PB 10.20.1.1). P's kernel has no addresses on PA/PB, IPv6
// off there and forwarding off, so everything that crosses is the daemon's doing. A and B send
// with checksum and segmentation offloads off (ethtool -K), as real NICs deliver complete
// packets. Background processes (servers, tcpdump) are RAII: SIGTERM/SIGKILL on scope exit;
// the namespaces (and so the veths) are deleted in the destructor even when a check failed.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "e2e_util.h"
#include "snapflow/pcap/writer.h"

namespace snapflow::e2e {

inline constexpr const char* kAddrA = "10.10.1.2";
inline constexpr const char* kAddrCapture = "10.10.1.1";
inline constexpr const char* kAddrEgress = "10.20.1.1";
inline constexpr const char* kAddrB = "10.20.1.2";
inline constexpr const char* kAddr6A = "2001:db8:10::2";
inline constexpr const char* kAddr6Capture = "2001:db8:10::1";
inline constexpr const char* kAddr6Egress = "2001:db8:20::1";
inline constexpr const char* kAddr6B = "2001:db8:20::2";

// A command running in the background (its stdout+stderr to a file); stopped on destruction.
class BackgroundProcess {
 public:
  BackgroundProcess(const std::vector<std::string>& args, const std::string& out_path)
      : out_(out_path) {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      FILE* f = std::freopen(out_path.c_str(), "w", stdout);
      (void)f;
      ::dup2(::fileno(stdout), 2);
      std::vector<char*> argv;
      for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
      argv.push_back(nullptr);
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
  }
  ~BackgroundProcess() { stop(SIGTERM); }
  BackgroundProcess(const BackgroundProcess&) = delete;
  BackgroundProcess& operator=(const BackgroundProcess&) = delete;

  // Signals the process and waits (SIGKILL after 5 s); returns its exit code or -1.
  int stop(int sig = SIGTERM) {
    if (pid_ <= 0 || done_) return code_;
    ::kill(pid_, sig);
    for (int i = 0; i < 100 && !try_wait(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!done_) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
      done_ = true;
    }
    return code_;
  }
  // Waits for a normal exit up to timeout_s; returns the exit code or -1.
  int wait(int timeout_s) {
    for (int i = 0; i < timeout_s * 20 && !try_wait(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return done_ ? code_ : -1;
  }
  std::string output() const {
    std::ifstream in(out_);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  // Waits until the output contains text (or timeout); true when it did.
  bool wait_for_output(const std::string& text, int timeout_s = 10) {
    for (int i = 0; i < timeout_s * 20; ++i) {
      if (output().find(text) != std::string::npos) return true;
      if (try_wait()) return output().find(text) != std::string::npos;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
  }

 private:
  bool try_wait() {
    if (done_) return true;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      done_ = true;
      code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return done_;
  }
  std::string out_;
  pid_t pid_ = -1;
  bool done_ = false;
  int code_ = -1;
};

class Topology {
 public:
  explicit Topology(const std::string& tag) {
    const std::string id = std::to_string(::getpid() % 100000);
    ns_a = "sf" + tag + "a" + id;
    ns_p = "sf" + tag + "p" + id;
    ns_b = "sf" + tag + "b" + id;
    if_a = tag + "A" + id;
    if_pa = tag + "PA" + id;
    if_pb = tag + "PB" + id;
    if_b = tag + "B" + id;
  }
  ~Topology() {
    if (created_) run("ip netns del " + ns_a + "; ip netns del " + ns_p + "; ip netns del " + ns_b);
  }
  Topology(const Topology&) = delete;
  Topology& operator=(const Topology&) = delete;

  // Creates the namespaces and links; returns "" or the failing commands' output.
  std::string create() {
    created_ = true;
    int rc = 0;
    std::string out = run(
        "set -e; ip netns add " + ns_a + "; ip netns add " + ns_p + "; ip netns add " + ns_b +
            "; ip link add " + if_a + " type veth peer name " + if_pa + "; ip link add " + if_b +
            " type veth peer name " + if_pb + "; ip link set " + if_a + " netns " + ns_a +
            "; ip link set " + if_pa + " netns " + ns_p + "; ip link set " + if_b + " netns " +
            ns_b + "; ip link set " + if_pb + " netns " + ns_p +
            // P: no kernel addresses, no IPv6, no forwarding on the probe's ports.
            "; " + in(ns_p, "sysctl -qw net.ipv4.ip_forward=0") + "; " +
            in(ns_p, "sysctl -qw net.ipv6.conf.all.disable_ipv6=1") +
            // A and B: addresses, IPv6 without duplicate address detection, no offloads.
            "; " + in(ns_a, "ip addr add " + std::string(kAddrA) + "/24 dev " + if_a) + "; " +
            in(ns_a, "ip addr add " + std::string(kAddr6A) + "/64 dev " + if_a + " nodad") + "; " +
            in(ns_b, "ip addr add " + std::string(kAddrB) + "/24 dev " + if_b) + "; " +
            in(ns_b, "ip addr add " + std::string(kAddr6B) + "/64 dev " + if_b + " nodad") + "; " +
            in(ns_a, "ip link set lo up") + "; " + in(ns_b, "ip link set lo up") + "; " +
            in(ns_p, "ip link set lo up") + "; " + in(ns_a, "ip link set " + if_a + " up") + "; " +
            in(ns_b, "ip link set " + if_b + " up") + "; " +
            in(ns_p, "ip link set " + if_pa + " up") + "; " +
            in(ns_p, "ip link set " + if_pb + " up") + "; " +
            in(ns_a, "ethtool -K " + if_a + " tx off tso off gso off gro off >/dev/null") + "; " +
            in(ns_b, "ethtool -K " + if_b + " tx off tso off gso off gro off >/dev/null"),
        &rc);
    return rc == 0 ? "" : out;
  }

  static std::string in(const std::string& ns, const std::string& command) {
    return "ip netns exec " + ns + " " + command;
  }
  std::string exec(const std::string& ns, const std::string& command, int* rc = nullptr) const {
    return run(in(ns, command), rc);
  }

  std::string ns_a, ns_p, ns_b, if_a, if_pa, if_pb, if_b;

 private:
  bool created_ = false;
};

// Tools the forwarder tests need; "" when all are there, else the missing one.
inline std::string missing_tool() {
  for (const char* tool : {"ip", "ethtool", "tshark", "tcpdump", "curl", "python3", "ping"}) {
    if (run(std::string("command -v ") + tool).empty()) return tool;
  }
  return "";
}

inline std::string sha256_of(const std::string& path) {
  std::string out = run("sha256sum " + path);
  return out.substr(0, out.find(' '));
}

// Writes the ring's records into one PCAP file; returns the record count.
inline size_t ring_to_pcap(const std::string& ring_dir, const std::string& path) {
  auto layout = ring::open_ring(ring_dir);
  if (!layout.ok()) return 0;
  auto writer = pcap::PcapWriter::create(path, layout->link_type, layout->snaplen);
  if (!writer.ok()) return 0;
  const auto packets = read_ring(ring_dir);
  for (const auto& p : packets) {
    pcap::PacketRecord r;
    r.ts_ns = p.ts_ns;
    r.data = reinterpret_cast<const std::byte*>(p.bytes.data());
    r.captured_length = static_cast<uint32_t>(p.bytes.size());
    r.wire_length = p.wire_length;
    if (!(*writer)->write(r).ok()) return 0;
  }
  if (!(*writer)->close().ok()) return 0;
  return packets.size();
}

// Number of packets of a capture file matching a Wireshark display filter.
inline int64_t tshark_count(const std::string& path, const std::string& filter,
                            const std::string& options = "") {
  std::string out =
      run("tshark -n -r " + path + " " + options + " -Y '" + filter + "' 2>/dev/null | wc -l");
  return std::stoll(out);
}

// tshark's own checksum verification switched on for IPv4, TCP and UDP (ICMP is always
// verified): the packets with a bad checksum anywhere, or an error-level expert note.
constexpr const char* kBadChecksumFilter =
    "ip.checksum.status == 0 || tcp.checksum.status == 0 || udp.checksum.status == 0 || "
    "icmp.checksum.status == 0 || icmpv6.checksum.status == 0 || _ws.expert.severity == error";
constexpr const char* kChecksumOptions =
    "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE";

inline int64_t bad_checksums(const std::string& path) {
  return tshark_count(path, kBadChecksumFilter, kChecksumOptions);
}

// The same for the packets the probe itself sent on a link: the ones it forwarded (their
// source is its capture or egress address). The hosts' own packets are not under test, and a
// transport checksum their kernel completes in software is 0xffff where 0x0000 is canonical
// about once in 65 536 packets (skb_checksum_help writes CSUM_MANGLED_0; both verify), which
// tshark reports as an error ("0xffff instead of 0x0000", RFC 1624). The probe's incremental
// updates (RFC 1624 eqn. 3) never write 0xffff.
inline std::string from_probe(const std::string& filter) {
  return std::string("(ip.src == ") + kAddrCapture + " || ip.src == " + kAddrEgress +
         " || ipv6.src == " + kAddr6Capture + " || ipv6.src == " + kAddr6Egress + ") && (" +
         filter + ")";
}
inline int64_t bad_checksums_from_probe(const std::string& path) {
  return tshark_count(path, from_probe(kBadChecksumFilter), kChecksumOptions);
}
inline int64_t packets_from_probe(const std::string& path) {
  return tshark_count(path, from_probe("frame"));
}

// What tshark says of those packets (for a failure message): number, summary, expert notes.
inline std::string bad_checksum_details(const std::string& path) {
  return run("tshark -n -r " + path + " " + kChecksumOptions + " -Y '" + kBadChecksumFilter +
             "' -T fields -e frame.number -e _ws.col.Info -e _ws.expert.message 2>&1 | head -5");
}
inline int64_t good_checksums(const std::string& path, const std::string& proto) {
  return tshark_count(path, proto + ".checksum.status == 1",
                      "-o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE "
                      "-o udp.check_checksum:TRUE");
}

}  // namespace snapflow::e2e
