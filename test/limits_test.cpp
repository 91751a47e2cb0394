// --max-fridges and --max-accounts over real sockets and a restart: one more
// is limit_exceeded and changes nothing; a restart under a lower limit keeps
// everything it had.

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>

using namespace fridgebank::test;

namespace {

void fill(http_client& c, int fridges, int accounts) {
  for (int i = 0; i < fridges; ++i)
    REQUIRE(c.post("/fridges", R"({"name":"f)" + std::to_string(i) + R"("})").status == 201);
  for (int i = 0; i < accounts; ++i)
    REQUIRE(c.post("/accounts", R"({"id":"a)" + std::to_string(i) + R"("})").status == 201);
}

void check_full(http_client& c, std::size_t fridges, std::size_t accounts) {
  auto fridge = c.post("/fridges", R"({"name":"one-more"})");
  CHECK(fridge.status == 422);
  CHECK(fridge.error() == "limit_exceeded");
  auto account = c.post("/accounts", R"({"id":"one-more"})");
  CHECK(account.status == 422);
  CHECK(account.error() == "limit_exceeded");
  // A taken name is still a conflict, not a limit; nothing was added.
  CHECK(c.post("/fridges", R"({"name":"f0"})").error() == "conflict");
  CHECK(c.post("/accounts", R"({"id":"a0"})").error() == "conflict");
  CHECK(c.get("/fridges").json().at("fridges").as_array().size() == fridges);
  CHECK(c.get("/accounts").json().at("accounts").as_array().size() == accounts);
  CHECK(c.get("/fridges/one-more").status == 404);
}

} // namespace

TEST_CASE("at most --max-fridges fridges and --max-accounts accounts, across restarts") {
  temp_dir data;
  {
    server_process server{{"--data-dir", data.str(), "--max-fridges", "3", "--max-accounts", "2"}};
    http_client c{server.port()};
    fill(c, 3, 2);
    check_full(c, 3, 2);
    // A stopped fridge still counts: it is still listed.
    CHECK(c.send(http::verb::post, "/fridges/f0/stop", "",
                 {{http::field::authorization, "Bearer " + server.token()}})
              .status == 200);
    check_full(c, 3, 2);
    server.kill_hard();
  }
  {
    // A lower limit after a restart: what was there stays, nothing is added.
    server_process server{{"--data-dir", data.str(), "--max-fridges", "1", "--max-accounts", "1"}};
    http_client c{server.port()};
    check_full(c, 3, 2);
    CHECK(c.post("/fridges/f1/drink", R"({"drinksRequested":-2})").status == 200);
    CHECK(c.post("/accounts/a1/deposit", R"({"amount":2})").status == 200);
  }
  {
    server_process server{{"--data-dir", data.str(), "--max-fridges", "4"}};
    http_client c{server.port()};
    CHECK(c.post("/fridges", R"({"name":"f3"})").status == 201);
    CHECK(c.post("/fridges", R"({"name":"f4"})").error() == "limit_exceeded");
    CHECK(c.post("/accounts", R"({"id":"a2"})").status == 201); // default: a million
  }
}
