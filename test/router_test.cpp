// The router: which route a target reaches and with which parameters. A plain
// path is split by the router's fast path, anything else by Boost.URL; both
// must route every target the same way.

#include "all_strings.hpp"
#include "fridgebank/net/router.hpp"

#include <boost/json.hpp>
#include <boost/url/parse.hpp>
#include <doctest/doctest.h>
#include <optional>
#include <string>
#include <vector>

using namespace fridgebank::net;

namespace {

/// What one dispatch did: the route index, the parameters the handler saw
/// (none when no handler ran), and the reply's status and error code.
struct outcome {
  std::size_t route = 0;
  std::vector<std::string> params;
  unsigned status = 0;
  std::string error;
  std::string allow;

  bool operator==(const outcome&) const = default;
};

class fixture {
public:
  fixture() {
    add(http::verb::get, "/");
    add(http::verb::get, "/fridges");
    add(http::verb::get, "/fridges/{name}");
    add(http::verb::post, "/fridges/{name}/drink");
    add(http::verb::post, "/transfers/{from}/{to}");
  }

  outcome dispatch(http::verb method, const std::string& target) {
    request req{method, target, 11};
    outcome out;
    routes_.dispatch(
        req,
        [&out](response res) {
          out.status = res.result_int();
          if (res.result_int() >= 400)
            out.error = boost::json::parse(res.body()).at("error").as_string().c_str();
          out.allow = std::string{res[http::field::allow]};
        },
        out.route);
    out.params = last_params_;
    last_params_.clear();
    return out;
  }

  std::size_t unmatched() const { return routes_.unmatched(); }

private:
  void add(http::verb method, std::string pattern) {
    routes_.add(method, std::move(pattern), [this](request_context& ctx, responder respond) {
      last_params_.assign(ctx.params.begin(), ctx.params.end());
      respond(response{http::status::ok, 11});
    });
  }

  router routes_;
  std::vector<std::string> last_params_;
};

} // namespace

TEST_CASE("targets reach their route with decoded parameters") {
  fixture f;
  using v = http::verb;
  CHECK(f.dispatch(v::get, "/") == outcome{0, {}, 200, "", ""});
  CHECK(f.dispatch(v::get, "/fridges") == outcome{1, {}, 200, "", ""});
  CHECK(f.dispatch(v::get, "/fridges/k") == outcome{2, {"k"}, 200, "", ""});
  CHECK(f.dispatch(v::post, "/fridges/k/drink") == outcome{3, {"k"}, 200, "", ""});
  CHECK(f.dispatch(v::post, "/transfers/a/b") == outcome{4, {"a", "b"}, 200, "", ""});
  // Escapes are decoded, in literals too.
  CHECK(f.dispatch(v::post, "/%66ridges/%6b/drink") == outcome{3, {"k"}, 200, "", ""});
  CHECK(f.dispatch(v::get, "/fridges/a%20b") == outcome{2, {"a b"}, 200, "", ""});
  CHECK(f.dispatch(v::get, "/fridges/a%2Fb") == outcome{2, {"a/b"}, 200, "", ""});
  // An empty segment is a segment: the handler sees an empty name.
  CHECK(f.dispatch(v::post, "/fridges//drink") == outcome{3, {""}, 200, "", ""});
  // The query is not part of the path.
  CHECK(f.dispatch(v::get, "/fridges/k?x=1") == outcome{2, {"k"}, 200, "", ""});
}

TEST_CASE("no route is 404, another method 405 with Allow, a bad target 400") {
  fixture f;
  using v = http::verb;
  auto none = f.unmatched();
  CHECK(f.dispatch(v::get, "/nowhere") == outcome{none, {}, 404, "not_found", ""});
  CHECK(f.dispatch(v::get, "/fridges/") == outcome{2, {""}, 200, "", ""});
  CHECK(f.dispatch(v::get, "/fridges/k/drink/more") == outcome{none, {}, 404, "not_found", ""});
  CHECK(f.dispatch(v::get, "/a/b/c/d/e/f/g/h/i/j") == outcome{none, {}, 404, "not_found", ""});
  CHECK(f.dispatch(v::get, "/fridges/k/drink") ==
        outcome{3, {}, 405, "method_not_allowed", "POST"});
  CHECK(f.dispatch(v::get, "/%zz") == outcome{none, {}, 400, "bad_request", ""});
  CHECK(f.dispatch(v::get, "relative") == outcome{none, {}, 400, "bad_request", ""});
  CHECK(f.dispatch(v::get, "/a|b") == outcome{none, {}, 400, "bad_request", ""});
}

