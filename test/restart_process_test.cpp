// What users live through, over real processes: use every route, SIGTERM,
// start, use every route, kill -9, start, use every route. Stopping the
// process is not a pill (API.md v1.1); only the pills retire. Also the
// Idempotency-Key storm under a tiny request timeout, the files' modes and
// the token, a newer schema, and a database deleted under a running server.

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

#include <atomic>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <thread>
#include <vector>

using namespace fridgebank::test;
namespace fs = std::filesystem;

namespace {

reply keyed(http_client& c, const std::string& target, const std::string& body,
            const std::string& key) {
  return c.send_named(http::verb::post, target, body, {{"Idempotency-Key", key}});
}

reply admin_post(http_client& c, const std::string& target, const std::string& token) {
  return c.send(http::verb::post, target, "", {{http::field::authorization, "Bearer " + token}});
}

/// What every earlier round left, checked and extended by the next.
struct life {
  std::int64_t kitchen = 100; // drinks
  std::int64_t alice = 0, bob = 0;
  std::vector<std::string> retired;
  std::vector<std::pair<std::string, std::string>> keys; // key, first reply body
};

/// One round of every route, each checked against what earlier rounds did.
void use_every_route(http_client& c, const std::string& token, life& l, int round) {
  CAPTURE(round);
  auto r = std::to_string(round);
  CHECK(c.get("/echo?greeting=back").body == "back to you too!");
  CHECK(c.get("/healthz").status == 200);
  CHECK(c.get("/metrics").status == 200);
  CHECK(c.get("/").status == 200);
  if (round == 0) {
    REQUIRE(c.post("/fridges", R"({"name":"kitchen","drinks":100})").status == 201);
    REQUIRE(c.post("/accounts", R"({"id":"alice"})").status == 201);
    REQUIRE(c.post("/accounts", R"({"id":"bob"})").status == 201);
  }
  // Fridges: what was there is live, what was retired stays retired.
  CHECK(drinks_of(c, "kitchen") == l.kitchen);
  auto took = c.post("/fridges/kitchen/drink", R"({"drinksRequested":3})");
  REQUIRE(took.status == 200);
  CHECK(took.json().at("drinksLeftInFridge").as_int64() == (l.kitchen -= 3));
  REQUIRE(c.post("/fridges/kitchen/drink", R"({"drinksRequested":-1})").status == 200);
  l.kitchen += 1;
  CHECK(c.post("/fridges/kitchen/drink", R"({"drinksRequested":0})").status == 200);
  REQUIRE(c.post("/fridges", R"({"name":"new)" + r + R"(","drinks":1})").status == 201);
  for (auto& name : l.retired) {
    CHECK(c.post("/fridges/" + name + "/drink", R"({"drinksRequested":1})").error() == "stopped");
    CHECK(c.get("/fridges/" + name).json().at("stopped").as_bool());
  }
  auto name = "retired" + r;
  REQUIRE(c.post("/fridges", R"({"name":")" + name + R"(","drinks":2})").status == 201);
  REQUIRE(admin_post(c, "/fridges/" + name + "/stop", token).status == 200);
  l.retired.push_back(name);
  CHECK(c.get("/fridges").json().at("fridges").as_array().size() == 1 + 2 * (round + 1));
  // Bank: accounts live, money where it was.
  CHECK(balance_of(c, "alice") == l.alice);
  CHECK(balance_of(c, "bob") == l.bob);
  REQUIRE(c.post("/accounts/alice/deposit", R"({"amount":50})").status == 200);
  REQUIRE(c.post("/accounts/alice/withdraw", R"({"amount":5})").status == 200);
  REQUIRE(c.post("/transfers", transfer_body("alice", "bob", 10)).status == 200);
  l.alice += 35, l.bob += 10;
  CHECK(c.get("/accounts").json().at("total").as_int64() == l.alice + l.bob);
  REQUIRE(c.post("/accounts", R"({"id":"acct)" + r + R"("})").status == 201);
  // Keys: every earlier key replays, without executing again.
  for (auto& [key, body] : l.keys) {
    auto again = keyed(c, "/accounts/bob/deposit", R"({"amount":1})", key);
    CHECK(again.status == 200);
    CHECK(again.body == body);
  }
  auto key = "deposit-" + r;
  auto first = keyed(c, "/accounts/bob/deposit", R"({"amount":1})", key);
  REQUIRE(first.status == 200);
  l.bob += 1;
  l.keys.emplace_back(key, first.body);
  CHECK(balance_of(c, "bob") == l.bob);
}

int mode_of(const fs::path& p) {
  struct stat info {};
  REQUIRE(::stat(p.c_str(), &info) == 0);
  return static_cast<int>(info.st_mode & 07777);
}

} // namespace

