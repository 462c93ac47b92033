#include "mirror_source.h"

#include <linux/filter.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "snapflow/base/time.h"

namespace snapflow::capture {
namespace {

using base::ErrorCode;
using base::make_error;

// A UDP socket on port (IPv4 or IPv6 wildcard) whose filter drops every datagram. Returns
// the fd, -1 when the port is taken already (someone else listens: no ICMP either), or an error.
base::Result<int> bind_sink(uint16_t port, bool ipv6) {
  const int fd = ::socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    if (ipv6 && errno == EAFNOSUPPORT) return -1;  // IPv6 disabled in this kernel
    return make_error(ErrorCode::kIo, std::string("socket: ") + std::strerror(errno));
  }
  sock_filter drop_all[] = {{BPF_RET | BPF_K, 0, 0, 0}};
  sock_fprog program{1, drop_all};
  if (::setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &program, sizeof program) != 0) {
    const int err = errno;
    ::close(fd);
    return make_error(ErrorCode::kIo, std::string("SO_ATTACH_FILTER: ") + std::strerror(err));
  }
  int rc = 0;
  if (ipv6) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    sockaddr_in6 a{};
    a.sin6_family = AF_INET6;
    a.sin6_port = htons(port);
    a.sin6_addr = in6addr_any;
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  } else {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_ANY);
    rc = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  }
  if (rc != 0) {
    const int err = errno;
    ::close(fd);
    if (err == EADDRINUSE) return -1;
    if (ipv6 && err == EADDRNOTAVAIL) return -1;
    return make_error(ErrorCode::kIo, std::string("bind: ") + std::strerror(err));
  }
  return fd;
}

}  // namespace

MirrorSource::MirrorSource(std::unique_ptr<PacketSource> inner, const MirrorConfig& config)
    : inner_(std::move(inner)), config_(config) {
  name_ = inner_->name() + "+mirror";
  for (const MirrorSession& s : config_.sessions) {
    auto c = std::make_unique<MirrorSessionCounters>();
    c->name = s.name;
    c->vni = s.vni;
    sessions_.push_back(std::move(c));
  }
  auto other = std::make_unique<MirrorSessionCounters>();
  other->name = "other";
  sessions_.push_back(std::move(other));
}

MirrorSource::~MirrorSource() {
  for (int fd : sink_fds_) ::close(fd);
}

base::Result<std::unique_ptr<MirrorSource>> MirrorSource::wrap(std::unique_ptr<PacketSource> inner,
                                                               const MirrorConfig& config,
                                                               bool sink, const base::Logger& log) {
  std::unique_ptr<MirrorSource> source(new MirrorSource(std::move(inner), config));
  if (sink) {
    for (uint16_t port : {config.vxlan_port, config.geneve_port}) {
      if (port == 0) continue;
      for (bool ipv6 : {false, true}) {
        auto fd = bind_sink(port, ipv6);
        if (!fd) {
          return std::move(fd).error().context("mirror sink on UDP " + std::to_string(port));
        }
        if (*fd < 0) {
          log.warning("mirror sink: UDP " + std::to_string(port) + (ipv6 ? " (IPv6)" : " (IPv4)") +
                      " is bound already; that listener keeps the kernel from answering");
          continue;
        }
        source->sink_fds_.push_back(*fd);
      }
    }
    log.info("mirror: " + std::to_string(source->sink_fds_.size()) +
             " sink socket(s) keep the kernel from answering mirrored packets");
  }
  return source;
}

MirrorSessionCounters& MirrorSource::session(uint32_t vni) {
  // A handful of sessions: a linear scan is cheaper than hashing.
  for (size_t i = 0; i + 1 < sessions_.size(); ++i) {
    if (sessions_[i]->vni == vni) return *sessions_[i];
  }
  return *sessions_.back();
}

size_t MirrorSource::filter(pcap::PacketBatch& batch) {
  size_t kept = 0;
  std::byte* const storage = batch.storage.data();
  const std::byte* const storage_end = storage + batch.storage.size();
  for (size_t i = 0; i < batch.records.size(); ++i) {
    pcap::PacketRecord r = batch.records[i];
    MirrorPacket m;
    const MirrorVerdict verdict =
        r.link_type == pcap::kLinkEthernet
            ? classify_mirror(r.data, r.captured_length, config_.vxlan_port, config_.geneve_port, m)
            : MirrorVerdict::kNotMirror;
    verdicts_[static_cast<size_t>(verdict)].add();
    if (verdict != MirrorVerdict::kMirror) {
      if (config_.keep_other) batch.records[kept++] = r;
      continue;
    }
    MirrorSessionCounters& s = session(m.vni);
    s.packets.add();
    s.bytes.add(r.wire_length);
    uint32_t cut = m.inner_offset;
    if (config_.store == MirrorStore::kInner) {
      if (m.inner_ethertype != 0) {
        // Geneve carrying an IP packet: give it the outer frame's Ethernet addresses and the
        // payload's ethertype, written over the end of the Geneve header (our own copy).
        cut -= 14;
        if (r.data >= storage && r.data + r.captured_length <= storage_end) {
          std::byte* p = storage + (r.data - storage) + cut;
          std::memmove(p, r.data, 12);
          p[12] = std::byte(m.inner_ethertype >> 8);
          p[13] = std::byte(m.inner_ethertype & 0xff);
        }
      }
      r.data += cut;
      r.captured_length -= cut;
      r.wire_length -= cut;
    }
    s.inner_bytes.add(r.wire_length - (config_.store == MirrorStore::kInner ? 0 : m.inner_offset));
    batch.records[kept++] = r;
  }
  batch.records.resize(kept);
  return kept;
}

base::Result<size_t> MirrorSource::next_batch(pcap::PacketBatch& batch, int64_t deadline_ns) {
  while (true) {
    auto n = inner_->next_batch(batch, deadline_ns);
    if (!n || *n == 0) return n;
    if (filter(batch) > 0) return batch.records.size();
    // Nothing to store in this batch: wait for more, within the caller's deadline.
    if (base::now_monotonic_ns() >= deadline_ns) return size_t{0};
  }
}

std::string MirrorSource::summary() const {
  std::string out = "mirror " + name_ + ":";
  for (size_t v = 0; v < verdicts_.size(); ++v) {
    out += std::string(" ") + to_string(static_cast<MirrorVerdict>(v)) + "=" +
           std::to_string(verdicts_[v].get());
  }
  for (const auto& s : sessions_) {
    out += "\nmirror session " + s->name +
           (s->name == "other" ? std::string() : " vni " + std::to_string(s->vni)) + ": " +
           std::to_string(s->packets.get()) + " packets, " + std::to_string(s->bytes.get()) +
           " bytes, " + std::to_string(s->inner_bytes.get()) + " inner bytes";
  }
  return out;
}

}  // namespace snapflow::capture
