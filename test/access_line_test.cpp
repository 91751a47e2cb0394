// The access log's line (net/access_log.hpp), a pure function: the HTTP
// side (one line per request, rotation) is in access_log_test.cpp.

#include "fridgebank/net/access_log.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <string>

namespace json = boost::json;

/// What a JSON reader makes of `bytes` written one `\u00XX` per byte: each
/// byte as the code point of the same number (Latin-1), in UTF-8.
std::string as_code_points(std::string_view bytes) {
  std::string out;
  for (char c : bytes) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x80) {
      out += c;
    } else {
      out += static_cast<char>(0xc0 | (b >> 6));
      out += static_cast<char>(0x80 | (b & 0x3f));
    }
  }
  return out;
}

TEST_CASE("an access line is ASCII and JSON whatever bytes the client sent") {
  fridgebank::net::access_entry e;
  e.time = std::chrono::system_clock::time_point{std::chrono::microseconds{1764636323683649}};
  e.request_id = "id-1";
  e.remote = "127.0.0.1:4242";
  e.method = "POST";
  e.status = 200;
  e.bytes = 46;
  e.latency = std::chrono::microseconds{17};
  // Plain text is copied as it is; a quote, a backslash, a control byte, a
  // byte that is not ASCII (UTF-8 or not) part-way through a string is
  // escaped, and the rest of the string still copied.
  for (std::string target : {std::string{"/fridges/f/drink"}, std::string{"/a\"b\\c"},
                             std::string{"/x\x01y\xc3\xa9z\x7f"}, std::string{"/\xff\xfe-not-utf8"},
                             std::string{"/long-and-plain"} + std::string(300, 'p') + "\""}) {
    CAPTURE(target);
    e.target = target;
    e.idempotency_key = target.size() > 20 ? "k\"1\xff" : "";
    auto line = std::string{fridgebank::net::access_line(e)};
    REQUIRE(line.back() == '\n');
    CHECK(std::all_of(line.begin(), line.end(),
                      [](char c) { return c == '\n' || (c >= 0x20 && c < 0x7f); }));
    boost::system::error_code ec;
    auto parsed = json::parse(line, ec);
    REQUIRE(!ec);
    auto& o = parsed.as_object();
    CHECK(o.at("time") == "2025-12-02T00:45:23.683649Z");
    CHECK(o.at("requestId") == "id-1");
    CHECK(o.at("remote") == "127.0.0.1:4242");
    CHECK(o.at("method") == "POST");
    CHECK(o.at("status") == 200);
    CHECK(o.at("latencyUs") == 17);
    CHECK(o.at("target") == json::value(as_code_points(target)));
    if (!e.idempotency_key.empty())
      CHECK(o.at("idempotencyKey") == json::value(as_code_points("k\"1\xff")));
  }
}