TEST_CASE(
    "every route, SIGTERM, every route, kill -9, every route: nothing retired, nothing lost") {
  temp_dir data;
  const std::vector<std::string> flags{"--data-dir", data.str()};
  life l;
  {
    server_process server{flags};
    http_client c{server.port()};
    use_every_route(c, server.token(), l, 0);
    CHECK(server.stop(SIGTERM) == 0);
  }
  {
    server_process server{flags};
    http_client c{server.port()};
    use_every_route(c, server.token(), l, 1);
    server.kill_hard();
  }
  {
    server_process server{flags};
    http_client c{server.port()};
    use_every_route(c, server.token(), l, 2);
    // /admin/shutdown is a graceful stop too, not a pill.
    CHECK(admin_post(c, "/admin/shutdown", server.token()).status == 202);
    CHECK(server.stop(0) == 0); // signal 0: only wait for the exit
  }
  server_process server{flags};
  http_client c{server.port()};
  use_every_route(c, server.token(), l, 3);
}

TEST_CASE("the bank's pill retires it: reads answer, changes are refused, also after restart") {
  temp_dir data;
  const std::vector<std::string> flags{"--data-dir", data.str()};
  for (int round = 0; round < 2; ++round) {
    server_process server{flags};
    http_client c{server.port()};
    if (round == 0) {
      REQUIRE(c.post("/accounts", R"({"id":"alice"})").status == 201);
      REQUIRE(c.post("/accounts/alice/deposit", R"({"amount":9})").status == 200);
      REQUIRE(admin_post(c, "/bank/stop", server.token()).status == 200);
    }
    CHECK(balance_of(c, "alice") == 9);
    CHECK(c.get("/accounts").json().at("total").as_int64() == 9);
    CHECK(c.post("/accounts/alice/deposit", R"({"amount":1})").error() == "stopped");
    CHECK(c.post("/accounts", R"({"id":"bob"})").error() == "stopped");
    CHECK(admin_post(c, "/bank/stop", server.token()).status == 200); // again: 200
    CHECK(server.stop(SIGTERM) == 0);
  }
}

TEST_CASE("a storm of keyed retries under a 1 ms request timeout: each deposit exactly once") {
  temp_dir data;
  // A slow disk (every commit 3 ms late): most first attempts time out
  // while their commit is still to come, the window that ran deposits twice.
  server_process server{
      {"--data-dir", data.str(), "--request-timeout", "1", "--commit-delay", "3"}};
  constexpr int clients = 32;
  constexpr int keys_each = 60;
  std::atomic<int> stuck{0}, timeouts{0}, in_progress{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < clients; ++t)
    threads.emplace_back([&, t] {
      http_client c{server.port()};
      // Retries until a definite answer, as a client would: bounded, so a
      // stuck key fails the test instead of hanging it.
      auto until_done = [&](const std::string& target, const std::string& body,
                            const std::string& key, unsigned want) {
        for (int attempt = 0; attempt < 20000; ++attempt) {
          auto r = keyed(c, target, body, key);
          if (r.status == want)
            return;
          REQUIRE((r.status == 503 || (r.status == 409 && r.error() == "conflict")));
          ++(r.status == 503 ? timeouts : in_progress);
        }
        ++stuck;
      };
      for (int k = 0; k < keys_each; ++k) {
        auto id = "s" + std::to_string(t) + "-" + std::to_string(k);
        until_done("/accounts", R"({"id":")" + id + R"("})", "open-" + id, 201);
        until_done("/accounts/" + id + "/deposit", R"({"amount":1})", "dep-" + id, 200);
      }
    });
  for (auto& t : threads)
    t.join();
  CHECK(stuck.load() == 0);
  MESSAGE(timeouts.load() << " timeouts and " << in_progress.load() << " in-progress answers");
  CHECK(timeouts.load() > 0); // the storm did what it is for
  // Every balance exactly 1, and every key replays now (none stays 409).
  server_process* s = &server;
  CHECK(s->stop(SIGTERM) == 0);
  server_process again{{"--data-dir", data.str()}};
  http_client c{again.port()};
  auto accounts = c.get("/accounts?limit=10000").json().at("accounts").as_array();
  CHECK(accounts.size() == clients * keys_each);
  int not_one = 0;
  for (auto& a : accounts)
    not_one += a.at("balance").as_int64() == 1 ? 0 : 1;
  CHECK(not_one == 0);
  for (int t = 0; t < clients; ++t) {
    auto id = "s" + std::to_string(t) + "-0";
    auto r = keyed(c, "/accounts/" + id + "/deposit", R"({"amount":1})", "dep-" + id);
    CHECK(r.status == 200);
    CHECK(r.raw["Idempotent-Replayed"] == "true");
  }
}

