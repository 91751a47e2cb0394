// Durability against real processes and real files: what got a 2xx survives
// kill -9, faults at start are one line and exit 2, a failed commit is an
// error that changes nothing.

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

#include <algorithm>
#include <atomic>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <map>
#include <thread>
#include <vector>

using namespace fridgebank::test;
namespace fs = std::filesystem;

namespace {

/// What one writer knows of its own mutations: how many were acknowledged
/// (2xx) and how many were sent at all (the unacknowledged ones may or may
/// not have become durable before the kill).
struct writer_log {
  std::atomic<std::int64_t> acked{0};
  std::atomic<std::int64_t> sent{0};
};

/// Posts `body` to `target` until the connection dies, counting.
void write_until_killed(unsigned short port, const std::string& target, const std::string& body,
                        writer_log& log) {
  try {
    http_client c{port};
    for (;;) {
      ++log.sent;
      auto r = c.post(target, body);
      if (r.status != 200)
        return;
      ++log.acked;
    }
  } catch (const std::exception&) {
    // the server was killed under us: expected
  }
}

} // namespace

TEST_CASE("kill -9 during concurrent writes loses nothing acknowledged") {
  temp_dir data;
  const std::vector<std::string> flags{"--data-dir", data.str()};
  constexpr int depositors = 4;
  constexpr std::int64_t transfer_pool = 1000;
  writer_log deposits[depositors];
  writer_log loads; // a thread loading drinks into one fridge
  std::vector<std::string> stopped_fridges;

  {
    server_process server{flags};
    http_client c{server.port()};
    for (int i = 0; i < depositors; ++i)
      REQUIRE(c.post("/accounts", R"({"id":"d)" + std::to_string(i) + R"("})").status == 201);
    REQUIRE(c.post("/accounts", R"({"id":"t0"})").status == 201);
    REQUIRE(c.post("/accounts", R"({"id":"t1"})").status == 201);
    REQUIRE(c.post("/accounts/t0/deposit", R"({"amount":)" + std::to_string(transfer_pool) + "}")
                .status == 200);
    REQUIRE(c.post("/fridges", R"({"name":"pantry","drinks":0})").status == 201);
    server.kill_hard();
  }

  constexpr int rounds = 4;
  // Each round verifies what the previous kill left, then writes and is
  // killed again; the last start only verifies.
  for (int round = 0; round <= rounds; ++round) {
    CAPTURE(round);
    server_process server{flags};
    auto port = server.port();
    {
      // Everything acknowledged so far is here, and nothing that was never sent.
      http_client c{port};
      for (int i = 0; i < depositors; ++i) {
        auto balance = balance_of(c, "d" + std::to_string(i));
        CHECK(balance >= deposits[i].acked.load());
        CHECK(balance <= deposits[i].sent.load());
        // Start the next round from what is durable.
        deposits[i].acked = balance;
        deposits[i].sent = balance;
      }
      auto drinks = drinks_of(c, "pantry");
      CHECK(drinks >= loads.acked.load());
      CHECK(drinks <= loads.sent.load());
      loads.acked = drinks;
      loads.sent = drinks;
      CHECK(balance_of(c, "t0") + balance_of(c, "t1") == transfer_pool);
      for (auto& name : stopped_fridges) {
        auto r = c.get("/fridges/" + name);
        REQUIRE(r.status == 200);
        CHECK(r.json().at("stopped").as_bool());
        CHECK(c.post("/fridges/" + name + "/drink", R"({"drinksRequested":1})").error() ==
              "stopped");
      }
      // A fridge stopped in this round must stay stopped.
      auto name = "stopped" + std::to_string(round);
      REQUIRE(c.post("/fridges", R"({"name":")" + name + R"(","drinks":2})").status == 201);
      REQUIRE(c.send(http::verb::post, "/fridges/" + name + "/stop", "",
                     {{http::field::authorization, "Bearer " + server.token()}})
                  .status == 200);
      stopped_fridges.push_back(name);
    }
    if (round == rounds)
      break;

    std::vector<std::int64_t> start_of_round;
    for (auto& log : deposits)
      start_of_round.push_back(log.acked.load());
    start_of_round.push_back(loads.acked.load());
    std::vector<std::thread> writers;
    for (int i = 0; i < depositors; ++i)
      writers.emplace_back(write_until_killed, port, "/accounts/d" + std::to_string(i) + "/deposit",
                           R"({"amount":1})", std::ref(deposits[i]));
    writers.emplace_back(write_until_killed, port, "/fridges/pantry/drink",
                         R"({"drinksRequested":-1})", std::ref(loads));
    std::atomic<bool> transfers_ok{true};
    writers.emplace_back([port, &transfers_ok] {
      try {
        http_client c{port};
        for (int i = 0;; ++i) {
          auto r = c.post("/transfers", i % 2 ? R"({"from":"t1","to":"t0","amount":7})"
                                              : R"({"from":"t0","to":"t1","amount":7})");
          if (r.status != 200 && r.status != 409)
            transfers_ok = false;
        }
      } catch (const std::exception&) {
      }
    });
    // Kill while every writer is mid-stream, once each has had some acknowledged.
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
    auto wait_for_progress = [deadline](writer_log& log, std::int64_t from) {
      while (log.acked.load() < from + 50)
        if (std::chrono::steady_clock::now() > deadline)
          return false;
        else
          std::this_thread::yield(); // watching another process's progress
      return true;
    };
    for (int i = 0; i < depositors; ++i)
      CHECK(wait_for_progress(deposits[i], start_of_round[i]));
    CHECK(wait_for_progress(loads, start_of_round[depositors]));
    server.kill_hard();
    for (auto& w : writers)
      w.join();
    CHECK(transfers_ok.load());
  }
}

