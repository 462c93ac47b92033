// The cloud capture settings: the forwarder's source, ports and rules, the mirror target, and
// the messages that name what is wrong.
#include <gtest/gtest.h>

#include "snapflow/capture/config.h"

namespace snapflow::capture {
namespace {

base::Result<CaptureConfig> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "snapflow-capture");
  args.push_back("--ring-dir=/tmp/x");
  args.push_back("--api-listen=off");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  auto c = parse_command_line(static_cast<int>(argv.size()), argv.data(), nullptr);
  if (!c) return c;
  if (auto st = validate(*c); !st.ok()) return std::move(st).error();
  return c;
}

std::string error_of(std::vector<std::string> args) {
  auto c = parse(std::move(args));
  return c.ok() ? "accepted" : c.error().message();
}

TEST(CloudConfig, ForwarderSettings) {
  auto c =
      parse({"--source=forward:afpacket:eth1,eth2", "--forward-port0=10.0.0.1/24",
             "--forward-port1=10.1.0.1/24,via=10.1.0.254",
             "--forward-rule=a=10.0.0.2,capture=10.0.0.1,egress=10.1.0.1,b=10.1.0.2",
             "--forward-rule=a=10.0.0.3,capture=10.0.0.1,egress=10.1.0.1,b=10.1.0.3,mode=inline",
             "--forward-ring-frames=8192", "--state-dir=/var/lib/snapflow"});
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(forward_interfaces(*c), (std::vector<std::string>{"eth1", "eth2"}));
  EXPECT_EQ(c->forward.rules.size(), 2u);
  EXPECT_EQ(c->forward.ring_frames, 8192u);
  EXPECT_EQ(state_dir(*c), "/var/lib/snapflow");
  auto d = parse({"--source=forward:afpacket:eth1", "--forward-port0=10.0.0.1/24,10.0.0.5/24"});
  ASSERT_TRUE(d.ok()) << d.error().to_string();
  EXPECT_EQ(state_dir(*d), "/tmp/x/state");
  auto dpdk = parse({"--source=forward:dpdk", "--dpdk-eal-args=-l 0 --no-huge", "--dpdk-ports=0,1",
                     "--forward-port0=10.0.0.1/24", "--forward-port1=10.1.0.1/24"});
  ASSERT_TRUE(dpdk.ok()) << dpdk.error().to_string();
  EXPECT_TRUE(is_forward_dpdk(*dpdk));
}

TEST(CloudConfig, ForwarderMistakesAreNamed) {
  EXPECT_EQ(error_of({"--source=forward:afpacket:eth1,eth2", "--forward-port0=10.0.0.1/24"}),
            "--forward-port1=: give the addresses of each forwarder port: "
            "--forward-port0=ADDR/LEN[,...][,via=GW] and --forward-port1=...");
  EXPECT_NE(error_of({"--source=forward:afpacket:eth1", "--forward-port0=10.0.0.1/33"})
                .find("--forward-port0=10.0.0.1/33: '10.0.0.1/33': prefix must be 0..32"),
            std::string::npos);
  EXPECT_NE(error_of({"--source=forward:afpacket:eth1", "--forward-port0=10.0.0.1/24",
                      "--forward-rule=a=10.0.0.2,capture=10.0.0.1"})
                .find("--forward-rule=a=10.0.0.2,capture=10.0.0.1: rule "),
            std::string::npos);
  EXPECT_NE(error_of({"--source=forward:afpacket:eth1,eth1", "--forward-port0=10.0.0.1/24",
                      "--forward-port1=10.1.0.1/24"})
                .find("must differ"),
            std::string::npos);
  EXPECT_NE(error_of({"--source=forward:wires", "--forward-port0=10.0.0.1/24"})
                .find("expected forward:afpacket:IF0[,IF1] or forward:dpdk"),
            std::string::npos);
  EXPECT_NE(error_of({"--source=pcap:eth0",
                      "--forward-rule=a=1.1.1.1,capture=2.2.2.2,egress=3.3.3.3,b=4.4.4.4"})
                .find("only with --source=forward"),
            std::string::npos);
  EXPECT_NE(error_of({"--source=forward:dpdk", "--dpdk-eal-args=-l 0", "--dpdk-ports=0,1,2",
                      "--forward-port0=10.0.0.1/24"})
                .find("one or two DPDK ports"),
            std::string::npos);
  EXPECT_NE(error_of({"--source=forward:afpacket:eth1", "--forward-port0=10.0.0.1/24",
                      "--forward-ring-frames=3"})
                .find("64..1048576"),
            std::string::npos);
}

TEST(CloudConfig, MirrorSettings) {
  auto c = parse({"--source=pcap:eth1", "--mirror=vxlan,geneve:6082", "--mirror-session=64=web",
                  "--mirror-session=77=db", "--mirror-store=inner", "--mirror-other=keep",
                  "--mirror-sink=false"});
  ASSERT_TRUE(c.ok()) << c.error().to_string();
  EXPECT_EQ(c->mirror.vxlan_port, 4789);
  EXPECT_EQ(c->mirror.geneve_port, 6082);
  ASSERT_EQ(c->mirror.sessions.size(), 2u);
  EXPECT_EQ(c->mirror.sessions[1].vni, 77u);
  EXPECT_EQ(c->mirror.sessions[1].name, "db");
  EXPECT_EQ(c->mirror.store, MirrorStore::kInner);
  EXPECT_TRUE(c->mirror.keep_other);
  EXPECT_FALSE(c->mirror.sink);
  EXPECT_NE(error_of({"--source=pcap:eth1", "--mirror=gre"}).find("expected vxlan[:PORT]"),
            std::string::npos);
  EXPECT_NE(error_of({"--source=pcap:eth1", "--mirror=vxlan", "--mirror-session=16777216=x"})
                .find("VNI 0..16777215"),
            std::string::npos);
  EXPECT_NE(error_of({"--source=pcap:eth1", "--mirror=vxlan", "--mirror-session=5=a",
                      "--mirror-session=5=b"})
                .find("VNI given twice"),
            std::string::npos);
  EXPECT_NE(error_of({"--source=pcap:eth1", "--mirror-session=5=a"}).find("needs --mirror"),
            std::string::npos);
  EXPECT_NE(error_of({"--source=pcap:eth1", "--mirror=vxlan:4789,geneve:4789"})
                .find("different UDP ports"),
            std::string::npos);
  EXPECT_NE(
      error_of({"--source=forward:afpacket:eth1", "--forward-port0=10.0.0.1/24", "--mirror=vxlan"})
          .find("not a forwarder"),
      std::string::npos);
}

}  // namespace
}  // namespace snapflow::capture
