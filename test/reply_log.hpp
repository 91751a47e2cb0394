#pragma once

// With FRIDGEBANK_REPLY_LOG=FILE the suites' HTTP clients append one JSON
// line per reply they read (method, target, status, headers, body), for
// test/openapi to check each against docs/openapi.yaml. A reply read after
// raw bytes (malformed requests, pipelining) is logged with method "RAW".

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

namespace fridgebank::test {

inline void log_reply(std::string_view method, std::string_view target, unsigned status,
                      boost::json::object headers, std::string_view body) {
  static const char* path = std::getenv("FRIDGEBANK_REPLY_LOG");
  if (!path)
    return;
  boost::json::object line{{"method", method},
                           {"target", target},
                           {"status", status},
                           {"headers", std::move(headers)},
                           {"body", body}};
  std::ofstream{path, std::ios::app} << boost::json::serialize(line) << "\n";
}

} // namespace fridgebank::test
