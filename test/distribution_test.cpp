// Two processes on loopback: an actor node (`--publish`) owning the actors
// and the journal, and HTTP front ends (`--actors-at`) that hold no state.
// Every route behaves as in one process; the node may die and come back.

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

#include <atomic>
#include <chrono>
#include <doctest/doctest.h>
#include <poll.h>
#include <string>
#include <thread>
#include <vector>

using namespace fridgebank::test;

TEST_CASE("a front end serves the fridges and the bank of another node") {
  temp_dir data;
  server_process node{{"--data-dir", data.str(), "--publish", "0"}};
  server_process front{front_end_flags(published_port(node))};
  http_client c{front.port()};
  std::pair<http::field, std::string> admin{http::field::authorization, "Bearer " + front.token()};

  CHECK(c.get("/healthz").body == R"({"status":"ok"})");
  CHECK(c.post("/fridges", R"({"name":"kitchen","drinks":3})").status == 201);
  CHECK(c.post("/fridges", R"({"name":"kitchen"})").error() == "conflict");
  auto polite = c.post("/fridges/kitchen/drink", R"({"drinksRequested":5,"leaveAtLeast":1})");
  CHECK(polite.body == R"({"drinksTakenOrAdded":2,"drinksLeftInFridge":1})");
  CHECK(c.get("/fridges/attic").error() == "not_found");
  CHECK(c.post("/fridges/kitchen/drink", R"({"drinksRequested":1.5})").error() == "bad_request");
  CHECK(c.send(http::verb::post, "/fridges/kitchen/stop", "", {admin}).status == 200);
  CHECK(c.post("/fridges/kitchen/drink", R"({"drinksRequested":1})").error() == "stopped");

  CHECK(c.post("/accounts", R"({"id":"alice"})").status == 201);
  CHECK(c.post("/accounts", R"({"id":"bob"})").status == 201);
  CHECK(c.post("/accounts/alice/deposit", R"({"amount":50})").status == 200);
  auto moved = c.post("/transfers", R"({"from":"alice","to":"bob","amount":20})");
  CHECK(moved.status == 200);
  auto overdraft = c.post("/accounts/bob/withdraw", R"({"amount":21})");
  CHECK(overdraft.status == 409);
  CHECK(overdraft.error() == "insufficient_funds");
  auto deposit = keyed_post(c, "/accounts/bob/deposit", R"({"amount":5})", "once");
  CHECK(keyed_post(c, "/accounts/bob/deposit", R"({"amount":5})", "once").body == deposit.body);
  CHECK(c.get("/accounts").json().at("total") == 55);

  // The node's own HTTP front end sees the same actors.
  http_client direct{node.port()};
  CHECK(drinks_of(direct, "kitchen") == 1);
  CHECK(balance_of(direct, "bob") == 25);

  // Stopping a front end leaves the node's actors alone.
  CHECK(front.stop() == 0);
  CHECK(direct.get("/accounts").json().at("total") == 55);
  CHECK(direct.post("/accounts/alice/deposit", R"({"amount":1})").status == 200);
  // A node whose actors other nodes held still stops cleanly.
  CHECK(node.stop(SIGTERM, std::chrono::seconds{10}) == 0);
}

