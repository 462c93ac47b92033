// RAII pieces of the root-only end-to-end tests: a veth pair whose peer lives in its own network
// namespace (tcpreplay sends from there, snapflow-capture listens on the host end), and a
// size-limited filesystem (tmpfs with size=, or an ext4 image on a loop device) mounted under a
// test directory. Names carry a tag and the test's pid so concurrent runs never collide; both
// are removed in the destructor even when a check failed.
#pragma once

#include <unistd.h>

#include <string>

#include "e2e_util.h"

namespace snapflow::e2e {

class VethPair {
 public:
  // tag: a few letters naming the test (interface names are limited to 15 characters).
  explicit VethPair(const std::string& tag) {
    const std::string id = std::to_string(::getpid() % 100000);
    ns_ = "sf" + tag + id;
    host_ = "sf" + tag + "h" + id;
    peer_ = "sf" + tag + "p" + id;
    int rc = 0;
    // MTU 9000: IMIX's 1518-byte frames pass; IPv6 off: nothing but the replay crosses.
    out_ = run("set -e; ip netns add " + ns_ + "; ip link add " + host_ + " type veth peer name " +
                   peer_ + " mtu 9000; ip link set " + host_ + " mtu 9000; ip link set " + peer_ +
                   " netns " + ns_ + "; sysctl -qw net.ipv6.conf." + host_ +
                   ".disable_ipv6=1; ip netns exec " + ns_ + " sysctl -qw net.ipv6.conf." + peer_ +
                   ".disable_ipv6=1; ip link set " + host_ + " up; ip netns exec " + ns_ +
                   " ip link set " + peer_ + " up",
               &rc);
    ok_ = rc == 0;
  }
  ~VethPair() { run("ip netns del " + ns_ + "; ip link del " + host_); }
  VethPair(const VethPair&) = delete;
  VethPair& operator=(const VethPair&) = delete;

  bool ok() const { return ok_; }
  const std::string& error() const { return out_; }
  const std::string& host() const { return host_; }
  // Sends a capture file from the namespace; returns tcpreplay's exit code.
  int replay(const std::string& pcap, int pps, std::string* out = nullptr) const {
    int rc = 0;
    std::string text = run("ip netns exec " + ns_ + " tcpreplay -q --pps=" + std::to_string(pps) +
                               " -i " + peer_ + " " + pcap,
                           &rc);
    if (out != nullptr) *out = text;
    return rc;
  }

 private:
  std::string ns_, host_, peer_, out_;
  bool ok_ = false;
};

// A small filesystem mounted at DIR/mnt: "tmpfs" (size=) or "ext4" (an image file on a loop
// device, no blocks reserved for root, so root's writes fill it like anyone's).
class SmallFilesystem {
 public:
  SmallFilesystem(const std::string& kind, const std::string& dir, int mib) : dir_(dir) {
    mnt_ = dir + "/mnt";
    int rc = 0;
    if (kind == "tmpfs") {
      out_ = run("mkdir -p " + mnt_ + " && mount -t tmpfs -o size=" + std::to_string(mib) +
                     "m,mode=0755 snapflow-test " + mnt_,
                 &rc);
    } else {
      image_ = dir + "/fs.img";
      out_ =
          run("mkdir -p " + mnt_ + " && truncate -s " + std::to_string(mib) + "M " + image_ +
                  " && mkfs.ext4 -q -F -m 0 " + image_ + " && mount -o loop " + image_ + " " + mnt_,
              &rc);
    }
    mounted_ = rc == 0;
  }
  ~SmallFilesystem() {
    if (mounted_) run("umount " + mnt_ + " || umount -l " + mnt_);
    if (!image_.empty()) run("rm -f " + image_);
  }
  SmallFilesystem(const SmallFilesystem&) = delete;
  SmallFilesystem& operator=(const SmallFilesystem&) = delete;

  bool ok() const { return mounted_; }
  const std::string& error() const { return out_; }
  const std::string& path() const { return mnt_; }
  // Fills the free space with a file (as root: every block; -m 0 leaves none reserved).
  void fill() const {
    // Large blocks first, then the last few kilobytes.
    run("dd if=/dev/zero of=" + mnt_ + "/filler bs=1M 2>/dev/null; dd if=/dev/zero of=" + mnt_ +
        "/filler2 bs=4k 2>/dev/null; dd if=/dev/zero of=" + mnt_ +
        "/filler3 bs=512 2>/dev/null; sync");
  }
  void free_space() const { run("rm -f " + mnt_ + "/filler*; sync"); }

 private:
  std::string dir_, mnt_, image_, out_;
  bool mounted_ = false;
};

}  // namespace snapflow::e2e
