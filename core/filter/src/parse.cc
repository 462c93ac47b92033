// The filter parser: statements, then a recursive-descent expression parser over inline blocks
// and named blocks, producing a FilterProgram. Errors are sticky (the first one wins) and name
// the 1-based position and the token at it.
#include "snapflow/filter/parse.h"

#include <optional>
#include <string>
#include <vector>

#include "block_spec.h"
#include "text_util.h"

namespace snapflow::filter {
namespace {

constexpr size_t kShownTokenChars = 64;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
bool is_word_char(char c) {
  return is_name_char(c) || c == '.';
}
bool ends_inline_value(char c) {
  return is_space(c) || c == '&' || c == '|' || c == '!' || c == '(' || c == ')';
}

}  // namespace

class ProgramBuilder {
 public:
  ProgramBuilder(std::string_view text, const FilterLimits& limits, FilterSyntaxError* detail)
      : text_(text), limits_(limits), detail_(detail) {}

  base::Result<FilterProgram> run() {
    if (text_.size() > limits_.max_bytes) {
      const std::string what = "filter longer than " + std::to_string(limits_.max_bytes) + " bytes";
      const std::string message =
          "filter position " + std::to_string(limits_.max_bytes + 1) + ": " + what;
      if (detail_) *detail_ = {limits_.max_bytes + 1, "", what, message};
      return base::make_error(base::ErrorCode::kInvalidArgument, message);
    }
    for (size_t i = 0; i < text_.size(); ++i) {
      const auto c = static_cast<unsigned char>(text_[i]);
      if ((c < 0x20 && !is_space(text_[i])) || c >= 0x7f) {
        fail(i, 1, "unexpected character");
        return std::move(*error_);
      }
    }
    if (!statements()) return std::move(*error_);
    program_.text_ = std::string(text_);
    program_.block_names_.resize(program_.blocks_.size());
    mark_needs(program_.root_);
    return std::move(program_);
  }

 private:
  struct Named {
    std::string_view name;
    uint32_t node;
  };

  // ---- errors ----
  // The token at pos when the caller does not say how long it is: a field or name, an
  // operator, or one character.
  size_t token_length(size_t pos) const {
    if (pos >= text_.size()) return 0;
    size_t end = pos;
    auto run = [&](auto pred) {
      while (end < text_.size() && pred(text_[end])) ++end;
    };
    if (is_word_char(text_[pos])) {
      run(is_word_char);
    } else {
      run([](char c) { return c == '=' || c == '!' || c == '<' || c == '>'; });
    }
    return end == pos ? 1 : end - pos;
  }
  bool fail(size_t pos, std::string_view what) { return fail(pos, token_length(pos), what); }
  bool fail(size_t pos, size_t length, std::string_view what) {
    if (error_) return false;
    std::string msg = "filter position " + std::to_string(pos + 1) + " at ";
    std::string token;
    if (pos >= text_.size()) {
      msg += "end of filter";
    } else {
      token = printable(text_.substr(pos, length), kShownTokenChars);
      msg += "'" + token + "'";
    }
    msg += ": " + std::string(what);
    if (detail_) *detail_ = {pos + 1, token, std::string(what), msg};
    error_.emplace(base::ErrorCode::kInvalidArgument, std::move(msg));
    return false;
  }

  // ---- statements ----
  bool statements() {
    std::vector<std::pair<size_t, size_t>> expressions;  // [begin, end) of expression statements
    size_t begin = 0;
    while (begin <= text_.size()) {
      size_t end = text_.find(';', begin);
      if (end == std::string_view::npos) end = text_.size();
      size_t p = skip_space(begin, end);
      if (p < end) {
        size_t q = p;
        while (q < end && is_name_char(text_[q])) ++q;
        const size_t after = skip_space(q, end);
        const std::string_view word = text_.substr(p, q - p);
        if (q > p && after < end && text_[after] == ':' && word != "expr") {
          if (!definition(word, p, after + 1, end)) return false;
        } else if (word == "expr" && after < end && text_[after] == '=' &&
                   (after + 1 >= end || text_[after + 1] != '=')) {
          expressions.emplace_back(after + 1, end);
        } else {
          expressions.emplace_back(p, end);
        }
      }
      begin = end + 1;
    }
    if (expressions.size() > 1) {
      return fail(expressions[1].first, "more than one expression (join them with & or |)");
    }
    if (expressions.empty()) {
      if (named_.size() == 1) {
        program_.root_ = named_[0].node;
        return true;
      }
      return fail(text_.size(), named_.empty()
                                    ? "empty filter"
                                    : "several named blocks but no expr=... to combine them");
    }
    end_ = expressions[0].second;
    pos_ = expressions[0].first;
    uint32_t root = 0;
    if (!parse_or(0, root)) return false;
    pos_ = skip_space(pos_, end_);
    if (pos_ < end_) return fail(pos_, "expected &, | or the end of the expression");
    program_.root_ = root;
    return true;
  }

  size_t skip_space(size_t p, size_t end) const {
    while (p < end && is_space(text_[p])) ++p;
    return p;
  }

