#include "snapflow/indexer/bulk_response.h"

#include <simdjson.h>

#include <string>

#include "snapflow/indexer/retry.h"

namespace snapflow::indexer {

using base::ErrorCode;
using base::make_error;

ItemOutcome classify_item_status(int status) {
  if (status == 200 || status == 201) return ItemOutcome::kIndexed;
  if (status == 409) return ItemOutcome::kAlreadyPresent;
  if (status == 429 || status == 502 || status == 503 || status == 504) return ItemOutcome::kRetry;
  return ItemOutcome::kReject;
}

namespace {

base::Error format_error(std::string what) {
  return make_error(ErrorCode::kFormat, "bulk response: " + std::move(what));
}

// Reads error.type, error.reason and error.caused_by.reason (mapping errors put the useful
// part, e.g. "For input string: \"x\"", in caused_by).
void read_error(simdjson::ondemand::object error, BulkItemError& out) {
  for (auto field : error) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) continue;
    if (key == "type") {
      std::string_view v;
      if (field.value().get_string().get(v) == simdjson::SUCCESS) out.type = v;
    } else if (key == "reason") {
      std::string_view v;
      if (field.value().get_string().get(v) == simdjson::SUCCESS) {
        out.reason.insert(0, std::string(v));
      }
    } else if (key == "caused_by") {
      simdjson::ondemand::object cause;
      if (field.value().get_object().get(cause) != simdjson::SUCCESS) continue;
      for (auto cf : cause) {
        std::string_view ck;
        if (cf.unescaped_key().get(ck) != simdjson::SUCCESS || ck != "reason") continue;
        std::string_view v;
        if (cf.value().get_string().get(v) == simdjson::SUCCESS) {
          out.reason.append(": ").append(v);
        }
      }
    }
  }
}

}  // namespace

base::Result<BulkResponse> parse_bulk_response(std::string_view body, size_t expected_items) {
  BulkResponse result;
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(body);
  simdjson::ondemand::document doc;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return format_error("not JSON");
  simdjson::ondemand::object root;
  if (doc.get_object().get(root) != simdjson::SUCCESS) return format_error("not an object");

  bool saw_errors = false;
  simdjson::ondemand::array items;
  bool have_items = false;
  // filter_path keeps "errors" before "items"; read fields in document order either way.
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) return format_error("bad key");
    if (key == "errors") {
      if (field.value().get_bool().get(result.errors) != simdjson::SUCCESS) {
        return format_error("errors is not a boolean");
      }
      saw_errors = true;
      if (!result.errors) {
        // Every document was indexed; skip the items entirely.
        result.indexed = expected_items;
        return result;
      }
    } else if (key == "items") {
      if (!saw_errors) return format_error("items before errors");
      if (field.value().get_array().get(items) != simdjson::SUCCESS) {
        return format_error("items is not an array");
      }
      have_items = true;
      size_t index = 0;
      for (auto item_value : items) {
        simdjson::ondemand::object item;
        if (item_value.get_object().get(item) != simdjson::SUCCESS) {
          return format_error("item " + std::to_string(index) + " is not an object");
        }
        // {"create": {"status": 201, "error": {...}}}: one field named after the action.
        BulkItemError entry;
        entry.index = index;
        bool have_status = false;
        for (auto action : item) {
          simdjson::ondemand::object inner;
          if (action.value().get_object().get(inner) != simdjson::SUCCESS) {
            return format_error("item " + std::to_string(index) + " has no action object");
          }
          for (auto f : inner) {
            std::string_view k;
            if (f.unescaped_key().get(k) != simdjson::SUCCESS) continue;
            if (k == "status") {
              int64_t s = 0;
              if (f.value().get_int64().get(s) != simdjson::SUCCESS) {
                return format_error("item " + std::to_string(index) + " status not a number");
              }
              entry.status = static_cast<int>(s);
              have_status = true;
            } else if (k == "error") {
              simdjson::ondemand::object e;
              if (f.value().get_object().get(e) == simdjson::SUCCESS) {
                read_error(e, entry);
              } else {
                std::string_view s;
                if (f.value().get_string().get(s) == simdjson::SUCCESS) entry.reason = s;
              }
            }
          }
        }
        if (!have_status) return format_error("item " + std::to_string(index) + " has no status");
        entry.outcome = classify_item(entry.status, entry.type, entry.reason);
        switch (entry.outcome) {
          case ItemOutcome::kIndexed:
            ++result.indexed;
            break;
          case ItemOutcome::kAlreadyPresent:
            ++result.already_present;
            result.present.push_back(index);
            break;
          default:
            result.failures.push_back(std::move(entry));
            break;
        }
        ++index;
      }
      result.items = index;
    }
  }
  if (!saw_errors) return format_error("no errors field");
  if (!have_items) return format_error("errors is true but there are no items");
  if (result.items != expected_items) {
    return format_error(std::to_string(result.items) + " items for " +
                        std::to_string(expected_items) + " documents sent");
  }
  return result;
}

}  // namespace snapflow::indexer
