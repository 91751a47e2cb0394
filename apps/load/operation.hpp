#pragma once

// One operation of a load run: the request a scenario wants sent, and what
// came back.

#include <boost/beast/http/verb.hpp>
#include <boost/json/object.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace fridgebank::load {

struct request {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;
  std::string body;            // JSON; empty for a GET
  std::string route;           // the name the report counts it under: "drink", "transfer", ...
  std::string idempotency_key; // sent as Idempotency-Key when not empty
};

struct reply {
  /// 0 when no reply came (the connection failed or the request timed out):
  /// the request may or may not have taken effect.
  unsigned status = 0;
  std::string body;
  std::string failure; // why no reply came

  bool answered() const { return status != 0; }
  bool success() const { return status >= 200 && status < 300; }
  /// The body as a JSON object, if it is one.
  std::optional<boost::json::object> json() const;
  /// The `error` code of an error reply, or "".
  std::string error_code() const;
};

/// How a scenario judges a reply. A refusal the scenario provokes on purpose
/// (a transfer from an empty account) is not an error.
enum class outcome { ok, refused, error };

/// `object[key]` if it is an integer.
std::optional<std::int64_t> int_field(const boost::json::object& object, std::string_view key);

} // namespace fridgebank::load
