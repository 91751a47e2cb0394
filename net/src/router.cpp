#include "fridgebank/net/router.hpp"

#include "fridgebank/net/error_reply.hpp"

#include <algorithm>
#include <boost/container/static_vector.hpp>
#include <boost/url/decode_view.hpp>
#include <boost/url/grammar/charset.hpp>
#include <boost/url/grammar/lut_chars.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/rfc/pchars.hpp>
#include <cassert>
#include <span>
#include <stdexcept>

namespace fridgebank::net {

namespace {

/// Calls `f` with each `separator`-separated part of `text` ("" has one
/// empty part) until `f` returns false.
template <class F> void for_each_part(std::string_view text, char separator, F f) {
  for (;;) {
    auto end = std::min(text.find(separator), text.size());
    if (!f(text.substr(0, end)) || end == text.size())
      return;
    text.remove_prefix(end + 1);
  }
}

/// Calls `f` with each '/'-separated part of `path` after its leading '/':
/// "/" has one empty part, "/a/" has "a" and "". Patterns are split so, and
/// plain request paths the same way.
template <class F> void for_each_segment(std::string_view path, F f) {
  for_each_part(path.substr(1), '/', [&f](std::string_view part) {
    f(part);
    return true;
  });
}

bool is_param(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

/// A path's segments as they came, still percent-encoded: matching compares
/// them decoded without building a string for each; only a route's
/// parameters are decoded into strings, once the route is found.
class encoded_path {
public:
  /// Past `max_segments` the path is longer than every pattern and matches
  /// none, so the rest is not kept.
  void add(boost::urls::pct_string_view segment) {
    if (segments_.size() == segments_.capacity())
      too_long_ = true;
    else
      segments_.push_back(segment);
  }

  /// The segments, or none for a path too long to match.
  std::span<const boost::urls::pct_string_view> segments() const {
    if (too_long_)
      return {};
    return {segments_.data(), segments_.size()};
  }

private:
  boost::container::static_vector<boost::urls::pct_string_view, router::max_segments> segments_;
  bool too_long_ = false;
};

bool same_segment(boost::urls::pct_string_view segment, std::string_view literal) {
  if (segment.decoded_size() == segment.size()) // nothing escaped
    return std::string_view{segment} == literal;
  return *segment == literal;
}

/// What a plain path holds: RFC 3986 pchar without pct-encoded, and '/'.
constexpr auto plain_path_chars = boost::urls::pchars + '/';

/// What a plain query holds: query chars that decode to themselves (no
/// pct-encoded, and no '+', which the API reads as a space).
constexpr auto plain_query_chars = plain_path_chars + '?' - '+';

bool only(std::string_view text, const boost::urls::grammar::lut_chars& chars) {
  return boost::urls::grammar::find_if_not(text.data(), text.data() + text.size(), chars) ==
         text.data() + text.size();
}

/// Splits a target that is a plain path, with or without a plain query:
/// '/' then only plain path characters (so no escape), then optionally '?'
/// and only plain query characters. Such a target is valid origin-form by
/// construction and its segments are its '/'-separated parts, as Boost.URL
/// would find them; its general parser cost ~1,900 instructions on
/// "/fridges/bench/drink" (callgrind), this loop a tenth of that. Returns
/// false for any other target, which Boost.URL then parses.
bool split_plain_target(std::string_view target, encoded_path& path,
                        std::optional<std::string_view>& query) {
  auto mark = target.find('?');
  auto plain = target.substr(0, mark);
  if (plain.empty() || plain.front() != '/' || !only(plain, plain_path_chars))
    return false;
  auto rest = mark == std::string_view::npos ? std::string_view{} : target.substr(mark + 1);
  if (!only(rest, plain_query_chars))
    return false;
  query = rest; // no query reads as an empty one: neither has a named parameter
  for_each_segment(plain, [&path](std::string_view segment) {
    path.add(boost::urls::pct_string_view{segment});
  });
  return true;
}

/// Splits any parsed target.
void split_url(boost::urls::url_view url, encoded_path& path) {
  for (auto segment : url.encoded_segments())
    path.add(segment);
  if (url.encoded_segments().empty())
    path.add({}); // "/" is one empty segment, like the pattern "/"
}

/// HEAD is served by the GET route (RFC 9110 9.3.2); the session leaves the
/// body out.
bool serves(const router::route& r, http::verb method) {
  return r.method == method || (method == http::verb::head && r.method == http::verb::get);
}

/// The target in origin-form (`/path?query`) or absolute-form
/// (`http://host/path?query`, RFC 9112 3.2.2: what a proxy sends; the
/// authority is not ours to judge, the path and query are used).
boost::system::result<boost::urls::url_view> parse_target(std::string_view target) {
  if (!target.empty() && target.front() == '/')
    return boost::urls::parse_origin_form(target);
  auto url = boost::urls::parse_absolute_uri(target);
  if (!url)
    return url;
  // An http(s) URI with a host and without userinfo (RFC 9110 4.2.1, 4.2.4).
  bool http = url->scheme_id() == boost::urls::scheme::http ||
              url->scheme_id() == boost::urls::scheme::https;
  if (!http || !url->has_authority() || url->encoded_host().empty() || url->has_userinfo())
    return boost::urls::error::bad_pct_hexdig; // any error: not a target we serve
  return url;
}

bool matches(const router::route& r, std::span<const boost::urls::pct_string_view> path) {
  if (r.segments.size() != path.size())
    return false;
  for (std::size_t i = 0; i < path.size(); ++i)
    if (!is_param(r.segments[i]) && !same_segment(path[i], r.segments[i]))
      return false;
  return true;
}

} // namespace

std::optional<std::string> request_context::query_value(std::string_view key) {
  if (!plain_query) {
    auto params = url().params(boost::urls::encoding_opts{true});
    auto it = params.find(key);
    if (it == params.end() || !(*it).has_value)
      return std::nullopt;
    return (*it).value;
  }
  std::optional<std::string> found;
  for_each_part(*plain_query, '&', [&](std::string_view param) {
    auto equals = param.find('=');
    if (param.substr(0, equals) != key)
      return true; // go on
    if (equals != std::string_view::npos)
      found = std::string{param.substr(equals + 1)};
    return false; // the first of that name decides
  });
  return found;
}

std::string request_context::decoded_path() const {
  if (parsed)
    return parsed->path();
  // A plain target (the router parses every other one): no escape, so its
  // path is decoded already.
  assert(plain_query);
  return std::string{req.target().substr(0, req.target().find('?'))};
}

void router::add(http::verb method, std::string pattern, handler handle) {
  std::vector<std::string> segments;
  for_each_segment(pattern, [&segments](std::string_view part) { segments.emplace_back(part); });
  if (segments.size() > max_segments)
    throw std::invalid_argument{"route pattern has more than " + std::to_string(max_segments) +
                                " segments: " + pattern};
  routes_.push_back(route{method, std::move(pattern), std::move(segments), std::move(handle)});
}

std::vector<std::string> router::patterns() const {
  std::vector<std::string> out;
  for (const auto& r : routes_)
    out.push_back(std::string{http::to_string(r.method)} + " " + r.pattern);
  return out;
}

void router::dispatch(const request& req, responder respond, std::size_t& route) const {
  route = unmatched();
  request_context ctx{req, {}, std::nullopt, std::nullopt};
  encoded_path split;
  if (!split_plain_target(req.target(), split, ctx.plain_query)) {
    auto url = parse_target(req.target());
    if (!url) {
      respond(error_reply(error_code::bad_request, "request target is not a valid path"));
      return;
    }
    ctx.parsed = *url;
    split_url(*url, split);
  }
  auto path = split.segments();
  std::string allow;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& r = routes_[i];
    if (!matches(r, path))
      continue;
    if (route == unmatched())
      route = i; // a 405 is counted under the path's first route
    if (serves(r, req.method())) {
      route = i;
      for (std::size_t s = 0; s < path.size(); ++s)
        if (is_param(r.segments[s]))
          ctx.params.push_back(path[s].decode());
      r.handle(ctx, std::move(respond));
      return;
    }
    if (!allow.empty())
      allow += ", ";
    allow += http::to_string(r.method);
    if (r.method == http::verb::get)
      allow += ", HEAD";
  }
  if (allow.empty()) {
    // The path as it came (percent-encoded): decoded, it may be any bytes.
    respond(error_reply(error_code::not_found,
                        "no route for " + std::string{ctx.url().encoded_path()}));
    return;
  }
  auto res = error_reply(error_code::method_not_allowed,
                         std::string{req.method_string()} + " is not allowed here");
  res.set(http::field::allow, allow);
  respond(std::move(res));
}

} // namespace fridgebank::net
