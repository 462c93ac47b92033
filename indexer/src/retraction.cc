#include "snapflow/indexer/retraction.h"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <simdjson.h>

#include <string>
#include <string_view>
#include <thread>

#include "snapflow/base/time.h"
#include "snapflow/indexer/query_dsl.h"

namespace snapflow::indexer {

using base::ErrorCode;
using base::make_error;

namespace {

using JsonWriter = rapidjson::Writer<rapidjson::StringBuffer>;

// One page of matching documents: bulk "delete" actions for them.
struct Page {
  size_t hits = 0;
  std::string deletes;
};

base::Result<Page> read_page(const HttpResponse& response) {
  simdjson::dom::parser parser;
  simdjson::dom::object root;
  if (parser.parse(response.body).get(root) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kFormat,
                      "search from " + response.host + ": the answer is not a JSON object");
  }
  // filter_path leaves out "hits" altogether when nothing matched.
  simdjson::dom::array hits;
  if (root.at_pointer("/hits/hits").get(hits) != simdjson::SUCCESS) return Page{};
  Page page;
  rapidjson::StringBuffer buffer;
  for (simdjson::dom::element hit : hits) {
    std::string_view index;
    std::string_view id;
    if (hit["_index"].get(index) != simdjson::SUCCESS || hit["_id"].get(id) != simdjson::SUCCESS) {
      return make_error(ErrorCode::kFormat,
                        "search from " + response.host + ": a hit without _index or _id");
    }
    buffer.Clear();
    JsonWriter w(buffer);
    w.StartObject();
    w.Key("delete");
    w.StartObject();
    w.Key("_index");
    w.String(index.data(), static_cast<rapidjson::SizeType>(index.size()));
    w.Key("_id");
    w.String(id.data(), static_cast<rapidjson::SizeType>(id.size()));
    w.EndObject();
    w.EndObject();
    page.deletes.append(buffer.GetString(), buffer.GetSize());
    page.deletes += '\n';
    ++page.hits;
  }
  return page;
}

// The bulk answer's items: "deleted" or "not_found" (gone already) are both done.
base::Status check_deletes(const HttpResponse& response) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  bool errors = true;
  if (parser.parse(response.body).get(root) != simdjson::SUCCESS ||
      root["errors"].get(errors) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kFormat,
                      "bulk delete from " + response.host + ": not a bulk answer");
  }
  if (!errors) return base::ok_status();
  simdjson::dom::array items;
  if (root["items"].get(items) != simdjson::SUCCESS) return base::ok_status();
  for (simdjson::dom::element item : items) {
    int64_t status = 0;
    if (item["delete"]["status"].get(status) != simdjson::SUCCESS) continue;
    if (status == 200 || status == 404) continue;
    return make_error(
        ErrorCode::kUnavailable,
        "bulk delete from " + response.host + ": an item answered HTTP " + std::to_string(status));
  }
  return base::ok_status();
}

// Unavailable (retry later) when no host answered or the answer is worth repeating (429, 5xx,
// a transient block); rejected otherwise.
base::Status expect_200(const base::Result<HttpResponse>& response, std::string_view what) {
  if (!response.ok()) return base::Error(response.error());
  if (response->status == 200) return base::ok_status();
  return make_error(is_retryable_response(response->status, response->body)
                        ? ErrorCode::kUnavailable
                        : ErrorCode::kRejected,
                    describe_http_error(*response, what));
}

// The scope's documents: {"bool":{"filter":[...]}}. Flow, totals, gap and packet documents;
// never the accounting samples, which are deltas the next sample corrects.
void write_scope_query(JsonWriter& w, const RetractionScope& scope) {
  const auto range = [&w](const char* field, const auto& write_bounds) {
    w.StartObject();
    w.Key("range");
    w.StartObject();
    w.Key(field);
    w.StartObject();
    write_bounds();
    w.EndObject();
    w.EndObject();
    w.EndObject();
  };
  w.StartObject();
  w.Key("bool");
  w.StartObject();
  w.Key("filter");
  w.StartArray();
  write_term(w, "observer.name", scope.observer);
  write_term(w, "labels.capture", scope.capture);
  w.StartObject();
  w.Key("terms");
  w.StartObject();
  w.Key("event.dataset");
  w.StartArray();
  for (const char* dataset :
       {"snapflow.flow", "snapflow.totals", "snapflow.gap", "snapflow.packet"}) {
    w.String(dataset);
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
  range("snapflow.record", [&] {
    w.Key("gt");
    w.Uint64(scope.after_record);
  });
  if (scope.since_ns) {
    range("@timestamp", [&] {
      w.Key("gte");
      // Milliseconds, rounded down: the bound only has to leave older data alone.
      const int64_t ns = *scope.since_ns;
      w.Int64(ns / base::kNsPerMs - (ns % base::kNsPerMs < 0));
      w.Key("format");
      w.String("epoch_millis");
    });
  }
  w.EndArray();
  w.EndObject();
  w.EndObject();
}

// One page of the scope's documents, ids only: {"query":...,"size":N,"_source":false}.
std::string search_body(const RetractionScope& scope, int page_size) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("query");
  write_scope_query(w, scope);
  w.Key("size");
  w.Int(page_size);
  w.Key("_source");
  w.Bool(false);
  w.EndObject();
  return buffer.GetString();
}