TEST_CASE("the fast path and Boost.URL split every plain path the same way") {
  // An escape in the query sends a target through Boost.URL; without one, a
  // plain path (and plain query) takes the router's own split. The outcome
  // must not depend on which one ran.
  fixture f;
  const std::vector<std::string> targets{"/",
                                         "//",
                                         "/fridges",
                                         "/fridges/",
                                         "//fridges",
                                         "/fridges/k",
                                         "/fridges/k/",
                                         "/fridges//",
                                         "/fridges/k/drink",
                                         "/fridges/a.b-c_d~e/drink",
                                         "/fridges/:@",
                                         "/fridges/!$&'()*+,;=",
                                         "/transfers/x/y",
                                         "/a/b/c/d/e/f/g/h",
                                         "/a/b/c/d/e/f/g/h/i"};
  for (const auto& target : targets)
    for (auto method : {http::verb::get, http::verb::post}) {
      CAPTURE(target);
      CHECK(f.dispatch(method, target) == f.dispatch(method, target + "?q=1"));
      CHECK(f.dispatch(method, target) == f.dispatch(method, target + "?q=%31"));
    }
}

TEST_CASE("a request's decoded path is its path whichever way the target was split") {
  // What an Idempotency-Key's fingerprint holds: no query, no escapes.
  auto path_of = [](const std::string& target) {
    router routes;
    std::string path;
    routes.add(http::verb::post, "/{a}/{b}", [&path](request_context& ctx, responder respond) {
      path = ctx.decoded_path();
      respond(response{http::status::ok, 11});
    });
    std::size_t route = 0;
    routes.dispatch(
        request{http::verb::post, target, 11}, [](response) {}, route);
    return path;
  };
  for (std::string target :
       {"/a/b", "/a/b?x=1", "/a/b?x=%31", "/a/%62", "/%61/b?x=+", "http://h/a/b?x=1", "/a/b?"}) {
    CAPTURE(target);
    CHECK(path_of(target) == "/a/b");
  }
  CHECK(path_of("/a/b%3Fc?d") == "/a/b?c");
}

TEST_CASE("a pattern longer than the router allows is refused when added") {
  router routes;
  CHECK_THROWS_AS(routes.add(http::verb::get, "/1/2/3/4/5/6/7/8/9", {}), std::invalid_argument);
  CHECK_NOTHROW(routes.add(http::verb::get, "/1/2/3/4/5/6/7/8", {}));
}

namespace {

/// What a handler reads of `target`'s query parameter `key`, through the
/// router (which takes a plain query itself).
std::optional<std::string> routed_value(const std::string& target, std::string_view key) {
  router routes;
  std::optional<std::string> seen;
  bool plain = false;
  routes.add(http::verb::get, "/echo", [&](request_context& ctx, responder respond) {
    plain = ctx.plain_query.has_value();
    seen = ctx.query_value(key);
    respond(response{http::status::ok, 11});
  });
  std::size_t route = 0;
  routes.dispatch(
      request{http::verb::get, target, 11}, [](response) {}, route);
  CHECK(plain == (target.find_first_of("%+", 0) == std::string::npos));
  return seen;
}

/// The same, as Boost.URL's params find it.
std::optional<std::string> boost_value(const std::string& target, std::string_view key) {
  auto params = boost::urls::parse_origin_form(target)->params(boost::urls::encoding_opts{true});
  auto it = params.find(key);
  if (it == params.end() || !(*it).has_value)
    return std::nullopt;
  return (*it).value;
}

} // namespace

TEST_CASE("a query parameter reads the same whether the router or Boost.URL parsed the query") {
  // Keys 'a' and 'ab', separators, a '?' inside the query, and the two that
  // send a query to Boost.URL ('+' is a space, "%62" is 'b').
  std::size_t compared = 0;
  for (const auto& query : all_strings("ab=&?+", 5))
    for (std::string q : {query, query + "%62"})
      for (std::string_view key : {"a", "ab", "a b"}) {
        auto target = "/echo?" + q;
        CAPTURE(target);
        CAPTURE(key);
        REQUIRE(boost::urls::parse_origin_form(target));
        CHECK(routed_value(target, key) == boost_value(target, key));
        ++compared;
      }
  CHECK(compared > 10000);
  CHECK(routed_value("/echo?greeting=hello", "greeting") == "hello");
  CHECK(routed_value("/echo", "greeting") == std::nullopt);
}
