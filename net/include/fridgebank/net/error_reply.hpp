#pragma once

#include "fridgebank/net/http.hpp"
#include "fridgebank/protocol/error_code.hpp"

#include <caf/error.hpp>
#include <string_view>

namespace fridgebank::net {

/// The one place where our error codes become HTTP statuses (API.md).
http::status status_of(error_code code);

/// A complete JSON error reply: `{"error":code,"message":detail}`, plus
/// `balance` when the error carries one, `Retry-After` on 503 overloaded and
/// `Allow` (given by the caller) on 405.
response error_reply(error_code code, std::string_view detail);
response error_reply(const caf::error& err);

} // namespace fridgebank::net
