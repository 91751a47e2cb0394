// Every route and error code of API.md, over real sockets against the real
// server process.

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <cstdlib>
#include <doctest/doctest.h>
#include <memory>

using namespace fridgebank::test;
namespace json = boost::json;

namespace {

/// Actors on another node, behind this front end: with
/// FRIDGEBANK_TEST_REMOTE_ACTORS set (ctest's `http-remote`), every case runs
/// against `--actors-at` an actor node, and must pass unchanged.
/// With FRIDGEBANK_TEST_REMOTE_ACTORS=tls (ctest's `http-remote-tls`) the
/// link is BASP over TLS: certificates from one CA (scripts/make-dev-certs),
/// made once for the run; the flags of process `name`.
std::vector<std::string> tls_flags(const std::string& name) {
  const char* mode = std::getenv("FRIDGEBANK_TEST_REMOTE_ACTORS");
  if (mode == nullptr || std::string_view{mode} != "tls")
    return {};
  static temp_dir certs;
  static bool made = [] {
    auto command =
        std::string{FRIDGEBANK_MAKE_DEV_CERTS} + " " + certs.str() + " node front >/dev/null";
    return std::system(command.c_str()) == 0;
  }();
  REQUIRE(made);
  return {"--tls-cert", certs.str() + "/" + name + ".pem",
          "--tls-key",  certs.str() + "/" + name + "-key.pem",
          "--tls-ca",   certs.str() + "/ca.pem"};
}

std::vector<std::string> with_tls(std::vector<std::string> flags, const std::string& name) {
  auto tls = tls_flags(name);
  flags.insert(flags.end(), tls.begin(), tls.end());
  return flags;
}

/// The actor nodes: none (the actors in the server's own process), one
/// (`http-remote`, `http-remote-tls`), or with FRIDGEBANK_TEST_REMOTE_ACTORS=shards
/// (`http-shards`) three, the fridges sharded over them.
std::vector<std::unique_ptr<server_process>> actor_nodes() {
  const char* mode = std::getenv("FRIDGEBANK_TEST_REMOTE_ACTORS");
  std::vector<std::unique_ptr<server_process>> nodes;
  if (mode == nullptr)
    return nodes;
  auto count = std::string_view{mode} == "shards" ? 3 : 1;
  for (int i = 0; i < count; ++i)
    nodes.push_back(
        std::make_unique<server_process>(with_tls({"--in-memory", "--publish", "0"}, "node")));
  return nodes;
}

std::vector<std::string>
front_end_flags(const std::vector<std::unique_ptr<server_process>>& nodes) {
  if (nodes.empty())
    return {"--in-memory"};
  std::string list;
  for (const auto& node : nodes) {
    auto line = node->read_line(std::chrono::seconds{10});
    REQUIRE_MESSAGE(line.rfind("actors published on 127.0.0.1:", 0) == 0, "got: " << line);
    list += (list.empty() ? "127.0.0.1:" : ",127.0.0.1:") + line.substr(line.rfind(':') + 1);
  }
  return with_tls({"--actors-at", list}, "front");
}

struct running_server {
  std::vector<std::unique_ptr<server_process>> nodes = actor_nodes();
  server_process server{front_end_flags(nodes)};
  http_client client{server.port()};
  std::pair<http::field, std::string> admin() const {
    return {http::field::authorization, "Bearer " + server.token()};
  }
};

} // namespace

