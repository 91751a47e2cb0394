// GET /events against the real server: what a watcher is told, in what
// order, when (only once durable), how it resumes, and what a client that
// does not read costs everyone else (it is dropped, nobody waits for it).

#include "http_client.hpp"
#include "server_process.hpp"
#include "sse_client.hpp"
#include "temp_dir.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <memory>
#include <string>
#include <vector>

using namespace fridgebank::test;
namespace json = boost::json;

namespace {

constexpr auto admin = "Bearer test-token";

reply admin_post(http_client& c, const std::string& target) {
  return c.send(http::verb::post, target, {}, {{http::field::authorization, admin}});
}

/// The next change event, required to come.
sse_event next_change(sse_client& events) {
  auto e = events.next();
  REQUIRE_MESSAGE(e.has_value(), "no event came");
  return *e;
}

void check_event(sse_client& events, const std::string& type, const std::string& data) {
  auto e = next_change(events);
  CHECK(e.type == type);
  CHECK(json::parse(e.data) == json::parse(data));
}

/// A POST as bytes on the wire, for pipelining and for not waiting.
std::string raw_post(const std::string& target, const std::string& body) {
  return "POST " + target + " HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n" +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

/// `n` loads of one drink into `fridge`, pipelined on one connection.
void load_pipelined(http_client& c, const std::string& fridge, int n) {
  std::string requests;
  for (int i = 0; i < n; ++i)
    requests += raw_post("/fridges/" + fridge + "/drink", R"({"drinksRequested":-1})");
  c.write_raw(requests);
  for (int i = 0; i < n; ++i)
    REQUIRE(c.read().status == 200);
}

/// A stream, once the server has a place for it (the streams that went
/// before are seen to have left by then).
std::unique_ptr<sse_client> stream_when_free(unsigned short port) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
  for (;;) {
    auto s = std::make_unique<sse_client>(port);
    if (s->head().rfind("HTTP/1.1 200", 0) == 0 || std::chrono::steady_clock::now() > deadline)
      return s;
  }
}

/// The next `metrics` figures (once a second).
json::object next_figures(sse_client& events) {
  for (;;) {
    auto e = events.next(std::chrono::seconds{5}, false);
    REQUIRE_MESSAGE(e.has_value(), "no figures came");
    if (e->type == "metrics")
      return json::parse(e->data).as_object();
  }
}

} // namespace

TEST_CASE("events: every change of a scripted sequence, once, in order, ids one apart") {
  temp_dir data;
  server_process server{{"--data-dir", data.str()}};
  sse_client events{server.port()};
  auto head = events.head();
  CHECK(head.rfind("HTTP/1.1 200", 0) == 0);
  CHECK(head.find("Content-Type: text/event-stream") != std::string::npos);
  // The head comes once the stream is subscribed: nothing after it is missed.
  http_client c{server.port()};
  REQUIRE(c.post("/fridges", R"({"name":"f1","drinks":10})").status == 201);
  REQUIRE(c.post("/fridges/f1/drink", R"({"drinksRequested":3})").status == 200);
  REQUIRE(c.post("/fridges/f1/drink", R"({"drinksRequested":-5})").status == 200);
  REQUIRE(c.get("/fridges/f1").status == 200); // a look: none
  REQUIRE(c.post("/fridges/f1/drink", R"({"drinksRequested":2,"leaveAtLeast":20})").status ==
          200);                                                                     // took none
  REQUIRE(c.post("/fridges/nope/drink", R"({"drinksRequested":1})").status == 404); // none
  REQUIRE(c.post("/accounts", R"({"id":"a"})").status == 201);
  REQUIRE(c.post("/accounts", R"({"id":"b"})").status == 201);
  REQUIRE(c.post("/accounts/a/deposit", R"({"amount":50})").status == 200);
  REQUIRE(c.post("/accounts/a/withdraw", R"({"amount":500})").status == 409); // none
  REQUIRE(c.post("/transfers", transfer_body("a", "b", 20)).status == 200);
  REQUIRE(c.post("/accounts/b/withdraw", R"({"amount":5})").status == 200);
  REQUIRE(admin_post(c, "/fridges/f1/stop").status == 200);
  REQUIRE(admin_post(c, "/bank/stop").status == 200);

  std::vector<sse_event> seen;
  auto expect = [&](const std::string& type, const std::string& data) {
    auto e = next_change(events);
    CHECK(e.type == type);
    CHECK(json::parse(e.data) == json::parse(data));
    seen.push_back(e);
  };
  expect("fridge", R"({"change":"created","name":"f1","drinksLeftInFridge":10,"stopped":false})");
  expect("fridge", R"({"change":"drink","name":"f1","drinksLeftInFridge":7,"stopped":false})");
  expect("fridge", R"({"change":"load","name":"f1","drinksLeftInFridge":12,"stopped":false})");
  expect("account", R"({"id":"a","balance":0})");
  expect("account", R"({"id":"b","balance":0})");
  expect("account", R"({"id":"a","balance":50})");
  expect("transfer", R"({"from":{"id":"a","balance":30},"to":{"id":"b","balance":20}})");
  expect("account", R"({"id":"b","balance":15})");
  expect("fridge", R"({"change":"stopped","name":"f1","drinksLeftInFridge":12,"stopped":true})");
  expect("bank", R"({"stopped":true})");
  for (std::size_t i = 1; i < seen.size(); ++i)
    CHECK(std::stoull(seen[i].id) == std::stoull(seen[i - 1].id) + 1);
  // Nothing else was told: the next thing on the stream is the figures.
  auto figures = events.next(std::chrono::seconds{3}, false);
  REQUIRE(figures.has_value());
  CHECK(figures->type == "metrics");
  CHECK(figures->id.empty());
}