  bool definition(std::string_view name, size_t name_pos, size_t body, size_t end) {
    if (name[0] >= '0' && name[0] <= '9') {
      return fail(name_pos, name.size(), "a block name starts with a letter or _");
    }
    for (const Named& n : named_) {
      if (n.name == name) return fail(name_pos, name.size(), "block name defined twice");
    }
    const size_t field_pos = skip_space(body, end);
    size_t q = field_pos;
    while (q < end && is_word_char(text_[q])) ++q;
    if (q == field_pos) return fail(field_pos, "expected FIELD OP VALUE after 'name:'");
    uint32_t node = 0;
    pos_ = q;
    end_ = end;
    if (!block(field_pos, q, /*definition=*/true, node)) return false;
    named_.push_back({name, node});
    program_.block_names_.resize(program_.blocks_.size());
    program_.block_names_.back() = std::string(name);
    return true;
  }

  // ---- expressions ----
  bool parse_or(size_t depth, uint32_t& out) {
    if (!parse_and(depth, out)) return false;
    while (true) {
      pos_ = skip_space(pos_, end_);
      if (pos_ >= end_ || text_[pos_] != '|') return true;
      pos_ += (pos_ + 1 < end_ && text_[pos_ + 1] == '|') ? 2 : 1;
      uint32_t rhs = 0;
      if (!parse_and(depth, rhs)) return false;
      out = add_node(FilterNode::kOr, out, rhs);
    }
  }

  bool parse_and(size_t depth, uint32_t& out) {
    if (!parse_unary(depth, out)) return false;
    while (true) {
      pos_ = skip_space(pos_, end_);
      if (pos_ >= end_ || text_[pos_] != '&') return true;
      pos_ += (pos_ + 1 < end_ && text_[pos_ + 1] == '&') ? 2 : 1;
      uint32_t rhs = 0;
      if (!parse_unary(depth, rhs)) return false;
      out = add_node(FilterNode::kAnd, out, rhs);
    }
  }

  bool parse_unary(size_t depth, uint32_t& out) {
    pos_ = skip_space(pos_, end_);
    if (pos_ >= end_) return fail(pos_, "expected a block, a block name, '(' or '!'");
    const char c = text_[pos_];
    if (c == '!' || c == '(') {
      if (depth + 1 > limits_.max_depth) {
        return fail(pos_, "nested deeper than " + std::to_string(limits_.max_depth));
      }
      const size_t open = pos_;
      ++pos_;
      if (c == '!') {
        uint32_t operand = 0;
        if (!parse_unary(depth + 1, operand)) return false;
        out = add_node(FilterNode::kNot, operand, 0);
        return true;
      }
      if (!parse_or(depth + 1, out)) return false;
      pos_ = skip_space(pos_, end_);
      if (pos_ >= end_ || text_[pos_] != ')')
        return fail(pos_, "expected ')' closing the '(' at position " + std::to_string(open + 1));
      ++pos_;
      return true;
    }
    const size_t word_pos = pos_;
    if (++terms_ > limits_.max_blocks) {
      return fail(word_pos, "more than " + std::to_string(limits_.max_blocks) + " terms");
    }
    size_t q = pos_;
    while (q < end_ && is_word_char(text_[q])) ++q;
    if (q == word_pos) return fail(pos_, "expected a block, a block name, '(' or '!'");
    const size_t after = skip_space(q, end_);
    if (after < end_ && is_operator_start(after)) {
      pos_ = q;
      return block(word_pos, q, /*definition=*/false, out);
    }
    const std::string_view name = text_.substr(word_pos, q - word_pos);
    for (const Named& n : named_) {
      if (n.name == name) {
        out = n.node;
        pos_ = q;
        return true;
      }
    }
    if (name.find('.') != std::string_view::npos) {
      detail::FieldRef ref;
      std::string why;
      if (detail::resolve_field(name, ref, &why))
        return fail(after, "expected ==, !=, <, <=, > or >= after the field");
      return fail(word_pos, why);
    }
    return fail(word_pos,
                named_.empty()
                    ? "unknown block name (no blocks are defined; a block is FIELD OP VALUE)"
                    : "unknown block name");
  }

  bool is_operator_start(size_t p) const {
    const char c = text_[p];
    if (c == '=' || c == '<' || c == '>') return true;
    return c == '!' && p + 1 < end_ && text_[p + 1] == '=';
  }