TEST_CASE_FIXTURE(running_server, "echo, health, home page and metrics") {
  CHECK(server.first_line() == "listening on http://127.0.0.1:" + std::to_string(server.port()));
  auto echo = client.get("/echo?greeting=hello");
  CHECK(echo.status == 200);
  CHECK(echo.body == "hello to you too!");
  CHECK(echo.raw[http::field::content_type].starts_with("text/plain"));
  CHECK(client.get("/echo?greeting=good%20day+sir").body == "good day sir to you too!");
  auto missing = client.get("/echo");
  CHECK(missing.status == 400);
  CHECK(missing.error() == "bad_request");
  auto health = client.get("/healthz");
  CHECK(health.status == 200);
  CHECK(health.json() == json::parse(R"({"status":"ok"})"));
  CHECK(!health.raw["Fridgebank-Version"].empty()); // the release, beside API.md's body
  auto home = client.get("/");
  CHECK(home.status == 200);
  CHECK(home.raw[http::field::content_type].starts_with("text/html"));
  client.post("/fridges", R"({"name":"m","drinks":1})");
  auto metrics = client.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("fridgebank_build_info{version=\"") != std::string::npos);
  CHECK(metrics.body.find("fridgebank_http_requests_total{route=\"GET /echo\",status=\"200\"} 2") !=
        std::string::npos);
  CHECK(metrics.body.find("fridgebank_http_request_duration_seconds_bucket{le=\"+Inf\"}") !=
        std::string::npos);
  CHECK(metrics.body.find("fridgebank_open_connections 1") != std::string::npos);
  CHECK(metrics.body.find("fridgebank_fridge_actors 1") != std::string::npos);
  CHECK(metrics.body.find("fridgebank_accounts 0") != std::string::npos);
}

TEST_CASE_FIXTURE(running_server, "fridges: create, look, list, drink, stop") {
  auto created = client.post("/fridges", R"({"name":"kitchen","drinks":12})");
  CHECK(created.status == 201);
  CHECK(created.raw[http::field::location] == "/fridges/kitchen");
  CHECK(created.json() ==
        json::parse(R"({"name":"kitchen","drinksLeftInFridge":12,"stopped":false})"));
  CHECK(client.post("/fridges", R"({"name":"kitchen"})").error() == "conflict");
  CHECK(client.post("/fridges", R"({"name":"attic"})").json().at("drinksLeftInFridge") == 0);

  auto drink = [&](const std::string& body) { return client.post("/fridges/kitchen/drink", body); };
  CHECK(drink(R"({"drinksRequested":5})").json() ==
        json::parse(R"({"drinksTakenOrAdded":5,"drinksLeftInFridge":7})"));
  CHECK(drink(R"({"drinksRequested":-3})").json() ==
        json::parse(R"({"drinksTakenOrAdded":-3,"drinksLeftInFridge":10})"));
  CHECK(drink(R"({"drinksRequested":0})").json() ==
        json::parse(R"({"drinksTakenOrAdded":0,"drinksLeftInFridge":10})"));
  CHECK(drink(R"({"drinksRequested":20,"leaveAtLeast":4})").json() ==
        json::parse(R"({"drinksTakenOrAdded":6,"drinksLeftInFridge":4})"));
  CHECK(drink(R"({"drinksRequested":9})").json() ==
        json::parse(R"({"drinksTakenOrAdded":4,"drinksLeftInFridge":0})"));
  auto fill = drink(R"({"drinksRequested":-9007199254740991})");
  CHECK(fill.status == 200); // 0 + (2^53-1) is still in range
  auto refused = drink(R"({"drinksRequested":-1})");
  CHECK(refused.status == 422);
  CHECK(refused.error() == "limit_exceeded");

  CHECK(client.get("/fridges/kitchen").json().at("drinksLeftInFridge") == 9007199254740991);
  CHECK(client.get("/fridges/nowhere").error() == "not_found");
  CHECK(client.get("/fridges/bad%20name").error() == "bad_request");
  CHECK(client.post("/fridges/nowhere/drink", R"({"drinksRequested":1})").status == 404);
  auto list = client.get("/fridges").json().at("fridges").as_array();
  REQUIRE(list.size() == 2);
  CHECK(list[0].at("name") == "attic"); // sorted by name
  CHECK(list[1].at("name") == "kitchen");

  // The pill is an admin route.
  CHECK(client.post("/fridges/attic/stop").status == 401);
  CHECK(client
            .send(http::verb::post, "/fridges/attic/stop", "",
                  {{http::field::authorization, "Bearer wrong"}})
            .error() == "unauthorized");
  auto stopped = client.send(http::verb::post, "/fridges/attic/stop", "", {admin()});
  CHECK(stopped.status == 200);
  CHECK(stopped.json() == json::parse(R"({"name":"attic","drinksLeftInFridge":0,"stopped":true})"));
  CHECK(client.send(http::verb::post, "/fridges/attic/stop", "", {admin()}).status == 200);
  auto gone = client.post("/fridges/attic/drink", R"({"drinksRequested":-1})");
  CHECK(gone.status == 410);
  CHECK(gone.error() == "stopped");
  CHECK(client.get("/fridges/attic").json().at("stopped") == true);
}

