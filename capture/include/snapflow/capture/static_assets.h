// The web UI's static files, compiled into snapflow-capture and served under /ui/.
//
// Every file under capture/web/ui/ becomes a StaticAsset at build time
// (capture/web/embed_assets.cmake writes the table; adding a file needs no code change, only a
// re-run of cmake so the new file is seen). GET /ui/PATH serves the asset PATH (/ui/ serves
// index.html) with its content type, an ETag (from the file's SHA-256) and
// "Cache-Control: no-cache": the browser keeps a copy and revalidates it, and an unchanged file
// costs a 304 without a body.
#pragma once

#include <span>
#include <string_view>

namespace snapflow::capture {

struct StaticAsset {
  std::string_view path;  ///< relative to /ui/, e.g. "index.html", "js/app.js"
  std::string_view data;
  std::string_view etag;  ///< quoted, as sent in the ETag header
};

std::span<const StaticAsset> static_assets();  ///< generated; sorted by path
const StaticAsset* find_static_asset(std::string_view path);
// By extension: html, css, js/mjs, json, svg, png, ico, woff2, txt, map; else octet-stream.
std::string_view content_type_for(std::string_view path);

}  // namespace snapflow::capture
