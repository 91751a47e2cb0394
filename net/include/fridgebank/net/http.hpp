#pragma once

// The HTTP types every part of net/ shares.

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

namespace fridgebank::net {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;

// Header lookups by a walk over the fields in arrival order. Beast's own
// `find` and `count` search a tree by case-insensitive name (~190
// instructions each, callgrind), and a request carries a handful of fields
// that every request looks up half a dozen times. A head is at most 8 KiB,
// so a walk is bounded either way.

/// How many fields `name` has.
template <class Fields> std::size_t count_of(const Fields& fields, http::field name) {
  std::size_t n = 0;
  for (const auto& f : fields)
    n += f.name() == name ? 1 : 0;
  return n;
}

/// The first value of `name`, or none.
template <class Fields>
std::optional<std::string_view> first_of(const Fields& fields, http::field name) {
  for (const auto& f : fields)
    if (f.name() == name)
      return f.value();
  return std::nullopt;
}

/// How many fields are named `name` (any case) and the first one's value.
struct named_fields {
  std::size_t count = 0;
  std::string_view first;
};

/// For a name Beast has no `http::field` for.
template <class Fields> named_fields fields_named(const Fields& fields, std::string_view name) {
  named_fields found;
  for (const auto& f : fields)
    if (boost::beast::iequals(f.name_string(), name) && found.count++ == 0)
      found.first = f.value();
  return found;
}

} // namespace fridgebank::net