namespace {

/// Every name of a listing, page after page of `limit` from the first.
std::vector<std::string> walk(http_client& client, const std::string& listing, const char* key,
                              int limit, std::int64_t* total = nullptr) {
  std::vector<std::string> names;
  std::string next;
  do {
    auto page = client.get("/" + listing + "?limit=" + std::to_string(limit) +
                           (next.empty() ? "" : "&after=" + next));
    REQUIRE(page.status == 200);
    auto body = page.json().as_object();
    auto entries = body.at(listing).as_array();
    CHECK(entries.size() <= static_cast<std::size_t>(limit));
    for (const auto& e : entries)
      names.emplace_back(e.at(key).as_string());
    if (total)
      CHECK(body.at("total") == *total); // every page: the whole ledger's total
    next = body.at("next").is_null() ? "" : std::string{body.at("next").as_string()};
    if (!next.empty())
      CHECK(next == names.back()); // a full page; the next one starts after its last
  } while (!next.empty());
  return names;
}

} // namespace

TEST_CASE_FIXTURE(running_server, "listings come in pages: limit, after, next, byte order") {
  std::vector<std::string> names{"b", "B", "a", "_x", "-y", ".z", "0", "9a", "Zz", "aa", "a.b"};
  for (int i = 0; i < 12; ++i)
    names.push_back("n" + std::to_string(i));
  std::int64_t total = 0;
  for (const auto& n : names) {
    REQUIRE(client.post("/fridges", R"({"name":")" + n + R"("})").status == 201);
    REQUIRE(client.post("/accounts", R"({"id":")" + n + R"("})").status == 201);
    total += static_cast<std::int64_t>(n.size());
    REQUIRE(
        client.post("/accounts/" + n + "/deposit", R"({"amount":)" + std::to_string(n.size()) + "}")
            .status == 200);
  }
  std::sort(names.begin(), names.end()); // byte order
  for (int limit : {1, 5, 23, 24, 1000}) {
    INFO("limit " << limit);
    CHECK(walk(client, "fridges", "name", limit) == names);
    CHECK(walk(client, "accounts", "id", limit, &total) == names);
  }
  // `after` need not be a name that exists; the default page holds them all.
  auto after = client.get("/fridges?after=a0").json();
  CHECK(after.at("fridges").as_array().front().at("name") == "aa");
  CHECK(client.get("/accounts").json().at("accounts").as_array().size() == names.size());
  CHECK(client.get("/accounts").json().at("next").is_null());
  CHECK(client.get("/fridges?after=zzz").json() == json::parse(R"({"fridges":[],"next":null})"));
  for (std::string bad : {"limit=0", "limit=10001", "limit=-1", "limit=1.5", "limit=", "limit=x",
                          "after=a%20b", "after=", "limit=1&limit=2", "after=a&after=b"}) {
    INFO(bad);
    CHECK(client.get("/fridges?" + bad).error() == "bad_request");
    CHECK(client.get("/accounts?" + bad).error() == "bad_request");
  }
  CHECK(client.get("/fridges?limit=10000&other=1").status == 200); // others are ignored
}