std::string describe(const RetractionScope& scope) {
  std::string what = "the documents of observer " + scope.observer + "'s capture " + scope.capture;
  if (scope.after_record > 0) what += " above record " + std::to_string(scope.after_record);
  return what;
}

// POST /<prefix>-*/<api>, tolerating a prefix with no indices yet (nothing to find).
std::string scope_path(const RetractionScope& scope, std::string_view api,
                       std::string_view query = {}) {
  std::string path = "/" + scope.index_prefix + "-*/";
  path += api;
  path += "?ignore_unavailable=true&allow_no_indices=true";
  if (!query.empty()) {
    path += '&';
    path += query;
  }
  return path;
}

// A refresh first, so what follows sees every write that had landed.
base::Status refresh(EsClient& client, const RetractionScope& scope) {
  return expect_200(client.send({"POST", scope_path(scope, "_refresh"), {}}), "refresh");
}

}  // namespace

base::Result<RetractionResult> retract_documents(EsClient& client, const RetractionScope& scope,
                                                 BackoffPolicy& backoff) {
  // Search and bulk delete rather than _delete_by_query: the reindex module that serves it is
  // missing from minimal distributions, and a page loop needs nothing but the core APIs. Each
  // round refreshes, so a round that finds nothing has seen every write that had landed,
  // including any the previous run sent just before it died.
  constexpr int kPageSize = 5000;
  const std::string indices = "/" + scope.index_prefix + "-*";
  const std::string search_path =
      scope_path(scope, "_search", "filter_path=hits.hits._index,hits.hits._id");
  const std::string body = search_body(scope, kPageSize);

  RetractionResult result;
  const int64_t started = base::now_monotonic_ns();
  int attempt = 0;
  // One round; true when the search found nothing left.
  const auto one_round = [&]() -> base::Result<bool> {
    SNAPFLOW_TRY_STATUS(refresh(client, scope), indices);
    auto found = client.send({"POST", search_path, body});
    SNAPFLOW_TRY_STATUS(expect_200(found, "search"), indices);
    auto page = read_page(*found);
    if (!page.ok()) return std::move(page).error();
    ++result.passes;
    if (page->hits == 0) return true;
    auto deleted = client.send({"POST", "/_bulk?filter_path=errors,items.*.status", page->deletes,
                                "application/x-ndjson"});
    SNAPFLOW_TRY_STATUS(expect_200(deleted, "bulk delete"), indices);
    SNAPFLOW_TRY_STATUS(check_deletes(*deleted), "bulk delete");
    result.deleted += page->hits;
    attempt = 0;  // progress: the backoff starts over
    return false;
  };
  for (;;) {
    auto done = one_round();
    if (done.ok()) {
      if (*done) return result;
      continue;
    }
    if (done.error().code() != ErrorCode::kUnavailable) {
      return std::move(done).error().context("delete " + describe(scope));
    }
    const int64_t delay = backoff.delay_ns(attempt++);
    if (!backoff.within_budget(started, base::now_monotonic_ns(), delay)) {
      return std::move(done).error().context("delete " + describe(scope) + ": gave up");
    }
    std::this_thread::sleep_for(std::chrono::nanoseconds(delay));
  }
}

base::Result<uint64_t> count_documents(EsClient& client, const RetractionScope& scope) {
  rapidjson::StringBuffer buffer;
  JsonWriter w(buffer);
  w.StartObject();
  w.Key("query");
  write_scope_query(w, scope);
  w.EndObject();
  const std::string context = "count " + describe(scope);
  SNAPFLOW_TRY_STATUS(refresh(client, scope), context);
  auto counted = client.send({"POST", scope_path(scope, "_count"), buffer.GetString()});
  SNAPFLOW_TRY_STATUS(expect_200(counted, "count"), context);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  uint64_t count = 0;
  if (parser.parse(counted->body).get(root) != simdjson::SUCCESS ||
      root["count"].get(count) != simdjson::SUCCESS) {
    return make_error(ErrorCode::kFormat,
                      context + ": the answer from " + counted->host + " has no count");
  }
  return count;
}

}  // namespace snapflow::indexer
