// /ring/bandwidth (the ring's packets and bytes per step, from the time index, for the web UI's
// chart) and /filter/check (does a filter parse, and how does the server read it).
#include <string>

#include "retrieval.h"
#include "snapflow/extract/bandwidth.h"
#include "snapflow/filter/bpf.h"
#include "snapflow/filter/parse.h"
#include "snapflow/pcap/record.h"

namespace snapflow::capture {
namespace {

// s as a JSON string body: quote, backslash, control and non-ASCII bytes escaped (\u00XX), so
// the answer is valid JSON whatever bytes a filter or libpcap's message carried.
std::string json_text(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(ch);
    } else if (c < 0x20 || c >= 0x7f) {
      out += "\\u00";
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    } else {
      out.push_back(ch);
    }
  }
  return out;
}

ApiResponse json_response(int status, std::string body) {
  ApiResponse r;
  r.status = status;
  r.content_type = "application/json";
  r.body = std::move(body);
  r.body.push_back('\n');
  return r;
}

ApiResponse check_failed(size_t position, std::string_view token, std::string_view message) {
  return json_response(400, "{\"ok\":false,\"position\":" + std::to_string(position) +
                                ",\"token\":\"" + json_text(token) + "\",\"message\":\"" +
                                json_text(message) + "\"}");
}

ApiResponse check_passed(std::string_view normalized) {
  return json_response(200, "{\"ok\":true,\"filter\":\"" + json_text(normalized) + "\"}");
}

ApiResponse check_fmadio(std::string_view text, const RetrievalLimits& limits) {
  filter::FilterLimits bounds;
  bounds.max_bytes = limits.max_filter_bytes;
  filter::FilterSyntaxError error;
  auto program = filter::parse_filter(text, bounds, &error);
  if (!program.ok()) return check_failed(error.position, error.token, error.message);
  return check_passed(program->normalized_text());
}

// libpcap says what is wrong but not where; a token it quotes ('foo') is located in the text.
ApiResponse check_bpf(std::string_view text, const RetrievalLimits& limits, uint16_t link_type,
                      uint32_t snaplen) {
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\t') || c >= 0x7f) {
      return check_failed(
          i + 1, text.substr(i, 1),
          "BPF filter position " + std::to_string(i + 1) + ": unexpected character");
    }
  }
  auto bpf = filter::BpfFilter::compile(text, link_type, snaplen, limits.max_filter_bytes);
  if (!bpf.ok()) {
    const std::string& message = bpf.error().message();
    size_t position = 0;
    std::string token;
    // The last quoted word of libpcap's own message (the quoted filter comes first).
    const size_t close = message.rfind('\'');
    const size_t open = close == std::string::npos || close == 0 ? std::string::npos
                                                                 : message.rfind('\'', close - 1);
    if (open != std::string::npos) {
      token = message.substr(open + 1, close - open - 1);
      const size_t at = token.empty() ? std::string_view::npos : text.find(token);
      if (at != std::string_view::npos && token.size() < text.size()) {
        position = at + 1;
      } else {
        token.clear();
      }
    }
    return check_failed(position, token, message);
  }
  // Normalised: the expression with runs of white space as one space.
  std::string normalized;
  for (char c : text) {
    const bool space = c == ' ' || c == '\t';
    if (space && (normalized.empty() || normalized.back() == ' ')) continue;
    normalized.push_back(space ? ' ' : c);
  }
  while (!normalized.empty() && normalized.back() == ' ') normalized.pop_back();
  return check_passed(normalized);
}

}  // namespace

ApiResponse route_bandwidth(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"Start", "Stop", "Points", "StreamName"}); !why.empty()) {
    return text_response(400, why);
  }
  const RetrievalLimits& limits = retrieval_limits(context);
  auto request = extract::make_bandwidth_request(
      {optional_arg(req, "Start"), optional_arg(req, "Stop"), optional_arg(req, "Points"),
       optional_arg(req, "StreamName")},
      limits.max_points);
  if (!request.ok()) return text_response(400, request.error().message());
  request->exact_scan_bytes = limits.exact_scan_bytes;
  auto index = context.control.open_ring_index();
  if (!index.ok()) return error_response(index.error(), "open the ring");
  auto series = extract::compute_bandwidth(**index, *request);
  if (!series.ok()) return error_response(series.error(), "bandwidth");
  ApiResponse r;
  r.content_type = "application/json";
  r.body = extract::render_bandwidth_json(*series);
  // Whether every point is exact, or some boundaries sit at the index's granularity.
  r.headers.push_back({"X-Snapflow-Bandwidth-Exact", series->exact ? "true" : "false"});
  r.headers.push_back(
      {"X-Snapflow-Bandwidth-Inexact-Boundaries", std::to_string(series->inexact_boundaries)});
  return r;
}

ApiResponse route_filter_check(const ApiRequest& req, ApiContext& context) {
  if (auto why = check_args(req, {"Filter", "FilterBPF"}); !why.empty()) {
    return check_failed(0, "", why);
  }
  const std::string* fmadio = find_arg(req, "Filter");
  const std::string* bpf = find_arg(req, "FilterBPF");
  if ((fmadio == nullptr) == (bpf == nullptr)) {
    return check_failed(0, "", "give one of Filter= (fmadio blocks) or FilterBPF= (tcpdump)");
  }
  const RetrievalLimits& limits = retrieval_limits(context);
  if (fmadio != nullptr) return check_fmadio(*fmadio, limits);
  // BPF compiles against the frames it will run on: the ring's link type and snap length.
  uint16_t link_type = pcap::kLinkEthernet;
  uint32_t snaplen = 262144;
  if (auto index = context.control.open_ring_index(); index.ok()) {
    link_type = (*index)->layout().link_type;
    snaplen = (*index)->layout().snaplen;
  }
  return check_bpf(*bpf, limits, link_type, snaplen);
}

}  // namespace snapflow::capture