TEST_CASE("events: Last-Event-ID resumes from the buffer, else a reset") {
  server_process server;
  http_client c{server.port()};
  std::string first_id, third_id;
  {
    sse_client events{server.port()};
    events.head();
    REQUIRE(c.post("/fridges", R"({"name":"r","drinks":5})").status == 201);
    REQUIRE(c.post("/fridges/r/drink", R"({"drinksRequested":1})").status == 200);
    REQUIRE(c.post("/fridges/r/drink", R"({"drinksRequested":1})").status == 200);
    first_id = next_change(events).id;
    next_change(events);
    third_id = next_change(events).id;
  } // the watcher goes away; changes are kept a while for its return
  REQUIRE(c.post("/fridges/r/drink", R"({"drinksRequested":1})").status == 200);

  sse_client resumed{server.port(), first_id};
  check_event(resumed, "fridge",
              R"({"change":"drink","name":"r","drinksLeftInFridge":4,"stopped":false})");
  check_event(resumed, "fridge",
              R"({"change":"drink","name":"r","drinksLeftInFridge":3,"stopped":false})");
  auto fourth = next_change(resumed);
  CHECK(json::parse(fourth.data).at("drinksLeftInFridge") == 2);
  CHECK(std::stoull(fourth.id) == std::stoull(third_id) + 1);

  sse_client up_to_date{server.port(), fourth.id};
  REQUIRE(c.post("/fridges/r/drink", R"({"drinksRequested":1})").status == 200);
  CHECK(json::parse(next_change(up_to_date).data).at("drinksLeftInFridge") == 1);

  // Ids of another run, from the future, or not ids at all: load again.
  for (const auto& id : std::vector<std::string>{"5", "99999999999999999", "abc",
                                                 std::to_string(std::stoull(first_id) + 1000)}) {
    CAPTURE(id);
    sse_client other{server.port(), id};
    auto e = next_change(other);
    CHECK(e.type == "reset");
    // An id of its own, after every change so far: the next reconnect
    // resumes from it instead of being told to reset again.
    REQUIRE_FALSE(e.id.empty());
    CHECK(std::stoull(e.id) > std::stoull(fourth.id));
    sse_client after_reset{server.port(), e.id};
    REQUIRE(c.post("/fridges/r/drink", R"({"drinksRequested":-1})").status == 200);
    CHECK(next_change(after_reset).type == "fridge");
  }

  // Older than the buffer (4096 changes): a reset, not a partial replay.
  for (int round = 0; round < 5; ++round)
    load_pipelined(c, "r", 1000);
  sse_client too_old{server.port(), fourth.id};
  CHECK(next_change(too_old).type == "reset");
}