  // FIELD OP VALUES with the field at [field_pos, field_end) and pos_ at field_end.
  bool block(size_t field_pos, size_t field_end, bool definition, uint32_t& out) {
    detail::FieldRef ref;
    std::string why;
    if (!detail::resolve_field(text_.substr(field_pos, field_end - field_pos), ref, &why)) {
      return fail(field_pos, why);
    }
    if (program_.blocks_.size() + 1 > limits_.max_blocks) {
      return fail(field_pos, "more than " + std::to_string(limits_.max_blocks) + " blocks");
    }
    const size_t op_pos = skip_space(pos_, end_);
    Compare cmp;
    size_t op_len = 2;
    const std::string_view rest = text_.substr(op_pos, end_ - op_pos);
    if (rest.starts_with("==")) {
      cmp = Compare::kEq;
    } else if (rest.starts_with("!=")) {
      cmp = Compare::kNe;
    } else if (rest.starts_with("<=")) {
      cmp = Compare::kLe;
    } else if (rest.starts_with(">=")) {
      cmp = Compare::kGe;
    } else if (rest.starts_with("<")) {
      cmp = Compare::kLt;
      op_len = 1;
    } else if (rest.starts_with(">")) {
      cmp = Compare::kGt;
      op_len = 1;
    } else {
      return fail(op_pos, "expected ==, !=, <, <=, > or >= after the field");
    }
    const bool ordered = cmp != Compare::kEq && cmp != Compare::kNe;
    if (ordered && ref.spec->kind != detail::ValueKind::kNumber &&
        ref.spec->kind != detail::ValueKind::kTime) {
      return fail(op_pos, "only == and != compare addresses");
    }
    // The value text: to the end of the statement in a definition, else to the next operator.
    const size_t value_pos = skip_space(op_pos + op_len, end_);
    size_t value_end = value_pos;
    if (definition) {
      value_end = end_;
      while (value_end > value_pos && is_space(text_[value_end - 1])) --value_end;
    } else {
      while (value_end < end_ && !ends_inline_value(text_[value_end])) ++value_end;
    }
    if (value_end == value_pos) return fail(value_pos, "expected a value after the operator");

    FilterBlock b;
    b.field = ref.spec->field;
    b.layer = ref.layer;
    b.direction = ref.direction;
    b.compare = cmp;
    b.first_value = static_cast<uint32_t>(program_.values_.size());
    b.position = static_cast<uint32_t>(field_pos + 1);
    size_t p = value_pos;
    while (p <= value_end) {
      size_t q = p;
      while (q < value_end && text_[q] != ',' && !(definition && text_[q] == '|')) ++q;
      const size_t alt_begin = skip_space(p, q);
      size_t alt_end = q;
      while (alt_end > alt_begin && is_space(text_[alt_end - 1])) --alt_end;
      if (alt_end == alt_begin) return fail(alt_begin, 1, "empty value in the list");
      if (program_.values_.size() + 1 > limits_.max_values) {
        return fail(alt_begin, alt_end - alt_begin,
                    "more than " + std::to_string(limits_.max_values) + " values");
      }
      if (ordered && b.value_count == 1) {
        return fail(p - 1, 1, "< <= > >= take a single value");
      }
      FilterValue v;
      if (!detail::parse_value(*ref.spec, text_.substr(alt_begin, alt_end - alt_begin), ordered, v,
                               &why)) {
        return fail(alt_begin, alt_end - alt_begin, why);
      }
      program_.values_.push_back(v);
      ++b.value_count;
      p = q + 1;
    }
    program_.blocks_.push_back(b);
    out = add_node(FilterNode::kBlock, static_cast<uint32_t>(program_.blocks_.size() - 1), 0);
    pos_ = value_end;
    return true;
  }

  uint32_t add_node(FilterNode::Kind kind, uint32_t a, uint32_t b) {
    program_.nodes_.push_back({kind, a, b});
    return static_cast<uint32_t>(program_.nodes_.size() - 1);
  }

  // Which decodes the reachable blocks need (named blocks that are never used cost nothing).
  void mark_needs(uint32_t node) {
    const FilterNode& n = program_.nodes_[node];
    switch (n.kind) {
      case FilterNode::kBlock: {
        const FilterBlock& b = program_.blocks_[n.a];
        switch (b.field) {
          case Field::kFrameSize:
          case Field::kFrameTime:
            break;
          case Field::kVxlanVni:
          case Field::kGeneveVni:
          case Field::kTunnelId:
          case Field::kTunnelType:
            program_.needs_.inner = true;
            break;
          default:
            (b.layer == Layer::kInner ? program_.needs_.inner : program_.needs_.outer) = true;
        }
        break;
      }
      case FilterNode::kAnd:
      case FilterNode::kOr:
        mark_needs(n.a);
        mark_needs(n.b);
        break;
      case FilterNode::kNot:
        mark_needs(n.a);
        break;
      case FilterNode::kTrue:
        break;
    }
  }

  std::string_view text_;
  FilterLimits limits_;
  FilterSyntaxError* detail_ = nullptr;
  FilterProgram program_;
  std::vector<Named> named_;
  std::optional<base::Error> error_;
  size_t terms_ = 0;  ///< blocks and block names used in the expression
  size_t pos_ = 0;
  size_t end_ = 0;
};

base::Result<FilterProgram> parse_filter(std::string_view text, const FilterLimits& limits) {
  return ProgramBuilder(text, limits, nullptr).run();
}

base::Result<FilterProgram> parse_filter(std::string_view text, const FilterLimits& limits,
                                         FilterSyntaxError* error) {
  return ProgramBuilder(text, limits, error).run();
}

}  // namespace snapflow::filter
