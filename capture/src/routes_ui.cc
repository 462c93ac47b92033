// /ui/ and /ui: the web UI's static files (static_assets.h), behind the same authentication as
// the rest of the API.
#include <algorithm>

#include "api_handlers.h"
#include "snapflow/capture/static_assets.h"

namespace snapflow::capture {

const StaticAsset* find_static_asset(std::string_view path) {
  const auto assets = static_assets();
  auto it = std::lower_bound(assets.begin(), assets.end(), path,
                             [](const StaticAsset& a, std::string_view p) { return a.path < p; });
  return it != assets.end() && it->path == path ? &*it : nullptr;
}

std::string_view content_type_for(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"},
      {".json", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
      {".map", "application/json"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.size() > ext.size() && path.substr(path.size() - ext.size()) == ext) return type;
  }
  return "application/octet-stream";
}

ApiResponse route_ui(const ApiRequest& req, ApiContext&) {
  if (req.path == "/ui") {  // relative links in index.html need the trailing slash
    ApiResponse r = text_response(308, "see /ui/");
    r.headers.push_back({"Location", "/ui/"});
    return r;
  }
  std::string_view name = std::string_view(req.path).substr(4);  // after "/ui/"
  if (name.empty()) name = "index.html";
  const StaticAsset* asset = find_static_asset(name);
  if (asset == nullptr) return text_response(404, "no such file");
  ApiResponse r;
  r.headers.push_back({"ETag", std::string(asset->etag)});
  r.headers.push_back({"Cache-Control", "no-cache"});
  // If-None-Match holds one or more entity tags (or *); any match means "you have it".
  if (req.if_none_match == "*" || req.if_none_match.find(asset->etag) != std::string::npos) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  r.content_type = content_type_for(name);
  r.body = asset->data;
  return r;
}

}  // namespace snapflow::capture