TEST_CASE("events: a change is told only once it is durable; a failed commit tells nothing") {
  temp_dir data;
  SUBCASE("a slow disk: the event comes after the commit, never before") {
    server_process server{{"--data-dir", data.str(), "--commit-delay", "300"}};
    sse_client events{server.port()};
    events.head();
    http_client c{server.port()};
    auto sent = std::chrono::steady_clock::now();
    // The request is written, not awaited: the event must still wait for the disk.
    c.write_raw(raw_post("/fridges", R"({"name":"s","drinks":10})"));
    auto e = next_change(events);
    CHECK(std::chrono::steady_clock::now() - sent >= std::chrono::milliseconds{300});
    CHECK(e.type == "fridge");
    CHECK(c.read().status == 201);
  }
  SUBCASE("a full disk: exactly the acknowledged deposits are told") {
    server_process server{{"--data-dir", data.str()}, "test-token", {.file_size = 256 * 1024}};
    sse_client events{server.port()};
    events.head();
    http_client c{server.port()};
    REQUIRE(c.post("/accounts", R"({"id":"alice"})").status == 201);
    std::int64_t acked = 0;
    int failed = 0;
    for (int i = 0; i < 5000 && failed == 0; ++i) {
      auto r = c.post("/accounts/alice/deposit", R"({"amount":1})");
      if (r.status == 200)
        acked = r.json().at("balance").as_int64();
      else
        failed = static_cast<int>(r.status);
    }
    REQUIRE(failed == 500);
    check_event(events, "account", R"({"id":"alice","balance":0})");
    for (std::int64_t balance = 1; balance <= acked; ++balance)
      REQUIRE(json::parse(next_change(events).data).at("balance") == balance);
    // Nothing for the failed one: the next thing told is the figures.
    auto after = events.next(std::chrono::seconds{3}, false);
    REQUIRE(after.has_value());
    CHECK(after->type == "metrics");
  }
}

TEST_CASE("events: a client that never reads is dropped and slows nobody") {
  server_process server{{"--in-memory", "--max-event-streams", "3"}};
  sse_client slow{server.port(), std::nullopt, 4096}; // reads nothing from here on
  CHECK(slow.head().rfind("HTTP/1.1 200", 0) == 0);
  sse_client watcher{server.port()};
  watcher.head();
  http_client c{server.port()};
  REQUIRE(c.post("/fridges", R"({"name":"flood","drinks":0})").status == 201);
  CHECK(next_change(watcher).type == "fridge");
  // Loads, pipelined, until the server gives the slow client up (its queue
  // passed 1 MiB behind full socket buffers). Every one is answered, and the
  // watcher that reads is told of every one.
  constexpr int round = 5000;
  std::int64_t loads = 0;
  std::uint64_t dropped = 0;
  while (dropped == 0 && loads < 400'000) {
    for (int i = 0; i < round / 1000; ++i)
      load_pipelined(c, "flood", 1000);
    loads += round;
    for (std::int64_t seen = loads - round; seen < loads;) {
      auto e = watcher.next(std::chrono::seconds{10}, false);
      REQUIRE(e.has_value());
      if (e->type == "metrics")
        dropped = json::parse(e->data).at("eventStreamsDropped").to_number<std::uint64_t>();
      else
        REQUIRE(json::parse(e->data).at("drinksLeftInFridge") == ++seen);
    }
    // The figures of this round, read after its changes.
    dropped = next_figures(watcher).at("eventStreamsDropped").to_number<std::uint64_t>();
  }
  CHECK(dropped == 1);
  CHECK(drinks_of(c, "flood") == loads);
  // The slow client, reading at last, finds the reason at the end.
  std::optional<sse_event> last;
  while (auto e = slow.next(std::chrono::seconds{20}, false))
    last = e;
  REQUIRE(last.has_value());
  CHECK(last->type == "dropped");
  CHECK(json::parse(last->data).at("reason").as_string().find("too slowly") != std::string::npos);
}

