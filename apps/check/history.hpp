#pragma once

// Reading a history as fridgebank-load --history writes it (docs/testing.md):
// one JSON object a line,
//
//   {"ClientId":3,"Input":{"method":"POST","target":"/fridges/f/drink","body":{..}},
//    "Call":1200,"Output":{"status":200,"body":{..}},"Return":1850}
//
// Call and Return in nanoseconds since the run began; "Output":null for an
// operation that got no reply (it may have taken effect after its call, or
// never).

#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

namespace fridgebank::check {

struct http_operation {
  std::int64_t client = 0;
  std::string method;
  std::string target;
  boost::json::value body; // the request's body (null when none)
  std::int64_t call = 0;
  std::int64_t returned = 0;
  std::optional<unsigned> status; // none: no reply
  boost::json::value reply;       // the reply's body
  std::string where;              // FILE:LINE, for reports
};

/// Every operation of `files` (one history; clients of different files are
/// told apart), or a one-line reason the input is unreadable.
std::variant<std::vector<http_operation>, std::string>
read_history(const std::vector<std::string>& files);

/// The same from text, for tests (`name` stands for the file).
std::variant<std::vector<http_operation>, std::string>
parse_history(const std::string& text, const std::string& name, std::int64_t client_offset = 0);

} // namespace fridgebank::check