TEST_CASE_FIXTURE(running_server, "bank: accounts, deposits, withdrawals, transfers, stop") {
  auto alice = client.post("/accounts", R"({"id":"alice"})");
  CHECK(alice.status == 201);
  CHECK(alice.raw[http::field::location] == "/accounts/alice");
  CHECK(alice.json() == json::parse(R"({"id":"alice","balance":0})"));
  CHECK(client.post("/accounts", R"({"id":"alice"})").error() == "conflict");
  client.post("/accounts", R"({"id":"bob"})");
  CHECK(client.post("/accounts/alice/deposit", R"({"amount":100})").json() ==
        json::parse(R"({"id":"alice","balance":100})"));
  CHECK(client.post("/accounts/alice/withdraw", R"({"amount":30})").json().at("balance") == 70);
  auto broke = client.post("/accounts/alice/withdraw", R"({"amount":71})");
  CHECK(broke.status == 409);
  CHECK(broke.error() == "insufficient_funds");
  CHECK(broke.json().at("balance") == 70);
  CHECK(client.post("/accounts/alice/deposit", R"({"amount":0})").error() == "bad_request");
  CHECK(client.post("/accounts/carol/deposit", R"({"amount":1})").error() == "not_found");
  CHECK(client.post("/accounts/alice/deposit", R"({"amount":9007199254740991})").error() ==
        "limit_exceeded");

  auto moved = client.post("/transfers", R"({"from":"alice","to":"bob","amount":20})");
  CHECK(moved.status == 200);
  CHECK(moved.json() ==
        json::parse(R"({"from":{"id":"alice","balance":50},"to":{"id":"bob","balance":20}})"));
  CHECK(client.post("/transfers", R"({"from":"alice","to":"bob","amount":51})").error() ==
        "insufficient_funds");
  CHECK(client.post("/transfers", R"({"from":"alice","to":"zed","amount":1})").error() ==
        "not_found");
  CHECK(client.post("/transfers", R"({"from":"alice","to":"alice","amount":1})").error() ==
        "bad_request");
  CHECK(client.get("/accounts/bob").json() == json::parse(R"({"id":"bob","balance":20})"));
  CHECK(client.get("/accounts/zed").status == 404);
  CHECK(
      client.get("/accounts").json() ==
      json::parse(
          R"({"accounts":[{"id":"alice","balance":50},{"id":"bob","balance":20}],"total":70,"next":null})"));

  CHECK(client.post("/bank/stop").status == 401);
  CHECK(client.send(http::verb::post, "/bank/stop", "", {admin()}).status == 200);
  auto late = client.post("/accounts/alice/deposit", R"({"amount":1})");
  CHECK(late.status == 410);
  CHECK(late.error() == "stopped");
  // A retired bank still answers reads (API.md v1.1).
  CHECK(client.get("/accounts").json().at("total").as_int64() == 70);
  CHECK(client.get("/accounts/alice").json() == json::parse(R"({"id":"alice","balance":50})"));
  CHECK(client.post("/transfers", R"({"from":"alice","to":"bob","amount":1})").error() ==
        "stopped");
}

TEST_CASE_FIXTURE(running_server, "404 and 405 are JSON errors, 405 with Allow") {
  auto none = client.get("/nothing/here");
  CHECK(none.status == 404);
  CHECK(none.error() == "not_found");
  auto wrong = client.send(http::verb::put, "/fridges", "{}");
  CHECK(wrong.status == 405);
  CHECK(wrong.error() == "method_not_allowed");
  CHECK(wrong.raw[http::field::allow] == "POST, GET, HEAD");
  CHECK(client.get("/transfers").raw[http::field::allow] == "POST");
}

TEST_CASE_FIXTURE(running_server, "Idempotency-Key in memory: retries replay, reuse is 422") {
  auto keyed = [this](const std::string& target, const std::string& body, const std::string& key) {
    return client.send_named(http::verb::post, target, body, {{"Idempotency-Key", key}});
  };
  REQUIRE(client.post("/fridges", R"({"name":"keyed","drinks":4})").status == 201);
  auto first = keyed("/fridges/keyed/drink", R"({"drinksRequested":3})", "k-1");
  REQUIRE(first.status == 200);
  auto retry = keyed("/fridges/keyed/drink", R"({"drinksRequested":3})", "k-1");
  CHECK(retry.status == 200);
  CHECK(retry.body == first.body);
  CHECK(retry.raw["Idempotent-Replayed"] == "true");
  CHECK(keyed("/fridges/keyed/drink", R"({"drinksRequested":1})", "k-1").error() ==
        "idempotency_key_reused");
  CHECK(keyed("/fridges/keyed/drink", R"({"drinksRequested":1})", "bad key").error() ==
        "bad_request");
  CHECK(json::parse(client.get("/fridges/keyed").body).at("drinksLeftInFridge") == 1);
}

TEST_CASE_FIXTURE(running_server, "admin shutdown answers 202 and the server exits 0") {
  CHECK(client.post("/admin/shutdown").status == 401);
  auto accepted = client.send(http::verb::post, "/admin/shutdown", "", {admin()});
  CHECK(accepted.status == 202);
  CHECK(server.stop(0) == 0); // signal 0: only wait for the exit
}