TEST_CASE("files: the data directory 0700, the database 0600, the token after the lock") {
  temp_dir parent;
  auto dir = parent.path / "data";
  std::string first_token;
  {
    server_process server{{"--data-dir", dir.string()}, ""}; // no --admin-token: one is made
    http_client c{server.port()};
    REQUIRE(c.post("/accounts", R"({"id":"a"})").status == 201);
    CHECK(mode_of(dir) == 0700);
    for (auto name : {"fridgebank.db", "fridgebank.db-wal", "fridgebank.db-shm", "admin-token"})
      CHECK_MESSAGE(mode_of(dir / name) == 0600, name);
    std::ifstream{dir / "admin-token"} >> first_token;
    CHECK(admin_post(c, "/bank/stop", "wrong").status == 401);
    // A second server on the same directory is refused, and leaves the
    // running server's token alone.
    std::string err;
    CHECK(failed_start({"--port", "0", "--data-dir", dir.string()}, err) == 2);
    CHECK(err.find("in use") != std::string::npos);
    std::string token_now;
    std::ifstream{dir / "admin-token"} >> token_now;
    CHECK(token_now == first_token);
    CHECK(admin_post(c, "/fridges/none/stop", first_token).status == 404); // authorized
  }
  // In memory the token lives in the temporary directory, for the process's life.
  server_process memory{{"--in-memory"}, ""};
  auto token_file =
      fs::temp_directory_path() / ("fridgebank-admin-token-" + std::to_string(memory.pid()));
  CHECK(fs::exists(token_file));
  CHECK(memory.stop(SIGTERM) == 0);
  CHECK_FALSE(fs::exists(token_file));
}

TEST_CASE("a database of a newer schema is refused with one line and exit 2") {
  temp_dir data;
  {
    server_process server{{"--data-dir", data.str()}};
    CHECK(server.stop(SIGTERM) == 0);
  }
  auto db = (data.path / "fridgebank.db").string();
  REQUIRE(std::system(("sqlite3 '" + db + "' 'PRAGMA user_version = 99'").c_str()) == 0);
  std::string err;
  CHECK(failed_start({"--port", "0", "--data-dir", data.str()}, err) == 2);
  CHECK(err.find("schema version 99") != std::string::npos);
  CHECK(std::count(err.begin(), err.end(), '\n') == 1);
}

TEST_CASE("a database deleted under the running server: writes are 503, never acknowledged") {
  temp_dir data;
  server_process server{{"--data-dir", data.str()}};
  http_client c{server.port()};
  REQUIRE(c.post("/accounts", R"({"id":"a"})").status == 201);
  REQUIRE(c.post("/accounts/a/deposit", R"({"amount":4})").status == 200);
  for (auto name : {"fridgebank.db", "fridgebank.db-wal", "fridgebank.db-shm"})
    fs::remove(data.path / name);
  for (int i = 0; i < 3; ++i) {
    auto r = c.post("/accounts/a/deposit", R"({"amount":1})");
    CHECK(r.status == 503);
    CHECK(r.error() == "unavailable");
  }
  CHECK(c.post("/fridges", R"({"name":"f"})").error() == "unavailable");
  CHECK(balance_of(c, "a") == 4); // reads go on, from what was durable
  CHECK(c.get("/healthz").status == 200);
}

