// FilterProgram::normalized_text(): a program written back as filter text, in one canonical
// spelling (what /filter/check answers, so a user interface can show the filter it understood).
// The text is rendered from the parsed blocks and values, not copied from the input, so two
// spellings of one filter give the same text and parsing the text gives the same program.
#include <arpa/inet.h>

#include <string>
#include <vector>

#include "block_spec.h"
#include "snapflow/filter/program.h"

namespace snapflow::filter {
namespace {

std::string_view compare_text(Compare c) {
  switch (c) {
    case Compare::kEq:
      return "==";
    case Compare::kNe:
      return "!=";
    case Compare::kLt:
      return "<";
    case Compare::kLe:
      return "<=";
    case Compare::kGt:
      return ">";
    case Compare::kGe:
      return ">=";
  }
  return "==";
}

void append_number(std::string& out, const detail::FieldSpec& spec, const FilterValue& v) {
  if (v.lo == v.hi) {
    const std::string_view name = detail::value_name(spec.field, v.lo);
    out += name.empty() ? std::to_string(v.lo) : std::string(name);
    return;
  }
  out += std::to_string(v.lo) + "-" + std::to_string(v.hi);
}

// One instant, or a half-open range [A, B) (stored as [A, B - 1]).
void append_time(std::string& out, const FilterValue& v) {
  out += std::to_string(v.lo);
  if (v.lo != v.hi) out += "-" + std::to_string(v.hi + 1);
}

void append_mac(std::string& out, const FilterValue& v) {
  static constexpr char kHex[] = "0123456789abcdef";
  size_t significant = 6;  // octets up to the last one that is not a wildcard
  while (significant > 0 && v.mask[significant - 1] == 0) --significant;
  for (size_t i = 0; i < significant; ++i) {
    if (i != 0) out.push_back(':');
    if (v.mask[i] == 0) {
      out.push_back('*');
    } else {
      out.push_back(kHex[v.bytes[i] >> 4]);
      out.push_back(kHex[v.bytes[i] & 15]);
    }
  }
  if (significant < 6) out += significant == 0 ? "*" : ":*";
}

void append_prefix(std::string& out, const FilterValue& v, bool v6) {
  char text[INET6_ADDRSTRLEN] = {};
  ::inet_ntop(v6 ? AF_INET6 : AF_INET, v.bytes.data(), text, sizeof text);
  out += text;
  const size_t bytes = v6 ? 16 : 4;
  size_t bits = 0;
  for (size_t i = 0; i < bytes; ++i) bits += static_cast<size_t>(__builtin_popcount(v.mask[i]));
  if (bits != bytes * 8) out += "/" + std::to_string(bits);
}

}  // namespace

std::string FilterProgram::normalized_text() const {
  if (nodes_.empty()) return {};
  auto block_text = [&](const FilterBlock& b) {
    const detail::FieldSpec* spec = detail::spec_of(b.field);
    std::string out;
    if (b.layer == Layer::kInner) out += "inner.";
    out += spec->name;
    if (b.direction == Direction::kSource) out += ".src";
    if (b.direction == Direction::kDestination) out += ".dst";
    out += compare_text(b.compare);
    for (uint32_t i = 0; i < b.value_count; ++i) {
      if (i != 0) out.push_back(',');
      const FilterValue& v = values_[b.first_value + i];
      switch (spec->kind) {
        case detail::ValueKind::kNumber:
          append_number(out, *spec, v);
          break;
        case detail::ValueKind::kTime:
          append_time(out, v);
          break;
        case detail::ValueKind::kMac:
          append_mac(out, v);
          break;
        case detail::ValueKind::kIpv4:
          append_prefix(out, v, false);
          break;
        case detail::ValueKind::kIpv6:
          append_prefix(out, v, true);
          break;
      }
    }
    return out;
  };

  // Named blocks the expression reaches become definitions, in their order of definition.
  std::vector<bool> used(blocks_.size(), false);
  std::string definitions;
  // Precedence: 0 OR, 1 AND, 2 NOT and leaves. An operand below the context's precedence
  // gets parentheses.
  auto render = [&](auto&& self, uint32_t node, int context) -> std::string {
    const FilterNode& n = nodes_[node];
    std::string out;
    int own = 2;
    switch (n.kind) {
      case FilterNode::kBlock: {
        const bool named = n.a < block_names_.size() && !block_names_[n.a].empty();
        if (named) {
          used[n.a] = true;
          out = block_names_[n.a];
        } else {
          out = block_text(blocks_[n.a]);
        }
        break;
      }
      case FilterNode::kOr:
        own = 0;
        out = self(self, n.a, 0) + " | " + self(self, n.b, 0);
        break;
      case FilterNode::kAnd:
        own = 1;
        out = self(self, n.a, 1) + " & " + self(self, n.b, 1);
        break;
      case FilterNode::kNot:
        out = "!" + self(self, n.a, 2);
        break;
      case FilterNode::kTrue:
        return {};
    }
    return own < context ? "(" + out + ")" : out;
  };
  const std::string expression = render(render, root_, 0);
  size_t named_count = 0;
  for (size_t i = 0; i < blocks_.size(); ++i) {
    if (!used[i]) continue;
    ++named_count;
    definitions += block_names_[i] + ":" + block_text(blocks_[i]) + ";";
  }
  if (named_count == 0) return expression;
  // A lone named block is its own expression; otherwise the expression is expr=.
  const FilterNode& root = nodes_[root_];
  if (named_count == 1 && root.kind == FilterNode::kBlock) {
    definitions.pop_back();
    return definitions;
  }
  return definitions + "expr=" + expression;
}

}  // namespace snapflow::filter
