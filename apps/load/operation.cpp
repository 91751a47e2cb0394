#include "load/operation.hpp"

#include <boost/json/parse.hpp>

namespace fridgebank::load {

std::optional<boost::json::object> reply::json() const {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object())
    return std::nullopt;
  return std::move(value.as_object());
}

std::string reply::error_code() const {
  if (!answered() || success())
    return {};
  auto object = json();
  if (!object)
    return {};
  auto* code = object->if_contains("error");
  return code && code->is_string() ? std::string{code->as_string()} : std::string{};
}

std::optional<std::int64_t> int_field(const boost::json::object& object, std::string_view key) {
  auto* value = object.if_contains(key);
  if (!value)
    return std::nullopt;
  if (value->is_int64())
    return value->as_int64();
  if (value->is_uint64() && value->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX))
    return static_cast<std::int64_t>(value->as_uint64());
  return std::nullopt;
}

} // namespace fridgebank::load
