#include "fridgebank/net/router.hpp"

#include "fridgebank/net/error_reply.hpp"

#include <boost/url/parse.hpp>

namespace fridgebank::net {

namespace {

std::vector<std::string> split(std::string_view pattern) {
  std::vector<std::string> out;
  std::size_t pos = 1;
  while (pos <= pattern.size()) {
    auto next = pattern.find('/', pos);
    if (next == std::string_view::npos)
      next = pattern.size();
    out.emplace_back(pattern.substr(pos, next - pos));
    pos = next + 1;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() >= 2 && segment.front() == '{' && segment.back() == '}';
}

/// Matches decoded path segments against a pattern, collecting parameters.
bool matches(const router::route& r, const std::vector<std::string>& path,
             std::vector<std::string>& params) {
  if (r.segments.size() != path.size())
    return false;
  params.clear();
  for (std::size_t i = 0; i < path.size(); ++i) {
    if (is_param(r.segments[i]))
      params.push_back(path[i]);
    else if (r.segments[i] != path[i])
      return false;
  }
  return true;
}

} // namespace

void router::add(http::verb method, std::string pattern, handler handle) {
  auto segments = split(pattern);
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
  auto url = boost::urls::parse_origin_form(req.target());
  if (!url) {
    respond(error_reply(error_code::bad_request, "request target is not a valid path"));
    return;
  }
  std::vector<std::string> path;
  path.reserve(url->segments().size() + 1); // one allocation, not one per growth
  for (auto segment : url->segments())
    path.push_back(segment);
  if (path.empty())
    path.emplace_back(); // "/" is one empty segment, like the pattern "/"
  std::vector<std::string> params;
  params.reserve(path.size());
  std::string allow;
  for (std::size_t i = 0; i < routes_.size(); ++i) {
    const auto& r = routes_[i];
    if (!matches(r, path, params))
      continue;
    if (route == unmatched())
      route = i; // a 405 is counted under the path's first route
    if (r.method == req.method()) {
      route = i;
      request_context ctx{req, *url, std::move(params)};
      r.handle(ctx, std::move(respond));
      return;
    }
    if (!allow.empty())
      allow += ", ";
    allow += http::to_string(r.method);
  }
  if (allow.empty()) {
    respond(error_reply(error_code::not_found, "no route for " + std::string{url->path()}));
    return;
  }
  auto res = error_reply(error_code::method_not_allowed,
                         std::string{req.method_string()} + " is not allowed here");
  res.set(http::field::allow, allow);
  respond(std::move(res));
}

} // namespace fridgebank::net
