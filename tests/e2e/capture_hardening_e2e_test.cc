// snapflow-capture's hardening end to end (issue 13, item 7; capture/src/hardening.h): started
// as root, once it is ready every thread runs as the snapflow user with no capability, an empty
// bounding set, no_new_privs and the seccomp filter; the libpcap source (veth + tcpreplay) and
// DPDK's net_pcap vdev still capture every packet, and the API still answers. A forbidden
// system call (the documented test hook) kills the process with SIGSYS. Root only; the snapflow
// user comes from scripts/install-deps.sh.
#include <gtest/gtest.h>
#include <pwd.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "e2e_util.h"
#include "netns_util.h"
#include "snapflow/synth/generator.h"

namespace snapflow::e2e {
namespace {

// "Key:\tvalue" lines of /proc/PID/task/TID/status for every thread of pid.
std::vector<std::map<std::string, std::string>> thread_status(pid_t pid) {
  std::vector<std::map<std::string, std::string>> out;
  const std::string tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& t : std::filesystem::directory_iterator(tasks)) {
    std::ifstream in(t.path() / "status");
    std::map<std::string, std::string> fields;
    std::string line;
    while (std::getline(in, line)) {
      const auto colon = line.find(':');
      if (colon == std::string::npos) continue;
      const auto value = line.find_first_not_of(" \t", colon + 1);
      std::string v = value == std::string::npos ? "" : line.substr(value);
      while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
      fields[line.substr(0, colon)] = v;
    }
    out.push_back(std::move(fields));
  }
  return out;
}

class Hardening : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "needs root: the daemon must start as root to drop it";
    const passwd* pw = ::getpwnam("snapflow");
    if (pw == nullptr) GTEST_SKIP() << "no user snapflow (scripts/install-deps.sh creates it)";
    uid_ = std::to_string(pw->pw_uid);
    gid_ = std::to_string(pw->pw_gid);
    dir_ = temp_dir("hard-harden");
    std::ofstream(dir_ + "/creds") << "admin:e2e-secret\n";
  }
  void TearDown() override {
    daemon_.reset();
    if (!dir_.empty()) run("rm -rf " + dir_);
  }

  // Every thread: the snapflow user, no capability at all, no_new_privs, the seccomp filter.
  void expect_hardened(pid_t pid) {
    const auto threads = thread_status(pid);
    ASSERT_GE(threads.size(), 4u);  // main, capture, ring writer, ring I/O, ... API
    const std::string ids = uid_ + "\t" + uid_ + "\t" + uid_ + "\t" + uid_;
    const std::string gids = gid_ + "\t" + gid_ + "\t" + gid_ + "\t" + gid_;
    for (const auto& t : threads) {
      SCOPED_TRACE("thread " + t.at("Pid") + " (" + t.at("Name") + ")");
      EXPECT_EQ(t.at("Uid"), ids);
      EXPECT_EQ(t.at("Gid"), gids);
      EXPECT_EQ(t.at("Groups"), gid_);
      for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
        EXPECT_EQ(t.at(set), "0000000000000000") << set;
      }
      EXPECT_EQ(t.at("NoNewPrivs"), "1");
      EXPECT_EQ(t.at("Seccomp"), "2");  // filter mode
    }
  }

  std::string api_get(const std::string& api, const std::string& path) {
    return run("curl -s -u admin:e2e-secret 'http://" + api + path + "'");
  }

  std::string make_input(uint64_t packets, uint64_t seed) {
    synth::GeneratorConfig gen;
    gen.packets = packets;
    gen.flows = 100;
    gen.size_mode = synth::SizeMode::kImix;
    gen.seed = seed;
    const std::string path = dir_ + "/input-" + std::to_string(seed) + ".pcap";
    auto summary = synth::write_pcap(gen, path);
    EXPECT_TRUE(summary.ok()) << summary.error().to_string();
    return path;
  }

  std::string dir_, uid_, gid_;
  std::unique_ptr<Daemon> daemon_;
};

