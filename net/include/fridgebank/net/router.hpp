#pragma once

// Method + path patterns to handlers. Patterns are literal segments and
// `{param}` segments ("/fridges/{name}/drink"); a path that matches no
// pattern is 404, one that matches with another method is 405 with `Allow`.

#include "fridgebank/net/http.hpp"

#include <boost/container/small_vector.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fridgebank::net {

/// Hands a route its reply. Called exactly once, from any thread.
using responder = std::function<void(response)>;

/// What a handler sees of its request.
struct request_context {
  const request& req;
  /// `{param}` segments, percent-decoded, in order (no route has more than two).
  boost::container::small_vector<std::string, 2> params;
  /// The target as a URL (the router has checked that it is one). Parsed on
  /// first use when the router did not need to parse it itself.
  boost::urls::url_view url() {
    if (!parsed)
      parsed = boost::urls::parse_origin_form(req.target()).value();
    return *parsed;
  }
  /// The value of the first query parameter named `key`, percent-decoded
  /// ('+' is a space); none when there is no such parameter or it has no
  /// '='. As `url().params()` would find it, without parsing a plain query.
  std::optional<std::string> query_value(std::string_view key);
  /// The path, percent-decoded: no query, no scheme and authority.
  std::string decoded_path() const;

  std::optional<boost::urls::url_view> parsed;
  /// The query ("" for none) when the router found the target plain (no
  /// escape, no '+'): its bytes are its decoded value.
  std::optional<std::string_view> plain_query;
};

using handler = std::function<void(request_context&, responder)>;

class router {
public:
  struct route {
    http::verb method;
    std::string pattern;
    std::vector<std::string> segments;
    handler handle;
  };

  /// A pattern has at most this many segments; a longer path matches none.
  static constexpr std::size_t max_segments = 8;

  /// Registers a route; its index (the metrics label) is the order of adding.
  /// Throws std::invalid_argument for a pattern of more than `max_segments`.
  void add(http::verb method, std::string pattern, handler handle);

  /// Finds the route for `req` and runs it, or answers 400/404/405 itself.
  /// `route` is set to the route's index (the metrics label) before the
  /// handler runs, since a handler may answer at once; `unmatched()` when
  /// no route's path matches.
  void dispatch(const request& req, responder respond, std::size_t& route) const;

  std::vector<std::string> patterns() const;
  std::size_t unmatched() const { return routes_.size(); }

private:
  std::vector<route> routes_;
};

} // namespace fridgebank::net
