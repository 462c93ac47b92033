// A minimal JSON text writer for the retrieval listings (objects, arrays, strings, integers,
// booleans, null). rapidjson's Writer is not used here: its internal stack does arithmetic on a
// null pointer on first use, which UBSan (our sanitizer build) rejects. Strings are escaped per
// RFC 8259 (quotation mark, backslash, control characters). Private.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace snapflow::extract {

class JsonText {
 public:
  JsonText& begin_object() { return open('{'); }
  JsonText& end_object() { return close('}'); }
  JsonText& begin_array() { return open('['); }
  JsonText& end_array() { return close(']'); }
  JsonText& key(std::string_view k) {
    separate();
    quote(k);
    out_.push_back(':');
    after_key_ = true;
    return *this;
  }
  JsonText& string(std::string_view v) {
    separate();
    quote(v);
    return *this;
  }
  JsonText& number(int64_t v) {
    separate();
    out_ += std::to_string(v);
    return *this;
  }
  JsonText& unsigned_number(uint64_t v) {
    separate();
    out_ += std::to_string(v);
    return *this;
  }
  JsonText& boolean(bool v) {
    separate();
    out_ += v ? "true" : "false";
    return *this;
  }
  JsonText& null() {
    separate();
    out_ += "null";
    return *this;
  }
  // The document followed by a newline.
  std::string finish() {
    out_.push_back('\n');
    return std::move(out_);
  }

 private:
  JsonText& open(char c) {
    separate();
    out_.push_back(c);
    first_.push_back(true);
    return *this;
  }
  JsonText& close(char c) {
    out_.push_back(c);
    first_.pop_back();
    return *this;
  }
  // A comma before every member or element but the first of its container.
  void separate() {
    if (after_key_) {
      after_key_ = false;
      return;
    }
    if (first_.empty()) return;
    if (!first_.back()) out_.push_back(',');
    first_.back() = false;
  }
  void quote(std::string_view s) {
    static constexpr char kHex[] = "0123456789abcdef";
    out_.push_back('"');
    for (char ch : s) {
      const auto c = static_cast<unsigned char>(ch);
      if (c == '"' || c == '\\') {
        out_.push_back('\\');
        out_.push_back(ch);
      } else if (c < 0x20) {
        out_ += "\\u00";
        out_.push_back(kHex[c >> 4]);
        out_.push_back(kHex[c & 15]);
      } else {
        out_.push_back(ch);
      }
    }
    out_.push_back('"');
  }

  std::string out_;
  std::vector<bool> first_;
  bool after_key_ = false;
};

}  // namespace snapflow::extract