TEST_CASE("events: --max-event-streams, a HEAD, a front end without actors, a graceful stop") {
  server_process server{{"--in-memory", "--max-event-streams", "2"}};
  {
    // A HEAD gets the head a GET gets (no length: the connection ends).
    sse_client head{server.port(), std::nullopt, 0, "HEAD /events HTTP/1.1\r\nHost: t\r\n\r\n"};
    auto answer = head.read_all(std::chrono::seconds{10});
    CHECK(answer.rfind("HTTP/1.1 200 OK\r\n", 0) == 0);
    CHECK(answer.find("Content-Type: text/event-stream") != std::string::npos);
    CHECK(answer.find("Content-Length") == std::string::npos);
    CHECK(answer.find("\r\n\r\n") == answer.size() - 4); // a head only, then the close
    http_client c{server.port()};
    sse_client one{server.port()}, two{server.port()};
    one.head();
    two.head();
    auto refused = c.get("/events");
    CHECK(refused.status == 503);
    CHECK(refused.error() == "overloaded");
  }
  // Both went away: their places are free again.
  auto again_ptr = stream_when_free(server.port());
  auto& again = *again_ptr;
  CHECK(again.head().rfind("HTTP/1.1 200", 0) == 0);

  server_process node{{"--in-memory", "--publish", "0"}};
  server_process front{front_end_flags(published_port(node))};
  http_client fc{front.port()};
  auto none = fc.get("/events");
  CHECK(none.status == 404);
  CHECK(none.error() == "not_found");

  // SIGTERM: the stream is told why it ends, then it ends.
  CHECK(server.stop(SIGTERM, std::chrono::seconds{30}) == 0);
  auto last = again.next(std::chrono::seconds{10}, false);
  while (last && last->type == "metrics")
    last = again.next(std::chrono::seconds{10}, false);
  REQUIRE(last.has_value());
  CHECK(last->type == "shutdown");
  CHECK(again.ended(std::chrono::seconds{10}));
}

TEST_CASE("events: a stream that starts during a graceful stop is told so and ends") {
  temp_dir data;
  server_process server{{"--data-dir", data.str(), "--commit-delay", "1500"}};
  // The stream waits behind a write the slow disk holds 1.5 s; the server
  // stops meanwhile. The stream still starts (the request was read) and is
  // told why it ends, instead of being cut off at the end of the grace.
  sse_client late{server.port(), std::nullopt, 0,
                  raw_post("/fridges", R"({"name":"late","drinks":1})")};
  http_client other{server.port()};
  REQUIRE(other.get("/healthz").status == 200); // the server has read both by now
  ::kill(server.pid(), SIGTERM);
  auto text = late.read_all(std::chrono::seconds{30});
  CAPTURE(text);
  auto created = text.find("HTTP/1.1 201 Created\r\n");
  auto stream = text.find("HTTP/1.1 200 OK\r\n");
  CHECK(created == 0); // answered: it was received before the stop
  REQUIRE(stream != std::string::npos);
  CHECK(text.find("event: shutdown\n", stream) != std::string::npos);
  CHECK(server.stop(0) == 0);
}

TEST_CASE("events: a watcher that comes back after a restart is told to load again") {
  temp_dir data;
  std::string where;
  {
    server_process first{{"--data-dir", data.str()}};
    http_client c{first.port()};
    REQUIRE(c.post("/fridges", R"({"name":"k","drinks":10})").status == 201);
    // Opened after the change: it has seen no event, yet it holds an id.
    sse_client watcher{first.port()};
    REQUIRE(watcher.has_id());
    where = watcher.last_event_id();
    CHECK(first.stop(SIGTERM) == 0);
  }
  server_process second{{"--data-dir", data.str()}};
  http_client c{second.port()};
  REQUIRE(c.post("/fridges/k/drink", R"({"drinksRequested":2})").status == 200);
  // Reconnecting as a browser does (with the id it holds), after a change
  // it did not see: a reset, then the changes from there on.
  sse_client back{second.port(), where};
  auto reset = next_change(back);
  CHECK(reset.type == "reset");
  REQUIRE(c.post("/fridges/k/drink", R"({"drinksRequested":1})").status == 200);
  check_event(back, "fridge",
              R"({"change":"drink","name":"k","drinksLeftInFridge":7,"stopped":false})");
}

TEST_CASE("events: a stream is no idle connection: the read timeout does not end it") {
  server_process server{{"--in-memory", "--read-timeout", "300"}};
  sse_client events{server.port()};
  events.head();
  // Three figures come a second apart: the stream outlives ten read timeouts.
  for (int i = 0; i < 3; ++i)
    next_figures(events);
  http_client c{server.port()};
  REQUIRE(c.post("/fridges", R"({"name":"t","drinks":1})").status == 201);
  CHECK(next_change(events).type == "fridge");
}
