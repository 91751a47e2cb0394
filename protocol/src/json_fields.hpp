#pragma once

// The top-level fields of a small JSON request body, read in one pass of
// Boost.JSON's SAX parser without building a document. Numbers keep their
// text, so `exact_integer.hpp` reads them exactly (never through a double);
// strings are unescaped. Only the fields asked for are kept; unknown fields
// and nested values are parsed (and so validated) and dropped. A key given
// twice: the last one counts, as with `boost::json::parse`.

#include <array>
#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>

namespace fridgebank::codec {

enum class json_kind { absent, number, string, boolean, null, object, array };

struct json_field {
  std::string_view key;
  json_kind kind = json_kind::absent;
  std::string text; ///< a number's text, or a string's unescaped value
};

/// At most this many fields are asked for in one body (a transfer's three).
inline constexpr std::size_t max_wanted_fields = 3;

struct json_fields {
  std::array<json_field, max_wanted_fields> fields;
  std::size_t count = 0;

  /// The field `key` (kind `absent` when the body did not have it).
  const json_field& operator[](std::string_view key) const;
};

/// How reading a body went: `ok`, or why it is not a JSON object.
enum class json_read { ok, invalid, not_object };

/// Reads `body`, keeping the top-level `wanted` fields in `out`.
/// `error` says what is invalid when the result is `invalid`.
json_read read_fields(std::string_view body, std::initializer_list<std::string_view> wanted,
                      json_fields& out, std::string& error);

} // namespace fridgebank::codec
