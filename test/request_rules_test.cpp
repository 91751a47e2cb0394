// The rules a request's head meets before routing. The Host check reads a
// reg-name with Boost.URL's grammar pieces, not its authority parser (~900
// instructions a request): it must judge as
// Boost.URL does on every short string over an alphabet of the characters
// that matter, and as RFC 3986 does where Boost.URL 1.81 errs. Header
// lookups must find what Beast's own find.

#include "all_strings.hpp"
#include "fridgebank/net/request_rules.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/url/parse.hpp>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace fridgebank::net;

namespace {

/// RFC 9112 3.2 as Boost.URL reads it: an authority without userinfo.
bool boost_accepts_host(const std::string& host) {
  if (host.empty())
    return true;
  auto authority = boost::urls::parse_authority(host);
  return authority && !authority->has_userinfo();
}

bool head_refused(const std::string& host) {
  http::request_header<> head;
  head.version(11);
  head.method(http::verb::get);
  head.target("/healthz");
  head.set(http::field::host, host);
  return refusal_of_head(head, false).has_value();
}

} // namespace

TEST_CASE("a Host is judged as Boost.URL's authority parser judges it, on short values") {
  // Unreserved, digits, sub-delims, '%', ':', '@', brackets and '/'. (A space
  // only inside: Beast trims the ends of a value, as the parser drops the
  // OWS there.) Boost.URL 1.81 errs only past 7 characters (below).
  auto hosts = all_strings("a0.-_~:@[]%!/", 3);
  for (std::string extra : {"127.0.0.1:18080", "localhost:65536", "h:", ":80", "::", "a:1:2",
                            "[::1]:80", "[::1", "[::1]x", "u@h", "h:x", "ex%41mple.org", "ex%4",
                            "a b", "xn--bcher-kva.example", "[v1.x]:1"})
    hosts.push_back(extra);
  std::size_t accepted = 0;
  for (const auto& host : hosts) {
    INFO("Host: \"" << host << "\"");
    auto expected = boost_accepts_host(host);
    CHECK(head_refused(host) == !expected);
    accepted += expected ? 1 : 0;
  }
  CHECK(accepted > 100); // the alphabet reaches both verdicts
  CHECK(accepted < hosts.size());
}

TEST_CASE("a Host that begins like an IPv4 address is a name (RFC 3986 reg-name)") {
  // Boost.URL 1.81 takes the address and refuses the rest as left over;
  // RFC 3986 reads the whole as a reg-name, as clients and DNS do.
  for (std::string host : {"127.0.0.1.nip.io", "1.2.3.4a", "1.2.3.4a!", "10.0.0.1-x:8080"}) {
    INFO("Host: " << host);
    CHECK_FALSE(boost_accepts_host(host)); // the library's reading, for the record
    CHECK_FALSE(head_refused(host));
  }
  for (std::string host : {"1.2.3.4:x", "1.2.3.4@h", "1.2.3.4/", "1.2.3.4%"}) {
    INFO("Host: " << host);
    CHECK(head_refused(host));
  }
}

TEST_CASE("header lookups find what Beast's own lookups find, in any case, duplicates too") {
  // As the parser stores them: known names get their field code whatever
  // their case; several of a name keep their order of arrival.
  std::string raw = "POST /a HTTP/1.1\r\nhost: h\r\nCONTENT-type: text/plain\r\n"
                    "x-request-id: first\r\nContent-Type: application/json\r\n"
                    "IDEMPOTENCY-KEY: k1\r\nX-Request-Id: second\r\nidempotency-key: k2\r\n"
                    "Content-Length: 0\r\n\r\n";
  http::request_parser<http::string_body> parser;
  boost::system::error_code ec;
  parser.put(boost::asio::buffer(raw), ec);
  REQUIRE_FALSE(ec);
  REQUIRE(parser.is_done());
  const auto& head = parser.get();
  CHECK(count_of(head, http::field::content_type) == head.count(http::field::content_type));
  CHECK(count_of(head, http::field::content_type) == 2);
  CHECK(first_of(head, http::field::content_type) == head[http::field::content_type]);
  CHECK(first_of(head, http::field::host) == "h");
  CHECK(first_of(head, http::field::expect) == std::nullopt);
  for (std::string name : {"X-Request-Id", "Idempotency-Key", "x-ReQuEsT-iD"}) {
    INFO(name);
    auto found = fields_named(head, name);
    CHECK(found.count == head.count(name));
    CHECK(found.first == head[name]);
  }
  CHECK(fields_named(head, "Idempotency-Key").first == "k1");
  CHECK(fields_named(head, "Idempotency").count == 0);
}
