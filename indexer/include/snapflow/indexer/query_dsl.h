// Clauses of the search servers' query DSL, written through any rapidjson-style writer (one
// with StartObject/Key/String/EndObject), so every query the project builds spells them the
// same way and escapes its values.
#pragma once

#include <string_view>

namespace snapflow::indexer {

// {"term":{field:value}}
template <typename Writer>
void write_term(Writer& w, std::string_view field, std::string_view value) {
  w.StartObject();
  w.Key("term");
  w.StartObject();
  w.Key(field.data(), static_cast<unsigned>(field.size()));
  w.String(value.data(), static_cast<unsigned>(value.size()));
  w.EndObject();
  w.EndObject();
}

}  // namespace snapflow::indexer
