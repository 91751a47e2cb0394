#include "fridgebank/net/api.hpp"

#include "fridgebank/net/dashboard.hpp"
#include "fridgebank/net/error_reply.hpp"
#include "fridgebank/protocol/codec.hpp"
#include "fridgebank/protocol/idempotency.hpp"
#include "fridgebank/protocol/limits.hpp"
#include "fridgebank/protocol/version.hpp"

#include <algorithm>
#include <boost/url/encoding_opts.hpp>
#include <charconv>
#include <utility>

namespace fridgebank::net {

namespace {

response reply(http::status status, std::string body,
               std::string_view content_type = "application/json") {
  response res{status, 11};
  res.set(http::field::content_type, content_type);
  res.body() = std::move(body);
  return res;
}

/// The reply to a successful `Reply`: `status` with the encoded body, plus
/// `Location` when given.
template <class Reply>
response success(http::status status, const std::string& location, const Reply& result) {
  auto res = reply(status, codec::encode(result));
  if (!location.empty())
    res.set(http::field::location, location);
  return res;
}

constexpr std::string_view idempotency_header = "Idempotency-Key";

/// The HTTP reply to what the Idempotency-Key protocol decided.
response reply_of(const idempotency::outcome& o, const std::string& location) {
  if (o.error)
    return error_reply(o.error);
  auto res = reply(static_cast<http::status>(o.status), o.body);
  if (!location.empty() && o.status < 300)
    res.set(http::field::location, location);
  if (o.replayed)
    res.set("Idempotent-Replayed", "true");
  return res;
}

/// A POST with an Idempotency-Key: the protocol of idempotency.hpp, on an
/// actor of its own spawned from a bridge actor.
template <class Reply, class Handle, class... Ts>
void call_once(bridge& b, const journal_actor& keys, idempotency_record claim, responder respond,
               std::string location, const Handle& dest, Ts... xs) {
  // The client's deadline, kept with every other request's: at it the
  // sweeper answers 503 timeout, unless the claimant has answered first.
  auto deadlines = b.deadlines();
  auto id = deadlines->open([respond](caf::type_erased_tuple& timed_out) {
    respond(error_reply(timed_out.get_as<caf::error>(0)));
  });
  idempotency::settings how;
  how.encode_error = [](const caf::error& err) {
    auto res = error_reply(err);
    return std::make_pair(static_cast<std::uint16_t>(res.result_int()), res.body());
  };
  how.answer = [deadlines, id, respond = std::move(respond),
                location = std::move(location)](idempotency::outcome o) {
    if (deadlines->settle(id))
      respond(reply_of(o, location));
  };
  how.client_waiting = [deadlines, id] { return deadlines->waiting(id); };
  b.run([=](caf::event_based_actor* bridge_self) {
    idempotency::run_once<Reply>(bridge_self, keys, claim, how, dest, xs...);
  });
}

/// Sends one message through the bridge; on success answers `status` with the
/// encoded reply (plus `Location` when given), else the mapped error. A POST
/// with an Idempotency-Key runs at most once.
template <class Reply, class Handle, class... Ts>
void call(const request_context& ctx, bridge& b, const journal_actor& keys, responder respond,
          http::status status, std::string location, const Handle& dest, Ts... xs) {
  if (ctx.req.method() == http::verb::post) {
    if (auto key = fields_named(ctx.req, idempotency_header); key.count > 0) {
      if (key.count > 1) {
        respond(error_reply(error_code::bad_request, "send one Idempotency-Key, not several"));
        return;
      }
      if (!idempotency::valid_key(key.first)) {
        respond(error_reply(error_code::bad_request,
                            "Idempotency-Key must be 1 to 64 visible ASCII characters"));
        return;
      }
      if (keys) {
        idempotency_record claim;
        claim.key = std::string{key.first};
        // Method, path and body (API.md): the query string is no part of
        // it, nor the scheme and authority of an absolute-form target, nor
        // how the path was percent-encoded.
        claim.fingerprint =
            idempotency::fingerprint(ctx.req.method_string(), ctx.decoded_path(), ctx.req.body());
        // The journal stores the key with the effect, before the reply
        // exists: it encodes the reply, this is its status.
        claim.status = static_cast<std::uint16_t>(status);
        call_once<Reply>(b, keys, std::move(claim), std::move(respond), std::move(location), dest,
                         std::move(xs)...);
        return;
      }
    }
  }
  b.request<Reply>(
      dest,
      [respond = std::move(respond), status,
       location = std::move(location)](caf::expected<Reply> result) {
        if (!result)
          respond(error_reply(result.error()));
        else
          respond(success(status, location, *result));
      },
      std::move(xs)...);
}

/// A path parameter that must be a valid name; answers 400 and returns false
/// otherwise.
bool valid_param(const request_context& ctx, std::size_t index, const responder& respond) {
  const auto& name = ctx.params.at(index);
  if (is_valid_name(name))
    return true;
  respond(error_reply(error_code::bad_request, "name must match [A-Za-z0-9_.-]{1,64}"));
  return false;
}

/// Decodes a JSON body, answering 400 with the detail when it is bad.
template <class T> bool decoded(caf::expected<T>& value, const responder& respond) {
  if (value)
    return true;
  respond(error_reply(value.error()));
  return false;
}

/// `?limit=N&after=NAME` of a listing (API.md): limit 1 .. 10000 (default
/// 1000), after a valid name; other parameters are ignored, either of these
/// twice is ambiguous and refused.
caf::expected<page_request> page_of(request_context& ctx) {
  page_request page;
  bool seen_limit = false;
  bool seen_after = false;
  for (auto param : ctx.url().params(boost::urls::encoding_opts{true})) {
    if (param.key == "limit") {
      if (std::exchange(seen_limit, true))
        return make_error(error_code::bad_request, "limit given twice");
      std::uint32_t n = 0;
      auto [end, ec] =
          std::from_chars(param.value.data(), param.value.data() + param.value.size(), n);
      if (ec != std::errc{} || end != param.value.data() + param.value.size() || n < 1 ||
          n > max_page_limit)
        return make_error(error_code::bad_request, "limit must be an integer in 1 .. 10000");
      page.limit = n;
    } else if (param.key == "after") {
      if (std::exchange(seen_after, true))
        return make_error(error_code::bad_request, "after given twice");
      if (!is_valid_name(param.value))
        return make_error(error_code::bad_request, "after must match [A-Za-z0-9_.-]{1,64}");
      page.after = param.value;
    }
  }
  return page;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size())
    return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

} // namespace

api::api(bridge& actors, api_backend backend, std::string admin_token,
         std::function<void()> request_shutdown)
    : bridge_(actors), backend_(std::move(backend)), admin_token_(std::move(admin_token)),
      request_shutdown_(std::move(request_shutdown)) {
  add_routes();
  stats_ = std::make_unique<metrics>(routes_.patterns());
}

bool api::authorized(const request& req) const {
  auto header = req[http::field::authorization];
  constexpr std::string_view scheme = "Bearer ";
  if (admin_token_.empty() || header.size() <= scheme.size() ||
      !boost::beast::iequals(header.substr(0, scheme.size()), scheme))
    return false;
  return equal_constant_time(header.substr(scheme.size()), admin_token_);
}

handler api::admin_only(handler h) {
  return [this, h = std::move(h)](request_context& ctx, responder respond) {
    if (!authorized(ctx.req)) {
      respond(
          error_reply(error_code::unauthorized, "admin route: send Authorization: Bearer TOKEN"));
      return;
    }
    h(ctx, std::move(respond));
  };
}

void api::add_routes() {
  add_service_routes();
  add_event_routes();
  add_fridge_routes();
  add_bank_routes();
}

/// `/healthz` of a server whose actors are local (`nodes` empty) or on the
/// given nodes: 503 when none is reachable, `degraded` naming the
/// unreachable ones when some are (what they hold answers 503, the rest is
/// served: a load balancer should keep this front end).
response health(const std::vector<actor_node>& nodes) {
  std::vector<std::string> down;
  for (const auto& n : nodes)
    if (!n.up->load())
      down.push_back(n.address);
  if (down.empty())
    return reply(http::status::ok, R"({"status":"ok"})");
  if (down.size() == nodes.size())
    return error_reply(error_code::unavailable, nodes.size() == 1
                                                    ? "the actor node is unreachable; reconnecting"
                                                    : "no actor node is reachable; reconnecting");
  return reply(http::status::ok, codec::encode_degraded(down));
}

/// The home page, echo, health, metrics and the admin shutdown.
void api::add_service_routes() {
  using http::verb;
  routes_.add(verb::get, "/", [](request_context&, responder respond) {
    respond(reply(http::status::ok, std::string{dashboard_page}, "text/html; charset=utf-8"));
  });

  routes_.add(verb::get, "/echo", [](request_context& ctx, responder respond) {
    auto greeting = ctx.query_value("greeting");
    if (!greeting) {
      respond(error_reply(error_code::bad_request, "missing query parameter greeting"));
      return;
    }
    respond(reply(http::status::ok, *greeting + " to you too!", "text/plain; charset=utf-8"));
  });

  routes_.add(verb::get, "/healthz", [this](request_context&, responder respond) {
    // The version in a header: API.md fixes the body as {"status":"ok"}.
    auto res = shutting_down_
                   ? error_reply(error_code::shutting_down, "the server is shutting down")
                   : health(backend_.nodes);
    res.set("Fridgebank-Version", version);
    respond(std::move(res));
  });

  routes_.add(verb::get, "/metrics", [this](request_context&, responder respond) {
    ask_figures([this, respond](const actor_figures& f) {
      respond(reply(http::status::ok,
                    stats_->render(f.fridges, f.accounts, f.journal ? &*f.journal : nullptr),
                    "text/plain; version=0.0.4; charset=utf-8"));
    });
  });

  routes_.add(verb::post, "/admin/shutdown",
              admin_only([this](request_context&, responder respond) {
                respond(reply(http::status::accepted, R"({"status":"shutting_down"})"));
                request_shutdown_();
              }));
}

void api::add_fridge_routes() {
  using http::verb;
  auto& b = bridge_;
  auto dir = backend_.directory;
  auto keys = backend_.keys;
  // An Idempotency-Key is kept where its effect is: with sharded fridges,
  // on the fridge's node.
  auto keys_of = [keys, of = backend_.fridge_keys](const std::string& name) {
    return of ? of(name) : keys;
  };
  routes_.add(verb::post, "/fridges", [&b, dir, keys_of](request_context& ctx, responder respond) {
    auto spec = codec::decode_new_fridge(ctx.req.body());
    if (!decoded(spec, respond))
      return;
    auto location = "/fridges/" + spec->name;
    call<fridge_state>(ctx, b, keys_of(spec->name), std::move(respond), http::status::created,
                       std::move(location), dir, create_atom::value, std::move(*spec));
  });

  routes_.add(verb::get, "/fridges", [&b, dir, keys](request_context& ctx, responder respond) {
    auto page = page_of(ctx);
    if (decoded(page, respond))
      call<fridge_list>(ctx, b, keys, std::move(respond), http::status::ok, {}, dir,
                        list_atom::value, std::move(*page));
  });

  routes_.add(verb::get, "/fridges/{name}",
              [&b, dir, keys](request_context& ctx, responder respond) {
                if (valid_param(ctx, 0, respond))
                  call<fridge_state>(ctx, b, keys, std::move(respond), http::status::ok, {}, dir,
                                     look_atom::value, ctx.params[0]);
              });

  routes_.add(verb::post, "/fridges/{name}/drink",
              [&b, dir, keys_of](request_context& ctx, responder respond) {
                if (!valid_param(ctx, 0, respond))
                  return;
                auto drink = codec::decode_drink_request(ctx.req.body());
                if (decoded(drink, respond))
                  call<fridge_result>(ctx, b, keys_of(ctx.params[0]), std::move(respond),
                                      http::status::ok, {}, dir, drink_atom::value, ctx.params[0],
                                      *drink);
              });

  routes_.add(verb::post, "/fridges/{name}/stop",
              admin_only([&b, dir, keys_of](request_context& ctx, responder respond) {
                if (valid_param(ctx, 0, respond))
                  call<fridge_state>(ctx, b, keys_of(ctx.params[0]), std::move(respond),
                                     http::status::ok, {}, dir, stop_atom::value, ctx.params[0]);
              }));
}

void api::add_bank_routes() {
  using http::verb;
  auto& b = bridge_;
  auto bank = backend_.bank;
  auto keys = backend_.keys;
  routes_.add(verb::post, "/accounts", [&b, bank, keys](request_context& ctx, responder respond) {
    auto id = codec::decode_new_account(ctx.req.body());
    if (!decoded(id, respond))
      return;
    auto location = "/accounts/" + *id;
    call<account>(ctx, b, keys, std::move(respond), http::status::created, std::move(location),
                  bank, open_atom::value, std::move(*id));
  });

  routes_.add(verb::get, "/accounts", [&b, bank, keys](request_context& ctx, responder respond) {
    auto page = page_of(ctx);
    if (decoded(page, respond))
      call<ledger_snapshot>(ctx, b, keys, std::move(respond), http::status::ok, {}, bank,
                            snapshot_atom::value, std::move(*page));
  });

  routes_.add(verb::get, "/accounts/{id}",
              [&b, bank, keys](request_context& ctx, responder respond) {
                if (valid_param(ctx, 0, respond))
                  call<account>(ctx, b, keys, std::move(respond), http::status::ok, {}, bank,
                                balance_atom::value, ctx.params[0]);
              });

  // Deposit and withdraw differ only in the message they send.
  auto amount_route = [&b, bank, keys](auto operation) -> handler {
    return [&b, bank, keys, operation](request_context& ctx, responder respond) {
      if (!valid_param(ctx, 0, respond))
        return;
      auto amount = codec::decode_amount(ctx.req.body());
      if (decoded(amount, respond))
        call<account>(ctx, b, keys, std::move(respond), http::status::ok, {}, bank, operation,
                      ctx.params[0], *amount);
    };
  };
  routes_.add(verb::post, "/accounts/{id}/deposit", amount_route(deposit_atom::value));
  routes_.add(verb::post, "/accounts/{id}/withdraw", amount_route(withdraw_atom::value));

  routes_.add(verb::post, "/transfers", [&b, bank, keys](request_context& ctx, responder respond) {
    auto transfer = codec::decode_transfer(ctx.req.body());
    if (decoded(transfer, respond))
      call<transfer_result>(ctx, b, keys, std::move(respond), http::status::ok, {}, bank,
                            transfer_atom::value, std::move(*transfer));
  });

  routes_.add(verb::post, "/bank/stop",
              admin_only([&b, bank, keys](request_context& ctx, responder respond) {
                call<ledger_snapshot>(ctx, b, keys, std::move(respond), http::status::ok, {}, bank,
                                      stop_atom::value);
              }));
}

} // namespace fridgebank::net
