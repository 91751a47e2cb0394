#include "json_fields.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <cassert>

namespace fridgebank::codec {

namespace json = boost::json;

const json_field& json_fields::operator[](std::string_view key) const {
  for (std::size_t i = 0; i < count; ++i)
    if (fields[i].key == key)
      return fields[i];
  assert(!"a field that was not asked for"); // programmer error
  static const json_field absent;
  return absent;
}

namespace {

/// The SAX handler: tracks the nesting depth, the current top-level key and
/// the text of the value being read, and fills the wanted fields.
struct field_handler {
  static constexpr std::size_t max_array_size = -1;
  static constexpr std::size_t max_object_size = -1;
  static constexpr std::size_t max_string_size = -1;
  static constexpr std::size_t max_key_size = -1;

  explicit field_handler(json_fields& fields) : out(fields) {}

  json_fields& out;
  int depth = 0;
  bool top_is_object = false;
  json_field* current = nullptr; ///< the wanted field the next value fills
  std::string key;               ///< a key arriving in parts
  std::string part;              ///< a string or number arriving in parts

  /// A value of `kind` begins or is complete at the current depth.
  bool value(json_kind kind, std::string_view text = {}) {
    if (depth == 0)
      return true; // the top-level value: an object, or not_object later
    if (depth == 1 && current != nullptr) {
      current->kind = kind;
      current->text.assign(part).append(text);
      current = nullptr;
    }
    part.clear();
    return true;
  }

  bool on_key(std::string_view s, std::size_t, json::error_code&) {
    if (depth != 1)
      return true;
    std::string_view whole = s;
    if (!key.empty())
      whole = key.append(s);
    current = nullptr;
    for (std::size_t i = 0; i < out.count; ++i)
      if (out.fields[i].key == whole)
        current = &out.fields[i];
    key.clear();
    return true;
  }
  bool on_key_part(std::string_view s, std::size_t, json::error_code&) {
    if (depth == 1)
      key.append(s);
    return true;
  }

  bool on_document_begin(json::error_code&) { return true; }
  bool on_document_end(json::error_code&) { return true; }
  bool on_object_begin(json::error_code&) {
    if (depth == 0)
      top_is_object = true;
    value(json_kind::object);
    ++depth;
    return true;
  }
  bool on_object_end(std::size_t, json::error_code&) {
    --depth;
    return true;
  }
  bool on_array_begin(json::error_code&) {
    value(json_kind::array);
    ++depth;
    return true;
  }
  bool on_array_end(std::size_t, json::error_code&) {
    --depth;
    return true;
  }
  bool on_string_part(std::string_view s, std::size_t, json::error_code&) {
    if (depth == 1 && current != nullptr)
      part.append(s);
    return true;
  }
  bool on_string(std::string_view s, std::size_t, json::error_code&) {
    return value(json_kind::string, s);
  }
  bool on_number_part(std::string_view s, json::error_code&) {
    if (depth == 1 && current != nullptr)
      part.append(s);
    return true;
  }
  bool on_int64(std::int64_t, std::string_view s, json::error_code&) {
    return value(json_kind::number, s);
  }
  bool on_uint64(std::uint64_t, std::string_view s, json::error_code&) {
    return value(json_kind::number, s);
  }
  bool on_double(double, std::string_view s, json::error_code&) {
    return value(json_kind::number, s);
  }
  bool on_bool(bool, json::error_code&) { return value(json_kind::boolean); }
  bool on_null(json::error_code&) { return value(json_kind::null); }
  bool on_comment_part(std::string_view, json::error_code&) { return true; }
  bool on_comment(std::string_view, json::error_code&) { return true; }
};

} // namespace

json_read read_fields(std::string_view body, std::initializer_list<std::string_view> wanted,
                      json_fields& out, std::string& error) {
  assert(wanted.size() <= max_wanted_fields); // programmer error
  out.count = 0;
  for (auto key : wanted)
    out.fields[out.count++] = json_field{key, json_kind::absent, {}};
  json::basic_parser<field_handler> parser{json::parse_options{}, out};
  json::error_code ec;
  auto n = parser.write_some(false, body.data(), body.size(), ec);
  if (!ec && n < body.size())
    ec = json::error::extra_data;
  if (ec) {
    error = ec.message();
    return json_read::invalid;
  }
  return parser.handler().top_is_object ? json_read::ok : json_read::not_object;
}

} // namespace fridgebank::codec
