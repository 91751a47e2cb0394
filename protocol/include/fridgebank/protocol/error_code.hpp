#pragma once

#include <caf/error.hpp>
#include <caf/make_message.hpp>
#include <caf/message.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fridgebank {

/// Every failure a client can see, named as API.md names it. Actors return
/// these as values (a `caf::error` of category "fridgebank"); the HTTP layer
/// maps each to its status in one place (net/error_reply).
enum class error_code : std::uint8_t {
  none = 0,
  bad_request,
  unauthorized,
  not_found,
  method_not_allowed,
  conflict,
  insufficient_funds,
  stopped,
  payload_too_large,
  unsupported_media_type,
  limit_exceeded,
  idempotency_key_reused,
  header_too_large,
  internal,
  overloaded,
  timeout,
  shutting_down,
  unavailable,
};

/// The API code string, e.g. "insufficient_funds".
std::string_view api_code(error_code code);

/// For CAF's error rendering.
std::string to_string(error_code code);

/// Our error code of `err`, mapping CAF's own failures (timeouts, dead
/// receivers) onto the nearest API code.
error_code code_of(const caf::error& err);

/// The human-readable detail attached to `err` (empty if none).
std::string detail_of(const caf::error& err);

/// The number attached to `err` (the unchanged balance of an
/// `insufficient_funds`), if any.
std::optional<std::int64_t> value_of(const caf::error& err);

/// An error of ours with a human-readable detail.
caf::error make_error(error_code code, std::string detail);

/// An error of ours with a detail and a number the client needs to see.
caf::error make_error(error_code code, std::string detail, std::int64_t value);

} // namespace fridgebank

CAF_ERROR_CODE_ENUM(fridgebank::error_code, "fridgebank")
