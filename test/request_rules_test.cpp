// The rules a request's head meets before routing. Fast paths there must
// judge exactly as the general parsers they skip: each is checked against
// Boost.URL on every short string over an alphabet of the characters that
// matter.

#include "fridgebank/net/request_rules.hpp"

#include <boost/url/parse.hpp>
#include <doctest/doctest.h>
#include <string>
#include <vector>

using namespace fridgebank::net;

namespace {

/// Every string of up to `max_length` characters of `alphabet`.
std::vector<std::string> all_strings(std::string_view alphabet, std::size_t max_length) {
  std::vector<std::string> out{""};
  for (std::size_t begin = 0, length = 1; length <= max_length; ++length) {
    auto end = out.size();
    for (auto i = begin; i < end; ++i)
      for (char c : alphabet)
        out.push_back(out[i] + c);
    begin = end;
  }
  return out;
}

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

TEST_CASE("a Host is judged as Boost.URL's authority parser judges it") {
  // Unreserved and digits (the fast path), then what sends a value to the
  // full parser: sub-delims, '@', brackets, '%', '/'. (A space only inside:
  // Beast trims the ends of a value, as the parser drops the OWS there.)
  auto hosts = all_strings("a0.-_~:@[]%!/", 3);
  for (std::string extra :
       {"127.0.0.1:18080", "localhost:65536", "h:", ":80", "::", "a:1:2", "[::1]:80", "[::1", "u@h",
        "h:x", "ex%41mple.org", "a b", "xn--bcher-kva.example"})
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
