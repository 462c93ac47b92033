#include "snapflow/indexer/stored_check.h"

#include <simdjson.h>

#include "snapflow/indexer/dead_letter.h"

namespace snapflow::indexer {
namespace {

using base::ErrorCode;
using base::make_error;

// A bulk document is "action\nsource\n".
std::pair<std::string_view, std::string_view> split_document(std::string_view document) {
  const size_t eol = document.find('\n');
  if (eol == std::string_view::npos) return {document, {}};
  std::string_view source = document.substr(eol + 1);
  if (!source.empty() && source.back() == '\n') source.remove_suffix(1);
  return {document.substr(0, eol), source};
}

struct ActionTarget {
  std::string index;
  std::string id;
};

base::Result<ActionTarget> parse_action(std::string_view action) {
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(action);
  simdjson::ondemand::document doc;
  simdjson::ondemand::object root;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(root) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kFormat, "bulk action line is not a JSON object");
  }
  ActionTarget target;
  for (auto action_field : root) {
    simdjson::ondemand::object inner;
    if (action_field.value().get_object().get(inner) != simdjson::SUCCESS) break;
    for (auto f : inner) {
      std::string_view key;
      std::string_view value;
      if (f.unescaped_key().get(key) != simdjson::SUCCESS) continue;
      if (key != "_index" && key != "_id") continue;
      if (f.value().get_string().get(value) != simdjson::SUCCESS) continue;
      (key == "_index" ? target.index : target.id) = std::string(value);
    }
    break;  // one action per line
  }
  if (target.index.empty() || target.id.empty()) {
    return make_error(ErrorCode::kFormat, "bulk action line without _index and _id");
  }
  return target;
}

}  // namespace

base::Result<std::string> mget_body(const BulkRequest& request,
                                    const std::vector<size_t>& indices) {
  std::string body = "{\"docs\":[";
  for (size_t n = 0; n < indices.size(); ++n) {
    auto target = parse_action(split_document(request.document(indices[n])).first);
    if (!target.ok()) return std::move(target).error();
    if (n > 0) body.push_back(',');
    body += "{\"_index\":";
    append_json_string(body, target->index);
    body += ",\"_id\":";
    append_json_string(body, target->id);
    body.push_back('}');
  }
  body += "]}";
  return body;
}

base::Result<std::vector<StoredCheck>> compare_stored(std::string_view response,
                                                      const BulkRequest& request,
                                                      const std::vector<size_t>& indices) {
  const auto bad = [](std::string what) {
    return make_error(ErrorCode::kFormat, "_mget response: " + std::move(what));
  };
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(response);
  simdjson::ondemand::document doc;
  simdjson::ondemand::array docs;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc["docs"].get_array().get(docs) != simdjson::SUCCESS) {
    return bad("no docs array");
  }
  std::vector<StoredCheck> checks;
  checks.reserve(indices.size());
  for (auto entry : docs) {
    if (checks.size() == indices.size()) return bad("more docs than requested");
    simdjson::ondemand::object object;
    if (entry.get_object().get(object) != simdjson::SUCCESS) return bad("a doc is not an object");
    StoredCheck check;
    bool found = false;
    std::string_view stored;
    for (auto field : object) {
      std::string_view key;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS) return bad("bad key");
      if (key == "_id") {
        std::string_view id;
        if (field.value().get_string().get(id) == simdjson::SUCCESS) check.id = std::string(id);
      } else if (key == "found") {
        if (field.value().get_bool().get(found) != simdjson::SUCCESS) return bad("bad found");
      } else if (key == "_source") {
        simdjson::ondemand::object source;
        if (field.value().get_object().get(source) != simdjson::SUCCESS ||
            source.raw_json().get(stored) != simdjson::SUCCESS) {
          return bad("_source is not an object");
        }
      } else if (key == "error") {
        return bad("the server could not read a document: " + check.id);
      }
    }
    const std::string_view sent = split_document(request.document(indices[checks.size()])).second;
    if (!found) {
      check.match = StoredMatch::kMissing;
    } else if (stored == sent) {
      check.match = StoredMatch::kSame;
    } else {
      check.match = StoredMatch::kDifferent;
      check.stored = std::string(stored.substr(0, 512));
    }
    checks.push_back(std::move(check));
  }
  if (checks.size() != indices.size()) {
    return bad(std::to_string(checks.size()) + " docs for " + std::to_string(indices.size()) +
               " requested");
  }
  return checks;
}

CountedTraffic counted_traffic(std::string_view document) {
  auto [first, second] = split_document(document);
  const std::string_view source = second.empty() ? first : second;
  simdjson::ondemand::parser parser;
  const simdjson::padded_string padded(source);
  simdjson::ondemand::document doc;
  CountedTraffic counted;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) return counted;
  std::string_view dataset;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  // at_pointer rewinds the document, so the order of the lookups does not matter.
  if (doc.at_pointer("/event/dataset").get_string().get(dataset) != simdjson::SUCCESS) {
    // fmadio-form flow documents (pcap2json --format fmadio) carry no event.dataset.
    if (doc.at_pointer("/TotalPkt").get_uint64().get(packets) == simdjson::SUCCESS &&
        doc.at_pointer("/TotalByte").get_uint64().get(bytes) == simdjson::SUCCESS) {
      counted = {packets, bytes};
    }
    return counted;
  }
  if (doc.at_pointer("/network/bytes").get_uint64().get(bytes) != simdjson::SUCCESS) bytes = 0;
  if (dataset == "snapflow.flow") {
    if (doc.at_pointer("/network/packets").get_uint64().get(packets) != simdjson::SUCCESS) {
      packets = 0;
    }
    counted = {packets, bytes};
  } else if (dataset == "snapflow.packet") {
    counted = {1, bytes};
  }
  return counted;
}

}  // namespace snapflow::indexer
