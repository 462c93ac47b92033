// The rules API end to end: snapflow-capture forwarding between network namespaces on its
// AF_PACKET datapath (forward_e2e_util.h: netns A <-> probe <-> netns B), its rules managed only
// over HTTP. Two rate-limited TCP transfers run on two rules while the API adds and deletes a
// third rule and changes both rules' capture modes several times; both transfers must arrive
// intact (SHA-256), nothing may be dropped, the browser rules must hold against the real daemon
// (a cross-site request changes nothing; POST needs the CSRF token), and /sysmaster/status and
// /forward/rules must account for the traffic. Then pcap2json --ring attributes every stored
// packet to its rule and the mode it was stored in (docs/decisions/0040): summed by address
// pair, the documents carry exactly the ring's packets, each pair with the mode and direction
// its addresses say and the rule that owns them.
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "forward_e2e_traffic.h"

namespace snapflow::e2e {
namespace {

constexpr const char* kAddrA2 = "10.10.1.3";  // the second rule's client, on A's link
constexpr const char* kAddrB2 = "10.20.1.3";  // and its server, on B's link

class ForwardApi : public ForwardTopologyTest<::testing::Test> {
 protected:
  void SetUp() override {
    set_up_topology("ca", "forward-api", "ip netns, veth, AF_PACKET");
    if (HasFatalFailure() || IsSkipped()) return;
    int rc = 0;
    std::string out = run(Topology::in(topo_->ns_a, "ip addr add " + std::string(kAddrA2) +
                                                        "/24 dev " + topo_->if_a) +
                              " && " +
                              Topology::in(topo_->ns_b, "ip addr add " + std::string(kAddrB2) +
                                                            "/24 dev " + topo_->if_b),
                          &rc);
    ASSERT_EQ(rc, 0) << out;
    std::ofstream(dir_ + "/creds") << "admin:e2e-secret\n";
  }

  void start_daemon(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = afpacket_forwarder_args();
    args.push_back("--api-listen=127.0.0.1:0");
    args.push_back("--api-credentials-file=" + dir_ + "/creds");
    args.insert(args.end(), extra.begin(), extra.end());
    // A log per start: wait_ready() looks for the "ready" line.
    daemon_ = std::make_unique<Daemon>(args, dir_ + "/daemon" + std::to_string(++starts_) + ".log");
    api_ = daemon_->wait_ready();
    ASSERT_NE(api_, "") << daemon_->log();
    // The defaults harden the daemon (docs/capture.md): every rules API change below runs as
    // the unprivileged user under the seccomp allow-list.
    EXPECT_NE(daemon_->log().find("privileges: running as snapflow"), std::string::npos)
        << daemon_->log();
    EXPECT_NE(daemon_->log().find("system calls allowed in every thread"), std::string::npos)
        << daemon_->log();
  }

  struct Answer {
    int code = 0;
    std::string body;
  };
  // curl in the probe's namespace (the API listens on its loopback).
  Answer api(const std::string& path, const std::string& curl_args = "") {
    const std::string out =
        topo_->exec(topo_->ns_p, "curl -s -u admin:e2e-secret " + curl_args +
                                     " -w '\\n%{http_code}' 'http://" + api_ + path + "'");
    const size_t nl = out.rfind('\n');
    Answer a;
    a.body = out.substr(0, nl == std::string::npos ? 0 : nl);
    a.code = std::atoi(out.c_str() + (nl == std::string::npos ? 0 : nl + 1));
    return a;
  }
  void change(const std::string& path, const std::string& expected) {
    const Answer a = api(path);
    EXPECT_EQ(a.code, 200) << path << ": " << a.body;
    EXPECT_NE(a.body.find(expected), std::string::npos) << path << ": " << a.body;
  }
  static std::string add(const std::string& a, const std::string& b, const std::string& mode,
                         const std::string& name) {
    return "/forward/rule_add?A=" + a + "&Capture=" + kAddrCapture + "&Egress=" + kAddrEgress +
           "&B=" + b + "&Mode=" + mode + "&Name=" + name;
  }

