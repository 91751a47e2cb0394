// libFuzzer target: bytes -> Beast's request parser -> request_rules ->
// router -> the API's routes and codec -> empty actor handles -> the wire. No
// sockets and no actors: the backend's handles are empty, so every message
// to an actor fails at once ("no receiver") and is answered synchronously.
//
// Besides crashes, leaks and UB (ASan, UBSan), it asserts what must hold
// for any input: every request gets exactly one reply, synchronously; every
// reply's status is one of API.md's, with a JSON error body when it is an
// error; a refusal that closes ends the exchange.

#include "fridgebank/net/api.hpp"
#include "fridgebank/net/request_rules.hpp"
#include "fridgebank/net/wire.hpp"
#include "fridgebank/protocol/register_types.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/json.hpp>
#include <caf/actor_system.hpp>
#include <caf/actor_system_config.hpp>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>

namespace {

using namespace fridgebank;
namespace http = boost::beast::http;

void require(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "request_fuzzer: %s\n", what);
    std::abort();
  }
}

/// The API over empty actor handles, made once for the whole run.
struct harness {
  harness() {
    register_types(cfg);
    cfg.set("scheduler.max-threads", 1);
    cfg.set("logger.console", caf::atom("none"));
    sys = std::make_unique<caf::actor_system>(cfg);
    actors = std::make_unique<net::bridge>(*sys, 1, std::chrono::seconds{5});
    routes = std::make_unique<net::api>(*actors, net::api_backend{}, "fuzz-token", [] {});
  }
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<net::bridge> actors;
  std::unique_ptr<net::api> routes;
};

/// Never destroyed: libFuzzer has no teardown, and an actor system torn
/// down by static destructors at exit meets CAF's own statics already gone.
harness& the_harness() {
  static harness* h = new harness;
  return *h;
}

/// A reply as API.md allows it: a known status, an error body for errors.
void check_reply(const net::response& reply) {
  static const std::set<unsigned> statuses{200, 201, 202, 400, 401, 404, 405, 409,
                                           410, 413, 415, 422, 431, 500, 503};
  require(statuses.contains(reply.result_int()), "a status API.md does not list");
  if (reply.result_int() < 400)
    return;
  boost::system::error_code ec;
  auto body = boost::json::parse(reply.body(), ec);
  require(!ec && body.is_object(), "an error reply whose body is not a JSON object");
  require(body.as_object().contains("error") && body.at("error").is_string(),
          "an error reply without an error code");
  if (reply.result_int() == 405)
    require(reply.count(http::field::allow) == 1, "a 405 without Allow");
}

/// The bytes of one reply (as the session would write them).
void to_bytes(const net::response& reply, unsigned version, bool keep_alive, bool head) {
  check_reply(reply);
  auto wire = net::to_wire(reply, version, keep_alive, !head);
  require(wire.starts_with(version == 10 ? "HTTP/1.0 " : "HTTP/1.1 "), "a bad status line");
}

/// Serves one parsed request; false when the connection would close.
bool serve(net::request req, bool keep_alive, bool has_content_length) {
  auto version = req.version();
  if (auto refused = net::refusal_of_head(req.base(), has_content_length)) {
    to_bytes(refused->reply, version, false, false);
    return false;
  }
  bool head = req.method() == http::verb::head;
  if (auto refused = net::refusal_of_media_type(req.base(), !req.body().empty())) {
    to_bytes(refused->reply, version, keep_alive, head);
    return keep_alive;
  }
  int replies = 0;
  std::size_t route = 0;
  the_harness().routes->routes().dispatch(
      req,
      [&](net::response reply) {
        ++replies;
        to_bytes(reply, version, keep_alive, head);
      },
      route);
  require(replies == 1, "a request answered other than exactly once");
  return keep_alive;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  the_harness();
  boost::asio::const_buffer input{data, size};
  // Up to 8 pipelined requests, each parsed as the session parses them.
  for (int n = 0; n < 8 && input.size() > 0; ++n) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    parser.header_limit(8 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    while (!parser.is_done() && input.size() > 0) {
      auto used = parser.put(input, ec);
      input += used;
      if (ec == http::error::need_more) {
        ec = {};
        if (used == 0)
          break;
      } else if (ec) {
        break;
      }
    }
    if (ec) {
      auto refused = net::refusal_of_parse_error(ec);
      require(refused.has_value(), "a parse error with no reply");
      to_bytes(refused->reply, 11, false, false);
      return 0;
    }
    if (!parser.is_done())
      return 0; // the rest is still on its way
    bool keep_alive = parser.keep_alive();
    bool has_content_length = parser.content_length().has_value();
    if (!serve(parser.release(), keep_alive, has_content_length))
      return 0;
  }
  return 0;
}