TEST_CASE("two servers never share a data directory") {
  temp_dir data;
  server_process first{{"--data-dir", data.str()}};
  std::string err;
  CHECK(failed_start({"--port", "0", "--data-dir", data.str()}, err) == 2);
  CHECK(err.find("in use") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  // The first one is untouched by the attempt.
  http_client c{first.port()};
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("a corrupt database is refused at start, never repaired silently") {
  temp_dir data;
  {
    server_process server{{"--data-dir", data.str()}};
    http_client c{server.port()};
    for (int i = 0; i < 50; ++i)
      REQUIRE(c.post("/fridges", R"({"name":"f)" + std::to_string(i) + R"(","drinks":1})").status ==
              201);
    CHECK(server.stop(SIGTERM) == 0); // a clean stop checkpoints the WAL into the file
  }
  auto db = data.path / "fridgebank.db";
  REQUIRE(fs::file_size(db) > 8192);
  {
    // Scribble over the second page, leaving the header intact.
    std::fstream f{db, std::ios::in | std::ios::out | std::ios::binary};
    f.seekp(4096);
    std::string garbage(4096, '\x5a');
    f.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  }
  std::string err;
  CHECK(failed_start({"--port", "0", "--data-dir", data.str()}, err) == 2);
  CAPTURE(err);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
  CHECK(err.find("fridgebank.db") != std::string::npos);

  // Not a database at all.
  temp_dir other;
  std::ofstream{other.path / "fridgebank.db"} << std::string(8192, 'x');
  CHECK(failed_start({"--port", "0", "--data-dir", other.str()}, err) == 2);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

TEST_CASE("a failed commit is an error, changes nothing, and the server keeps serving") {
  temp_dir data;
  std::int64_t acked = 0;
  {
    // Writes past 256 KiB fail, as on a full disk (the WAL grows per commit).
    server_process server{{"--data-dir", data.str()}, "test-token", {.file_size = 256 * 1024}};
    http_client c{server.port()};
    REQUIRE(c.post("/accounts", R"({"id":"alice"})").status == 201);
    reply failed;
    for (int i = 0; i < 5000 && failed.status == 0; ++i) {
      auto r = c.post("/accounts/alice/deposit", R"({"amount":1})");
      if (r.status == 200)
        acked = r.json().at("balance").as_int64();
      else
        failed = r;
    }
    REQUIRE(failed.status != 0);
    CAPTURE(failed.body);
    CHECK(failed.status == 500);
    CHECK(failed.error() == "internal");
    CHECK(acked > 0);
    // In memory it is rolled back to what is on disk (a read may first be
    // told to retry while the actors reload).
    reply r;
    for (int i = 0; i < 100; ++i)
      if ((r = c.get("/accounts/alice")).status != 503)
        break;
    REQUIRE(r.status == 200);
    CHECK(r.json().at("balance").as_int64() == acked);
    CHECK(c.get("/healthz").status == 200);
    CHECK(c.get("/echo?greeting=hi").status == 200);
    // Further writes fail the same way, and change nothing either.
    auto again = c.post("/accounts/alice/deposit", R"({"amount":1})");
    CHECK((again.status == 500 || again.status == 503));
    server.kill_hard();
  }
  // With room on the disk again, what was acknowledged is there, and nothing else.
  server_process server{{"--data-dir", data.str()}};
  http_client c{server.port()};
  CHECK(balance_of(c, "alice") == acked);
  CHECK(c.post("/accounts/alice/deposit", R"({"amount":1})").status == 200);
  CHECK(balance_of(c, "alice") == acked + 1);
}

TEST_CASE("Idempotency-Key: a retry replays the first reply, also after kill -9") {
  temp_dir data;
  const std::vector<std::string> flags{"--data-dir", data.str()};
  std::string first_deposit, first_refusal, first_create;
  {
    server_process server{flags};
    http_client c{server.port()};
    auto created = keyed_post(c, "/accounts", R"({"id":"carol"})", "open-carol");
    REQUIRE(created.status == 201);
    first_create = created.body;
    auto again = keyed_post(c, "/accounts", R"({"id":"carol"})", "open-carol");
    CHECK(again.status == 201); // not 409: the first reply, replayed
    CHECK(again.body == first_create);
    CHECK(again.raw["Location"] == "/accounts/carol");

    auto deposit = keyed_post(c, "/accounts/carol/deposit", R"({"amount":10})", "dep-1");
    REQUIRE(deposit.status == 200);
    first_deposit = deposit.body;
    for (int i = 0; i < 3; ++i) {
      auto retry = keyed_post(c, "/accounts/carol/deposit", R"({"amount":10})", "dep-1");
      CHECK(retry.status == 200);
      CHECK(retry.body == first_deposit);
      CHECK(retry.raw["Idempotent-Replayed"] == "true");
    }
    CHECK(balance_of(c, "carol") == 10);

    // A refusal is a reply too: it is replayed even once the request could pass.
    auto refused = keyed_post(c, "/accounts/carol/withdraw", R"({"amount":50})", "wd-1");
    REQUIRE(refused.status == 409);
    first_refusal = refused.body;
    REQUIRE(c.post("/accounts/carol/deposit", R"({"amount":100})").status == 200);
    auto replayed = keyed_post(c, "/accounts/carol/withdraw", R"({"amount":50})", "wd-1");
    CHECK(replayed.status == 409);
    CHECK(replayed.body == first_refusal);
    CHECK(balance_of(c, "carol") == 110);

    // The same key with another request.
    auto reused = keyed_post(c, "/accounts/carol/deposit", R"({"amount":11})", "dep-1");
    CHECK(reused.status == 422);
    CHECK(reused.error() == "idempotency_key_reused");
    CHECK(keyed_post(c, "/accounts/carol/withdraw", R"({"amount":10})", "dep-1").error() ==
          "idempotency_key_reused");
    // Bad keys are refused before anything runs.
    CHECK(keyed_post(c, "/accounts/carol/deposit", R"({"amount":1})", "").error() == "bad_request");
    CHECK(
        keyed_post(c, "/accounts/carol/deposit", R"({"amount":1})", std::string(65, 'k')).error() ==
        "bad_request");
    CHECK(balance_of(c, "carol") == 110);
    server.kill_hard();
  }
  server_process server{flags};
  http_client c{server.port()};
  auto retry = keyed_post(c, "/accounts/carol/deposit", R"({"amount":10})", "dep-1");
  CHECK(retry.status == 200);
  CHECK(retry.body == first_deposit);
  CHECK(keyed_post(c, "/accounts/carol/withdraw", R"({"amount":50})", "wd-1").body ==
        first_refusal);
  CHECK(keyed_post(c, "/accounts", R"({"id":"carol"})", "open-carol").body == first_create);
  CHECK(keyed_post(c, "/accounts/carol/deposit", R"({"amount":12})", "dep-1").error() ==
        "idempotency_key_reused");
  CHECK(balance_of(c, "carol") == 110);
  // Keys on the fridge routes, the stop pill included.
  REQUIRE(keyed_post(c, "/fridges", R"({"name":"icebox","drinks":5})", "mk-icebox").status == 201);
  auto drink = keyed_post(c, "/fridges/icebox/drink", R"({"drinksRequested":2})", "sip");
  REQUIRE(drink.status == 200);
  CHECK(keyed_post(c, "/fridges/icebox/drink", R"({"drinksRequested":2})", "sip").body ==
        drink.body);
  CHECK(drinks_of(c, "icebox") == 3);
}

TEST_CASE("concurrent retries with one key execute once") {
  temp_dir data;
  server_process server{{"--data-dir", data.str()}};
  {
    http_client c{server.port()};
    REQUIRE(c.post("/accounts", R"({"id":"dave"})").status == 201);
  }
  constexpr int clients = 8;
  std::vector<unsigned> statuses(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i)
    threads.emplace_back([&, i] {
      http_client c{server.port()};
      for (;;) {
        auto r = keyed_post(c, "/accounts/dave/deposit", R"({"amount":5})", "once");
        if (r.status == 409 && r.error() == "conflict")
          continue; // the first is still in progress: retry, as a client would
        statuses[static_cast<std::size_t>(i)] = r.status;
        return;
      }
    });
  for (auto& t : threads)
    t.join();
  for (auto s : statuses)
    CHECK(s == 200);
  http_client c{server.port()};
  CHECK(balance_of(c, "dave") == 5);
}