  std::string api_;
  int starts_ = 0;
};

TEST_F(ForwardApi, ModesChangeOverHttpDuringTransfersWithoutBreakingThem) {
  start_daemon();
  EXPECT_NE(daemon_->log().find("forwarder: 0 rule(s) in force"), std::string::npos);
  change(add(kAddrA, kAddrB, "ingress", "main"), "\"Id\":1");
  change(add(kAddrA2, kAddrB2, "egress", "side"), "\"Id\":2");

  traffic_ = std::make_unique<ForwardTraffic>(*topo_, dir_);
  traffic_->start_servers();
  // A small receive window in A keeps both transfers on the wire for their whole length
  // (about 7 s at 400 KB/s each), so every change below happens under them.
  topo_->exec(topo_->ns_a, "sysctl -qw net.ipv4.tcp_rmem='4096 32768 65536'");
  const std::string url = std::string("http://") + kAddrCapture + ":8000/blob";
  BackgroundProcess main_transfer({"ip", "netns", "exec", topo_->ns_a, "curl", "-sS",
                                   "--limit-rate", "400K", "-o", dir_ + "/main", url},
                                  dir_ + "/main.log");
  BackgroundProcess side_transfer({"ip", "netns", "exec", topo_->ns_a, "curl", "-sS", "--interface",
                                   kAddrA2, "--limit-rate", "400K", "-o", dir_ + "/side", url},
                                  dir_ + "/side.log");
  const auto pause = [] { std::this_thread::sleep_for(std::chrono::milliseconds(600)); };
  pause();
  change("/forward/rule_mode?Id=1&Mode=inline", "rule 1 now captures inline");
  pause();
  change(add("10.10.1.4", "10.20.1.4", "inline", "third"), "\"Id\":3");
  change("/forward/rule_mode?Id=2&Mode=ingress", "rule 2 now captures ingress");
  pause();
  change("/forward/rule_mode?Id=1&Mode=egress", "rule 1 now captures egress");
  pause();
  change("/forward/rule_del?Id=3", "rule 3 deleted");
  change("/forward/rule_mode?Id=2&Mode=inline", "rule 2 now captures inline");
  pause();

  // The browser rules hold against the real daemon: another site changes nothing...
  Answer refused = api("/forward/rule_mode?Id=1&Mode=ingress", "-H 'Sec-Fetch-Site: cross-site'");
  EXPECT_EQ(refused.code, 403) << refused.body;
  refused = api("/forward/rule_mode?Id=1&Mode=ingress", "-X POST -H 'Origin: http://evil.example'");
  EXPECT_EQ(refused.code, 403) << refused.body;
  EXPECT_EQ(api("/forward/rule_mode?Id=1&Mode=ingress", "-X POST").code, 403);  // no token
  EXPECT_NE(api("/forward/rules").body.find("1,main,egress,"), std::string::npos);
  // ... and the web UI's way (POST, same origin, the token) works.
  const Answer token = api("/sysmaster/csrf_token");
  const size_t at = token.body.find("\"Token\":\"");
  ASSERT_NE(at, std::string::npos) << token.body;
  const std::string t = token.body.substr(at + 9, token.body.find('"', at + 9) - at - 9);
  Answer posted = api("/forward/rule_mode?Id=1&Mode=ingress",
                      "-X POST -H 'Sec-Fetch-Site: same-origin' -H 'Origin: http://" + api_ +
                          "' -H 'X-CSRF-Token: " + t + "'");
  EXPECT_EQ(posted.code, 200) << posted.body;

  ASSERT_EQ(main_transfer.wait(90), 0) << main_transfer.output();
  ASSERT_EQ(side_transfer.wait(90), 0) << side_transfer.output();
  const std::string blob = sha256_of(dir_ + "/www/blob");
  EXPECT_EQ(sha256_of(dir_ + "/main"), blob);
  EXPECT_EQ(sha256_of(dir_ + "/side"), blob);

  // The counters saw it all, and nothing was dropped.
  const Answer status = api("/sysmaster/status");
  EXPECT_NE(status.body.find("\nforward_rules, 2\n"), std::string::npos) << status.body;
  EXPECT_NE(status.body.find("\nforward_dropped, 0\nforward_capture_dropped, 0\n"),
            std::string::npos)
      << status.body;
  const Answer status_json = api("/sysmaster/status?format=json");
  EXPECT_GT(json_number(status_json.body, "forward_packets"), 4000) << status_json.body;
  const Answer rules = api("/forward/rules?format=json");
  for (const char* id : {"{\"id\":1,", "{\"id\":2,"}) {
    const size_t rule = rules.body.find(id);
    ASSERT_NE(rule, std::string::npos) << rules.body;
    // 3 MB from B (about 2 100 full segments) and A's acknowledgements.
    EXPECT_GT(json_number(rules.body.substr(rule), "packets"), 100) << rules.body;
    const size_t back = rules.body.find("\"b_to_a\":", rule);
    EXPECT_GT(json_number(rules.body.substr(back + 9), "packets"), 2000) << rules.body;
  }
  EXPECT_EQ(rules.body.find("{\"id\":3,"), std::string::npos);
  const Answer forward_status = api("/forward/status");
  EXPECT_NE(forward_status.body.find("\ndrop_no_rule, 0\n"), std::string::npos)
      << forward_status.body;
  traffic_.reset();
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  EXPECT_NE(daemon_->log().find("ttl_exceeded=0 no_route=0 no_neighbour=0 too_big=0 tx_full=0"),
            std::string::npos)
      << daemon_->log();
  // Every version is on disk: what pcap2json attributes the stored packets with.
  std::ifstream file(ring_dir_ + "/state/forward-rules");
  const std::string text((std::istreambuf_iterator<char>(file)), {});
  for (const char* version :
       {"rule 1 ingress 10.10.1.2", "rule 1 inline 10.10.1.2", "rule 1 egress 10.10.1.2",
        "rule 2 egress 10.10.1.3", "rule 2 ingress 10.10.1.3", "rule 2 inline 10.10.1.3",
        "rule 3 inline 10.10.1.4"}) {
    EXPECT_NE(text.find(version), std::string::npos) << version << "\n" << text;
  }

  // pcap2json --ring reads that file by default: every stored packet is attributed, in the
  // mode its addresses say, to the rule that owns them; twice, byte for byte the same.
  const std::string pcap2json =
      std::string(SNAPFLOW_PCAP2JSON_BIN) + " --observer e2e --ring " + ring_dir_ + " -o ";
  int rc = 0;
  std::string out = run(pcap2json + dir_ + "/docs.ndjson", &rc);
  ASSERT_EQ(rc, 0) << out;
  out = run(pcap2json + dir_ + "/again.ndjson", &rc);
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(sha256_of(dir_ + "/docs.ndjson"), sha256_of(dir_ + "/again.ndjson"));
  std::map<AddressPair, int64_t> stored;
  for (const auto& p : read_ring(ring_dir_)) ++stored[frame_addresses(p.bytes)];
  std::map<AddressPair, int64_t> documented;
  std::map<std::string, std::set<std::string>> modes_of_rule;
  std::istringstream lines(run("python3 " + std::string(SNAPFLOW_E2E_DIR) + "/forward_docs.py < " +
                               dir_ + "/docs.ndjson"));
  std::string src, dst, mode, id, direction, name, session;
  int64_t packets = 0;
  while (lines >> src >> dst >> mode >> id >> direction >> name >> session >> packets) {
    const AddressPair pair{src, dst};
    documented[pair] += packets;
    const bool first_rule = src == kAddrA || dst == kAddrA || src == kAddrB || dst == kAddrB;
    EXPECT_EQ(id, first_rule ? "1" : "2") << src << " -> " << dst;
    EXPECT_EQ(name, first_rule ? "main" : "side") << src << " -> " << dst;
    EXPECT_EQ(session, "-");
    const std::string a = first_rule ? kAddrA : kAddrA2;
    const std::string b = first_rule ? kAddrB : kAddrB2;
    // docs/decisions/0040's table: which (mode, direction) each address pattern is.
    const std::map<AddressPair, std::pair<std::string, std::string>> patterns = {
        {{a, kAddrCapture}, {"ingress", "a_to_b"}},
        {{b, kAddrEgress}, {"ingress", "b_to_a"}},
        {{kAddrEgress, b}, {"egress", "a_to_b"}},
        {{kAddrCapture, a}, {"egress", "b_to_a"}},
        {{a, b}, {"inline", "a_to_b"}},
        {{b, a}, {"inline", "b_to_a"}}};
    const auto expected = patterns.find(pair);
    ASSERT_NE(expected, patterns.end()) << src << " -> " << dst;
    EXPECT_EQ(mode, expected->second.first) << src << " -> " << dst;
    EXPECT_EQ(direction, expected->second.second) << src << " -> " << dst;
    modes_of_rule[id].insert(mode);
  }
  EXPECT_EQ(documented, stored) << "every stored packet is in an attributed document";
  const std::set<std::string> all = {"egress", "ingress", "inline"};
  EXPECT_EQ(modes_of_rule["1"], all);
  EXPECT_EQ(modes_of_rule["2"], all);
}

// --state-dir outside the ring: the daemon creates it as root, then gives it (and only its own
// files there) to the user it switches to, so the rules API can rewrite the rules file under
// the default hardening, and the rules survive a restart.
TEST_F(ForwardApi, StateDirOutsideTheRingWorksAfterThePrivilegeDrop) {
  const std::string state = dir_ + "/elsewhere/state";
  run("mkdir -p " + dir_ + "/elsewhere && chmod 755 " + dir_ + "/elsewhere && echo keep > " + dir_ +
      "/elsewhere/unrelated");
  start_daemon({"--state-dir=" + state});
  change(add(kAddrA, kAddrB, "egress", "main"), "\"Id\":1");
  change("/forward/rule_mode?Id=1&Mode=inline", "rule 1 now captures inline");
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
  EXPECT_EQ(run("stat -c %U " + state + " " + state + "/forward-rules"), "snapflow\nsnapflow\n");
  EXPECT_EQ(run("stat -c %U " + dir_ + "/elsewhere/unrelated"), "root\n");

  start_daemon({"--state-dir=" + state});
  EXPECT_NE(daemon_->log().find("forwarder: 1 rule(s) in force"), std::string::npos)
      << daemon_->log();
  EXPECT_NE(api("/forward/rules").body.find("1,main,inline,"), std::string::npos);
  change("/forward/rule_del?Id=1", "rule 1 deleted");
  ASSERT_EQ(daemon_->stop(), 0) << daemon_->log();
}

}  // namespace
}  // namespace snapflow::e2e