TEST_CASE("SIGTERM with pipelined requests received: every one executed is answered") {
  temp_dir data;
  const std::vector<std::string> flags{"--data-dir", data.str()};
  constexpr int pipelined = 40;
  int answered = 0;
  {
    // Commits 20 ms late, so the stop lands while most requests wait on them.
    auto slow = flags;
    slow.insert(slow.end(), {"--commit-delay", "20"});
    server_process server{slow};
    http_client c{server.port()};
    REQUIRE(c.post("/accounts", R"({"id":"p"})").status == 201);
    std::string burst;
    for (int i = 0; i < pipelined; ++i)
      burst += "POST /accounts/p/deposit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 12\r\n\r\n{\"amount\":1}";
    c.write_raw(burst);
    ::kill(server.pid(), SIGTERM);
    try {
      for (; answered < pipelined; ++answered) {
        auto r = c.read();
        // A request whose head came before the stop and whose body had not
        // (the burst split between segments) did not run, and says so: it
        // is the connection's last reply and is not counted.
        if (r.status == 503) {
          CHECK(r.error() == "shutting_down");
          CHECK_FALSE(r.raw.keep_alive());
          break;
        }
        REQUIRE(r.status == 200);
        if (!r.raw.keep_alive()) {
          ++answered;
          break;
        }
      }
    } catch (const boost::system::system_error&) {
      // closed after the last reply the server owed us
    }
    CHECK(server.stop(0) == 0);
  }
  // What was executed was answered, and nothing answered was lost.
  server_process server{flags};
  http_client c{server.port()};
  CHECK(balance_of(c, "p") == answered);
  MESSAGE(answered << " of " << pipelined
                   << " pipelined deposits were read before the stop (the rest were not)");
}

TEST_CASE("the WAL deleted under the running server: writes are 503; an orphan WAL is refused") {
  temp_dir data;
  {
    server_process server{{"--data-dir", data.str()}};
    http_client c{server.port()};
    REQUIRE(c.post("/accounts", R"({"id":"a"})").status == 201);
    fs::remove(data.path / "fridgebank.db-wal");
    auto r = c.post("/accounts/a/deposit", R"({"amount":1})");
    CHECK(r.status == 503);
    CHECK(r.error() == "unavailable");
    server.kill_hard();
  }
  // The database without the WAL it was written through starts (what the
  // WAL held is gone: that is what deleting it did); the reverse is refused.
  fs::remove(data.path / "fridgebank.db");
  std::ofstream{data.path / "fridgebank.db-wal"} << "left over";
  std::string err;
  CHECK(failed_start({"--port", "0", "--data-dir", data.str()}, err) == 2);
  CHECK(err.find("exists without its database") != std::string::npos);
}

TEST_CASE("an older data directory's loose database files are tightened to 0600") {
  temp_dir data;
  {
    server_process server{{"--data-dir", data.str()}};
    CHECK(server.stop(SIGTERM) == 0);
  }
  fs::permissions(data.path / "fridgebank.db", fs::perms(0644));
  server_process server{{"--data-dir", data.str()}};
  http_client c{server.port()};
  REQUIRE(c.post("/accounts", R"({"id":"a"})").status == 201);
  for (auto name : {"fridgebank.db", "fridgebank.db-wal", "fridgebank.db-shm"})
    CHECK_MESSAGE(mode_of(data.path / name) == 0600, name);
}

TEST_CASE("two Idempotency-Key headers are refused, and change nothing") {
  server_process server;
  http_client c{server.port()};
  REQUIRE(c.post("/accounts", R"({"id":"a"})").status == 201);
  c.write_raw("POST /accounts/a/deposit HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Idempotency-Key: one\r\nIdempotency-Key: two\r\nContent-Length: 12\r\n\r\n"
              "{\"amount\":1}");
  auto r = c.read();
  CHECK(r.status == 400);
  CHECK(balance_of(c, "a") == 0);
  // The query string is no part of "the same request".
  CHECK(keyed(c, "/accounts/a/deposit", R"({"amount":1})", "q").status == 200);
  auto again = keyed(c, "/accounts/a/deposit?x=1", R"({"amount":1})", "q");
  CHECK(again.status == 200);
  CHECK(again.raw["Idempotent-Replayed"] == "true");
  CHECK(balance_of(c, "a") == 1);
}

TEST_CASE("an in-memory server that fails to start leaves no token file behind") {
  server_process busy; // holds a port
  char path[] = "/tmp/fridgebank-tokens-XXXXXX";
  REQUIRE(::mkdtemp(path) != nullptr);
  ::setenv("TMPDIR", path, 1);
  std::string err;
  CHECK(failed_start({"--port", std::to_string(busy.port()), "--in-memory"}, err) == 2);
  ::unsetenv("TMPDIR");
  CHECK(fs::is_empty(path));
  fs::remove_all(path);
}
