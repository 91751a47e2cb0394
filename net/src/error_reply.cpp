#include "fridgebank/net/error_reply.hpp"

#include "fridgebank/protocol/codec.hpp"

#include <string>

namespace fridgebank::net {

namespace {

response json_error(error_code code, std::string body) {
  response res{status_of(code), 11};
  res.set(http::field::content_type, "application/json");
  if (code == error_code::overloaded || code == error_code::shutting_down ||
      code == error_code::unavailable)
    res.set(http::field::retry_after, "1");
  res.body() = std::move(body);
  return res;
}

/// Details meant for operators, not clients, are replaced: no internals leak.
std::string public_detail(error_code code, std::string detail) {
  if (code == error_code::internal)
    return "internal error";
  if (detail.empty())
    return std::string{api_code(code)};
  return detail;
}

} // namespace

http::status status_of(error_code code) {
  switch (code) {
  case error_code::none:
    return http::status::ok;
  case error_code::bad_request:
    return http::status::bad_request;
  case error_code::unauthorized:
    return http::status::unauthorized;
  case error_code::not_found:
    return http::status::not_found;
  case error_code::method_not_allowed:
    return http::status::method_not_allowed;
  case error_code::conflict:
  case error_code::insufficient_funds:
    return http::status::conflict;
  case error_code::stopped:
    return http::status::gone;
  case error_code::payload_too_large:
    return http::status::payload_too_large;
  case error_code::unsupported_media_type:
    return http::status::unsupported_media_type;
  case error_code::limit_exceeded:
  case error_code::idempotency_key_reused:
    return http::status::unprocessable_entity;
  case error_code::header_too_large:
    return http::status::request_header_fields_too_large;
  case error_code::internal:
    return http::status::internal_server_error;
  case error_code::overloaded:
  case error_code::timeout:
  case error_code::shutting_down:
  case error_code::unavailable:
    return http::status::service_unavailable;
  }
  return http::status::internal_server_error;
}

response error_reply(error_code code, std::string_view detail) {
  return json_error(code,
                    codec::encode_error(api_code(code), public_detail(code, std::string{detail})));
}

response error_reply(const caf::error& err) {
  auto code = code_of(err);
  auto detail = public_detail(code, detail_of(err));
  if (auto balance = value_of(err); balance && code == error_code::insufficient_funds)
    return json_error(code, codec::encode_error(api_code(code), detail, *balance));
  return json_error(code, codec::encode_error(api_code(code), detail));
}

} // namespace fridgebank::net