TEST_CASE("two front ends on one node: concurrent transfers keep the total") {
  temp_dir data;
  server_process node{{"--data-dir", data.str(), "--publish", "0"}};
  auto at = published_port(node);
  server_process front_a{front_end_flags(at)};
  server_process front_b{front_end_flags(at)};
  constexpr int accounts = 4;
  constexpr std::int64_t each = 1000;
  {
    http_client c{front_a.port()};
    for (int i = 0; i < accounts; ++i) {
      auto id = "acct" + std::to_string(i);
      REQUIRE(c.post("/accounts", R"({"id":")" + id + R"("})").status == 201);
      REQUIRE(c.post("/accounts/" + id + "/deposit", R"({"amount":1000})").status == 200);
    }
  }
  std::atomic<int> bad_totals{0}, transfers_ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      http_client c{t % 2 == 0 ? front_a.port() : front_b.port()};
      for (int i = 0; i < 150; ++i) {
        auto from = "acct" + std::to_string((t + i) % accounts);
        auto to = "acct" + std::to_string((t + 2 * i + 1) % accounts);
        if (from == to)
          continue;
        auto r = c.post("/transfers", transfer_body(from, to, 1 + i % 7));
        if (r.status == 200)
          ++transfers_ok;
        if (i % 10 == 0 && c.get("/accounts").json().at("total") != accounts * each)
          ++bad_totals;
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(bad_totals == 0);
  CHECK(transfers_ok > 0);
  http_client c{front_b.port()};
  CHECK(c.get("/accounts").json().at("total") == accounts * each);
  CHECK(node.stop(SIGTERM, std::chrono::seconds{10}) == 0); // with both front ends connected
  CHECK(front_a.stop() == 0);
}

TEST_CASE("the actor node dies and comes back: 503 meanwhile, reconnect, nothing lost") {
  temp_dir data;
  auto node = std::make_unique<server_process>(
      std::vector<std::string>{"--data-dir", data.str(), "--publish", "0"});
  auto at = published_port(*node);
  server_process front{front_end_flags(at)};
  {
    http_client c{front.port()};
    REQUIRE(c.post("/accounts", R"({"id":"carol"})").status == 201);
  }

  // Writers deposit 1 each, every deposit with its own key, retrying until
  // it is acknowledged: across the crash every deposit lands exactly once.
  constexpr int writers = 3, per_writer = 60;
  std::atomic<int> refused{0}, slow{0};
  std::atomic<bool> node_back{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w)
    threads.emplace_back([&, w] {
      for (int i = 0; i < per_writer; ++i) {
        auto key = "w" + std::to_string(w) + "-" + std::to_string(i);
        for (;;) {
          try {
            http_client c{front.port()};
            auto started = std::chrono::steady_clock::now();
            auto r = keyed_post(c, "/accounts/carol/deposit", R"({"amount":1})", key);
            if (std::chrono::steady_clock::now() - started > std::chrono::seconds{4})
              ++slow; // a hung request: the request timeout is 2 s
            if (r.status == 200)
              break;
            ++refused;
            CHECK(r.status >= 409); // 503 while down, 409 while a retry's first is in flight
          } catch (const std::exception&) {
            ++refused;
          }
          ::poll(nullptr, 0, 20); // a client's back-off between retries
        }
      }
    });

  // Kill the node while the writers are busy, check the front end copes,
  // then start the node again on the same data and the same port.
  {
    http_client c{front.port()};
    while (balance_of(c, "carol") < 20)
      ::poll(nullptr, 0, 5);
  }
  node->kill_hard();
  CHECK(health_becomes(front.port(), 503, std::chrono::seconds{5}));
  {
    http_client c{front.port()};
    auto down = c.get("/accounts/carol");
    CHECK(down.status == 503);
    CHECK(c.get("/healthz").error() == "unavailable");
  }
  node = std::make_unique<server_process>(
      std::vector<std::string>{"--data-dir", data.str(), "--publish", std::to_string(at)});
  CHECK(published_port(*node) == at);
  CHECK(health_becomes(front.port(), 200, std::chrono::seconds{10}));
  for (auto& t : threads)
    t.join();

  http_client c{front.port()};
  CHECK(balance_of(c, "carol") == writers * per_writer);
  CHECK(refused > 0); // the crash was seen
  CHECK(slow == 0);
}

namespace {

/// Drinks left in fridge `name`, or -1 while it cannot be read.
long long drinks_left(http_client& c, const std::string& name) {
  auto r = c.get("/fridges/" + name);
  return r.status == 200 ? r.json().at("drinksLeftInFridge").to_number<long long>() : -1;
}

} // namespace

TEST_CASE("the actor node stopped under load: every drink answered 200 was taken, and each "
          "taken one was answered or timed out") {
  temp_dir data;
  auto node = std::make_unique<server_process>(
      std::vector<std::string>{"--data-dir", data.str(), "--publish", "0"});
  auto at = published_port(*node);
  server_process front{front_end_flags(at)};
  constexpr long long full = 1000000;
  {
    http_client c{front.port()};
    REQUIRE(c.post("/fridges", R"({"name":"f","drinks":1000000})").status == 201);
  }
  // Unkeyed drinkers, many requests in flight through the front end's
  // batches while the node drains and stops (SIGTERM).
  constexpr int drinkers = 8;
  std::atomic<bool> done{false};
  std::atomic<long long> answered{0}, timed_out{0}, other{0};
  std::vector<std::thread> threads;
  for (int d = 0; d < drinkers; ++d)
    threads.emplace_back([&] {
      while (!done) {
        try {
          http_client c{front.port()};
          while (!done) {
            auto r = c.post("/fridges/f/drink", R"({"drinksRequested":1})");
            if (r.status == 200)
              ++answered;
            else if (r.status == 503 && r.error() == "timeout")
              ++timed_out; // may or may not have run
            else
              ++other; // 503 unavailable: did not run
          }
        } catch (const std::exception&) {
          ++other;
        }
      }
    });
  {
    http_client c{front.port()};
    while (drinks_left(c, "f") > full - 500)
      ::poll(nullptr, 0, 5);
  }
  CHECK(node->stop() == 0);
  done = true;
  for (auto& t : threads)
    t.join();
  node = std::make_unique<server_process>(
      std::vector<std::string>{"--data-dir", data.str(), "--publish", std::to_string(at)});
  REQUIRE(health_becomes(front.port(), 200, std::chrono::seconds{10}));
  http_client c{front.port()};
  auto taken = full - drinks_left(c, "f");
  CAPTURE(answered.load());
  CAPTURE(timed_out.load());
  CAPTURE(other.load());
  CHECK(answered >= 500);
  CHECK(taken >= answered);             // nothing acknowledged is lost
  CHECK(taken <= answered + timed_out); // nothing refused ran
  CHECK(timed_out == 0);                // a draining node answers what it was given
}

TEST_CASE("--actors-at with no node there, or --publish on a taken port: one line, exit 2") {
  std::string err;
  CHECK(failed_start({"--port", "0", "--actors-at", "127.0.0.1:1"}, err) == 2);
  CHECK(err.find("no fridgebank actors published at 127.0.0.1:1") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  CHECK(failed_start({"--port", "0", "--actors-at", "nonsense"}, err) == 2);
  temp_dir data;
  server_process node{{"--data-dir", data.str(), "--publish", "0"}};
  auto at = published_port(node);
  temp_dir other;
  CHECK(failed_start({"--port", "0", "--data-dir", other.str(), "--publish", std::to_string(at)},
                     err) == 2);
  CHECK(err.find("cannot publish") != std::string::npos);
}

TEST_CASE("a front end killed mid-request leaves no key in progress: retries elsewhere settle") {
  temp_dir data;
  // Commits 30 ms late: the kill lands while keyed requests wait on them.
  server_process node{{"--data-dir", data.str(), "--publish", "0", "--commit-delay", "30"}};
  auto at = published_port(node);
  constexpr int writers = 16;
  std::vector<std::vector<std::string>> tried(writers);
  {
    auto front = std::make_unique<server_process>(front_end_flags(at));
    {
      http_client c{front->port()};
      for (int w = 0; w < writers; ++w)
        REQUIRE(c.post("/accounts", R"({"id":"k)" + std::to_string(w) + R"("})").status == 201);
    }
    std::atomic<int> sent{0};
    std::vector<std::thread> threads;
    for (int w = 0; w < writers; ++w)
      threads.emplace_back([&, w, port = front->port()] {
        try {
          http_client c{port};
          for (int i = 0;; ++i) {
            auto key = "k" + std::to_string(w) + "-" + std::to_string(i);
            tried[static_cast<std::size_t>(w)].push_back(key);
            ++sent;
            keyed_post(c, "/accounts/k" + std::to_string(w) + "/deposit", R"({"amount":1})", key);
          }
        } catch (const std::exception&) {
          // the front end was killed under us
        }
      });
    while (sent < 4 * writers)
      std::this_thread::yield(); // every writer is under way
    front->kill_hard();
    for (auto& t : threads)
      t.join();
  }
  // A new front end: every key tried settles (replays or executes once).
  server_process front{front_end_flags(at)};
  http_client c{front.port()};
  int stuck = 0;
  for (int w = 0; w < writers; ++w) {
    auto account = "/accounts/k" + std::to_string(w);
    for (auto& key : tried[static_cast<std::size_t>(w)]) {
      unsigned status = 0;
      for (int attempt = 0; attempt < 300 && status != 200; ++attempt) {
        status = keyed_post(c, account + "/deposit", R"({"amount":1})", key).status;
        if (status != 200)
          ::poll(nullptr, 0, 10); // a client's back-off while the node fences the dead claim
      }
      stuck += status == 200 ? 0 : 1;
    }
    CHECK(balance_of(c, "k" + std::to_string(w)) ==
          static_cast<std::int64_t>(tried[static_cast<std::size_t>(w)].size()));
  }
  CHECK(stuck == 0);
}
