// The ring's small text files (ring.meta, cursors, capture.stats, the catalog) are lines of
// "key=value" under a magic first line, so an operator can read them with cat. These helpers
// are the one reader of that shape.
#pragma once

#include <charconv>
#include <string>
#include <string_view>

namespace snapflow::ring {

// Parses all of `text` as a decimal number; false on anything else (sign, spaces, overflow).
template <typename T>
bool parse_whole_number(std::string_view text, T& out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  return ec == std::errc() && end == text.data() + text.size();
}

// The number of the line "key=NUMBER" (not the first line); false if absent or malformed.
template <typename T>
bool find_number_field(std::string_view text, std::string_view key, T& out) {
  const std::string needle = "\n" + std::string(key) + "=";
  const size_t at = text.find(needle);
  if (at == std::string_view::npos) return false;
  const std::string_view rest = text.substr(at + needle.size());
  return parse_whole_number(rest.substr(0, rest.find('\n')), out) &&
         rest.find('\n') != std::string_view::npos;
}

// Walks the "key=value" lines of a text, skipping lines without '=' (the magic line).
class KeyValueLines {
 public:
  explicit KeyValueLines(std::string_view text) : text_(text) {}

  bool next(std::string_view& key, std::string_view& value) {
    while (pos_ < text_.size()) {
      size_t eol = text_.find('\n', pos_);
      if (eol == std::string_view::npos) eol = text_.size();
      const std::string_view line = text_.substr(pos_, eol - pos_);
      pos_ = eol + 1;
      const size_t eq = line.find('=');
      if (eq == std::string_view::npos) continue;
      key = line.substr(0, eq);
      value = line.substr(eq + 1);
      return true;
    }
    return false;
  }

 private:
  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace snapflow::ring
