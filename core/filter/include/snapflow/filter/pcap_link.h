// The retrieval link of a snapflow document: the /pcap/splittime URL that serves exactly the
// packets the document counts -- its snapshot window and its flow key.
//
//   API/pcap/splittime?Start=NS&Stop=NS&FilterBPF=ip%20src%2010.0.0.1%20and%20...
//   API/pcap/splittime?Start=NS&Stop=NS&Filter=inner.ipv4.addr.src%3D%3D10.0.0.1%26...
//
// Untagged, untunnelled flows get a FilterBPF (tcpdump users can reuse it as is). Tunnelled
// flows get a Filter= over the inner headers plus the outermost tunnel's type and id, because
// BPF cannot reach headers behind VXLAN/Geneve/GRE reliably; VLAN-tagged flows get Filter=
// with vlan.id (BPF's `vlan` shifts every later offset and differs with QinQ). The filter
// tests exactly the FlowKey fields (make_flow_key): two packets get the same key if and only
// if the filter keeps both or neither -- except later IP fragments, which carry no ports (the
// flow table gives them their first fragment's ports; a filter cannot).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "snapflow/base/result.h"
#include "snapflow/packet/flow_key.h"

namespace snapflow::filter {

// The tcpdump expression selecting the flow's packets, or "" when the flow needs Filter=
// (tunnelled or VLAN-tagged).
std::string bpf_for_flow(const packet::FlowKey& key);

// The fmadio Filter= expression selecting the flow's packets (any flow).
std::string filter_for_flow(const packet::FlowKey& key);

// RFC 3986 percent-encoding of a query value (everything but A-Z a-z 0-9 - . _ ~).
std::string url_encode(std::string_view text);

struct PcapLinkRequest {
  std::string_view api_base;     ///< e.g. "https://probe1:8480" (a trailing '/' is dropped)
  int64_t start_ns = 0;          ///< the snapshot's start (@timestamp)
  int64_t interval_ns = 0;       ///< the snapshot length: the window is [start, start+interval)
  std::string_view stream_name;  ///< optional named capture (StreamName=)
};

// The full URL. FilterBPF= where bpf_for_flow() has one, otherwise Filter=.
std::string pcap_link(const PcapLinkRequest& request, const packet::FlowKey& key);

// The same URL appended to out, with no allocation once out has the capacity (pcap2json builds
// one per flow document into a reused buffer). The URL holds only printable ASCII without
// quotes or backslashes when the base passed validate_pcap_link_base(): it goes into JSON as is.
void append_pcap_link(const PcapLinkRequest& request, const packet::FlowKey& key, std::string& out);

// The same link in two parts, for callers that build many links of one window: the URL up to
// the filter (base, StreamName, Start, Stop), then "&FilterBPF=..." or "&Filter=..." for a key.
void append_pcap_link_window(const PcapLinkRequest& request, std::string& out);
void append_pcap_link_filter(const packet::FlowKey& key, std::string& out);

// Checks an API base URL for links (pcap2json --pcap-link-base): http:// or https://, a host,
// an optional port and path; no credentials (user:password@ would end up in every document),
// no query or fragment, at most 1024 printable ASCII characters without spaces, quotes,
// backslashes or angle brackets. kInvalidArgument names what is wrong.
base::Status validate_pcap_link_base(std::string_view base);

// The longest link append_pcap_link() can produce for a base of base_bytes: documents are
// built in buffers bounded in advance.
size_t max_pcap_link_bytes(size_t base_bytes, size_t stream_name_bytes = 0);

}  // namespace snapflow::filter