TEST_F(Hardening, LibpcapSourceCapturesEveryPacketAsTheUserUnderSeccomp) {
  if (run("command -v tcpreplay").empty()) GTEST_SKIP() << "tcpreplay is not installed";
  VethPair veth("hh");
  ASSERT_TRUE(veth.ok()) << veth.error();
  const std::string input = make_input(5000, 21);
  const std::string ring = dir_ + "/ring";
  daemon_ = std::make_unique<Daemon>(
      std::vector<std::string>{
          SNAPFLOW_CAPTURE_BIN, "--source=pcap:" + veth.host(), "--ring-dir=" + ring,
          "--ring-bytes=8M", "--ring-segment-bytes=1M", "--api-listen=127.0.0.1:0",
          "--api-credentials-file=" + dir_ + "/creds", "--flush-interval=20ms"},
      dir_ + "/daemon.log");
  const std::string api = daemon_->wait_ready();
  ASSERT_NE(api, "") << daemon_->log();
  EXPECT_NE(daemon_->log().find("privileges: running as snapflow"), std::string::npos);
  EXPECT_NE(daemon_->log().find("seccomp: "), std::string::npos);
  ASSERT_NO_FATAL_FAILURE(expect_hardened(daemon_->pid()));

  // The API (new connection threads under the filter) and a capture.
  EXPECT_NE(api_get(api, "/sysmaster/capture_start?StreamName=h1").find("\"Status\":true"),
            std::string::npos);
  std::string out;
  ASSERT_EQ(veth.replay(input, 20000, &out), 0) << out;
  std::string s;
  for (int i = 0; i < 300; ++i) {
    s = api_get(api, "/sysmaster/status?format=json");
    if (json_number(s, "packets_captured") + json_number(s, "packets_dropped") >= 5000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(1200));
  s = api_get(api, "/sysmaster/status?format=json");
  const int64_t captured = json_number(s, "packets_captured");
  EXPECT_EQ(captured + json_number(s, "packets_dropped"), 5000) << s;
  EXPECT_NE(api_get(api, "/sysmaster/capture_stop").find("\"Status\":true"), std::string::npos);
  const std::string download = dir_ + "/h1.pcap";
  run("curl -s -u admin:e2e-secret -o " + download + " 'http://" + api +
      "/pcap/single?StreamName=h1'");
  EXPECT_EQ(static_cast<int64_t>(read_pcap(download).size()), captured);
  ASSERT_NO_FATAL_FAILURE(expect_hardened(daemon_->pid()));  // threads started since, too
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();

  // The ring belongs to the user and holds the packets.
  struct stat st {};
  ASSERT_EQ(::stat(ring.c_str(), &st), 0);
  EXPECT_EQ(std::to_string(st.st_uid), uid_);
  for (const auto& f : std::filesystem::directory_iterator(ring)) {
    ASSERT_EQ(::lstat(f.path().c_str(), &st), 0);
    EXPECT_EQ(std::to_string(st.st_uid), uid_) << f.path();
  }
  const auto stored = read_ring(ring);
  const auto sent = read_pcap(input);
  ASSERT_FALSE(stored.empty());
  EXPECT_EQ(static_cast<int64_t>(stored.size()), captured);
  if (captured == 5000) {
    for (size_t i = 0; i < stored.size(); ++i) ASSERT_EQ(stored[i].bytes, sent[i].bytes) << i;
  }
}

TEST_F(Hardening, DpdkSourceCapturesEveryPacketAsTheUserUnderSeccomp) {
  if (!SNAPFLOW_WITH_DPDK_SOURCE) GTEST_SKIP() << "built without DPDK";
  const std::string input = make_input(20000, 22);
  const std::string ring = dir_ + "/ring";
  daemon_ = std::make_unique<Daemon>(
      std::vector<std::string>{
          SNAPFLOW_CAPTURE_BIN, "--source=dpdk",
          "--dpdk-eal-args=-l 0 --no-huge -m 512 --no-pci --no-shconf --vdev net_pcap0,rx_pcap=" +
              input,
          "--dpdk-mbufs=4096", "--ring-dir=" + ring, "--ring-bytes=64M", "--ring-segment-bytes=4M",
          "--api-listen=127.0.0.1:0", "--api-credentials-file=" + dir_ + "/creds",
          "--flush-interval=20ms"},
      dir_ + "/daemon.log");
  const std::string api = daemon_->wait_ready();
  ASSERT_NE(api, "") << daemon_->log();
  ASSERT_NO_FATAL_FAILURE(expect_hardened(daemon_->pid()));
  std::string s;
  for (int i = 0; i < 300; ++i) {
    s = api_get(api, "/sysmaster/status?format=json");
    if (json_number(s, "packets_captured") >= 20000) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(json_number(s, "packets_captured"), 20000) << s;
  ASSERT_NO_FATAL_FAILURE(expect_hardened(daemon_->pid()));
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  const auto stored = read_ring(ring);
  const auto sent = read_pcap(input);
  ASSERT_EQ(stored.size(), sent.size());
  size_t mismatches = 0;
  for (size_t i = 0; i < stored.size(); ++i) mismatches += stored[i].bytes != sent[i].bytes;
  EXPECT_EQ(mismatches, 0u);
}

// The test hook (docs/capture.md): a forbidden system call right after the filter is installed
// kills the whole process with SIGSYS, and the kernel's audit log names the call.
TEST_F(Hardening, AForbiddenSystemCallKillsTheProcess) {
  ::setenv("SNAPFLOW_TEST_SECCOMP_VIOLATION", "1", 1);
  daemon_ = std::make_unique<Daemon>(
      std::vector<std::string>{SNAPFLOW_CAPTURE_BIN, "--source=pcap:lo",
                               "--ring-dir=" + dir_ + "/r", "--ring-bytes=2M",
                               "--ring-segment-bytes=1M", "--api-listen=off"},
      dir_ + "/daemon.log");
  ::unsetenv("SNAPFLOW_TEST_SECCOMP_VIOLATION");
  ASSERT_TRUE(daemon_->wait_exit(20)) << daemon_->log();
  EXPECT_EQ(daemon_->term_signal(), SIGSYS) << daemon_->log();
  const std::string log = daemon_->log();
  EXPECT_NE(log.find("test hook SNAPFLOW_TEST_SECCOMP_VIOLATION"), std::string::npos) << log;
  EXPECT_EQ(log.find("ready:"), std::string::npos) << log;
  EXPECT_EQ(log.find("the filter is not working"), std::string::npos) << log;
  // The audit record (type 1326) of the kill, when the kernel log is readable here.
  const std::string kernel = run(
      "dmesg 2>/dev/null | grep 'type=1326' | grep ' pid=" + std::to_string(daemon_->pid()) + " '");
  if (!kernel.empty()) {
    EXPECT_NE(kernel.find("sig=31"), std::string::npos) << kernel;
    EXPECT_NE(kernel.find("syscall=135"), std::string::npos) << kernel;  // personality, x86-64
  }
}

// The opt-outs are explicit and loud: --user=root keeps root, --seccomp=false no filter.
TEST_F(Hardening, OptingOutIsExplicitAndLogged) {
  daemon_ = std::make_unique<Daemon>(
      std::vector<std::string>{
          SNAPFLOW_CAPTURE_BIN, "--source=pcap:lo", "--ring-dir=" + dir_ + "/r", "--ring-bytes=2M",
          "--ring-segment-bytes=1M", "--api-listen=off", "--user=root", "--seccomp=false"},
      dir_ + "/daemon.log");
  ASSERT_NE(daemon_->wait_ready(), "") << daemon_->log();
  const std::string log = daemon_->log();
  EXPECT_NE(log.find("warning: privileges: --user=root"), std::string::npos) << log;
  EXPECT_NE(log.find("warning: seccomp: OFF"), std::string::npos) << log;
  const auto threads = thread_status(daemon_->pid());
  EXPECT_EQ(threads.front().at("Uid"), "0\t0\t0\t0");
  EXPECT_EQ(threads.front().at("Seccomp"), "0");
  EXPECT_EQ(daemon_->stop(), 0) << daemon_->log();

  // A user that does not exist: a clear error naming --user, exit 1, nothing captured.
  Daemon bad(
      {SNAPFLOW_CAPTURE_BIN, "--source=pcap:lo", "--ring-dir=" + dir_ + "/r2", "--ring-bytes=2M",
       "--ring-segment-bytes=1M", "--api-listen=off", "--user=no-such-user-sf"},
      dir_ + "/bad.log");
  ASSERT_TRUE(bad.wait_exit(20));
  EXPECT_EQ(bad.stop(), 1);
  EXPECT_NE(bad.log().find("--user=no-such-user-sf: no such user"), std::string::npos) << bad.log();
}

}  // namespace
}  // namespace snapflow::e2e
