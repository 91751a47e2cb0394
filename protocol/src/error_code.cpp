#include "fridgebank/protocol/error_code.hpp"

#include <caf/make_message.hpp>
#include <caf/sec.hpp>

namespace fridgebank {

std::string_view api_code(error_code code) {
  switch (code) {
  case error_code::none:
    return "none";
  case error_code::bad_request:
    return "bad_request";
  case error_code::unauthorized:
    return "unauthorized";
  case error_code::not_found:
    return "not_found";
  case error_code::method_not_allowed:
    return "method_not_allowed";
  case error_code::conflict:
    return "conflict";
  case error_code::insufficient_funds:
    return "insufficient_funds";
  case error_code::stopped:
    return "stopped";
  case error_code::payload_too_large:
    return "payload_too_large";
  case error_code::unsupported_media_type:
    return "unsupported_media_type";
  case error_code::limit_exceeded:
    return "limit_exceeded";
  case error_code::idempotency_key_reused:
    return "idempotency_key_reused";
  case error_code::header_too_large:
    return "header_too_large";
  case error_code::internal:
    return "internal";
  case error_code::overloaded:
    return "overloaded";
  case error_code::timeout:
    return "timeout";
  case error_code::shutting_down:
    return "shutting_down";
  case error_code::unavailable:
    return "unavailable";
  }
  return "internal";
}

std::string to_string(error_code code) {
  return std::string{api_code(code)};
}

error_code code_of(const caf::error& err) {
  if (!err)
    return error_code::none;
  if (err.category() == caf::atom("fridgebank"))
    return static_cast<error_code>(err.code());
  if (err.category() == caf::atom("system")) {
    switch (static_cast<caf::sec>(err.code())) {
    case caf::sec::request_timeout:
      return error_code::timeout;
    // The actor (or the node it lived on) is gone: the service behind the
    // route is not there right now.
    case caf::sec::request_receiver_down:
    case caf::sec::no_route_to_receiving_node:
    case caf::sec::socket_disconnected:
    case caf::sec::connection_timeout:
    case caf::sec::remote_linking_failed:
    case caf::sec::cannot_connect_to_node:
      return error_code::unavailable;
    default:
      break;
    }
  }
  return error_code::internal;
}

std::string detail_of(const caf::error& err) {
  if (err && !err.context().empty() && err.context().match_element<std::string>(0))
    return err.context().get_as<std::string>(0);
  return {};
}

std::optional<std::int64_t> value_of(const caf::error& err) {
  if (err && err.context().match_elements<std::string, std::int64_t>())
    return err.context().get_as<std::int64_t>(1);
  return std::nullopt;
}

caf::error make_error(error_code code, std::string detail) {
  return caf::error{static_cast<std::uint8_t>(code), caf::atom("fridgebank"),
                    caf::make_message(std::move(detail))};
}

} // namespace fridgebank

namespace fridgebank {

caf::error make_error(error_code code, std::string detail, std::int64_t value) {
  return caf::error{static_cast<std::uint8_t>(code), caf::atom("fridgebank"),
                    caf::make_message(std::move(detail), value)};
}

} // namespace fridgebank
