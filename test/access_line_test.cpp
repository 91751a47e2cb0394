// The access log's line (net/access_log.hpp), a pure function: the HTTP
// side (one line per request, rotation) is in access_log_test.cpp.

#include "fridgebank/net/access_log.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <string>

namespace json = boost::json;

TEST_CASE("an access line is JSON whatever bytes the client sent") {
  fridgebank::net::access_entry e;
  e.time = std::chrono::system_clock::time_point{std::chrono::microseconds{1764636323683649}};
  e.request_id = "id-1";
  e.remote = "127.0.0.1:4242";
  e.method = "POST";
  e.status = 200;
  e.bytes = 46;
  e.latency = std::chrono::microseconds{17};
  // Plain text is copied as it is; a quote, a backslash, a control byte or
  // a byte that is not ASCII part-way through a string is escaped whole.
  for (std::string target :
       {std::string{"/fridges/f/drink"}, std::string{"/a\"b\\c"}, std::string{"/x\x01y\xc3\xa9z"},
        std::string{"/long-and-plain"} + std::string(300, 'p') + "\""}) {
    CAPTURE(target);
    e.target = target;
    e.idempotency_key = target.size() > 20 ? "k\"1" : "";
    auto line = std::string{fridgebank::net::access_line(e)};
    REQUIRE(line.back() == '\n');
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
    if (target.find('\xc3') == std::string::npos) // not UTF-8 as a whole: Boost.JSON rewrites it
      CHECK(o.at("target") == json::value(target));
    if (!e.idempotency_key.empty())
      CHECK(o.at("idempotencyKey") == "k\"1");
  }
}
