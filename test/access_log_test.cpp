// X-Request-Id and --access-log against the real server: every reply names
// its request, every answered request is one JSON line, and a rotation
// (rename, SIGHUP) loses no line.

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

#include <boost/json.hpp>
#include <doctest/doctest.h>
#include <fstream>
#include <string>
#include <vector>

using namespace fridgebank::test;
namespace json = boost::json;

namespace {

std::vector<json::object> lines_of(const std::filesystem::path& file) {
  std::vector<json::object> out;
  std::ifstream in{file};
  for (std::string line; std::getline(in, line);)
    out.push_back(json::parse(line).as_object());
  return out;
}

} // namespace

TEST_CASE("X-Request-Id: the client's is echoed, else one is made, also on errors") {
  server_process server;
  http_client c{server.port()};
  auto given =
      c.send_named(http::verb::get, "/echo?greeting=hi", {}, {{"X-Request-Id", "abc-123"}});
  CHECK(given.raw["X-Request-Id"] == "abc-123");
  auto made = c.get("/fridges/none");
  CHECK(made.status == 404);
  auto first = std::string{made.raw["X-Request-Id"]};
  CHECK(!first.empty());
  auto second = std::string{c.get("/healthz").raw["X-Request-Id"]};
  CHECK(!second.empty());
  CHECK(first != second);
  // Not 1-128 visible characters: replaced, not echoed.
  for (std::string bad : {std::string(129, 'x'), std::string{"has space"}}) {
    auto r = c.send_named(http::verb::get, "/healthz", {}, {{"X-Request-Id", bad}});
    CHECK(r.raw["X-Request-Id"] != bad);
    CHECK(!r.raw["X-Request-Id"].empty());
  }
  auto exactly_128 = std::string(128, 'y');
  CHECK(c.send_named(http::verb::get, "/healthz", {}, {{"X-Request-Id", exactly_128}})
            .raw["X-Request-Id"] == exactly_128);
}

TEST_CASE("an error body names its request; a keyed one is replayed byte for byte") {
  server_process server;
  http_client c{server.port()};
  auto made = c.get("/fridges/none");
  CHECK(made.json().at("requestId") == json::value(std::string{made.raw["X-Request-Id"]}));
  CHECK(made.error() == "not_found");
  // Quotes and backslashes are visible characters: escaped in the body.
  std::string odd = R"(a"b\c)";
  auto given = c.send_named(http::verb::get, "/fridges/none", {}, {{"X-Request-Id", odd}});
  CHECK(given.json().at("requestId") == json::value(odd));
  auto bad = c.send_named(http::verb::post, "/fridges", "{", {{"X-Request-Id", "r-bad"}});
  CHECK(bad.status == 400);
  CHECK(bad.json().at("requestId") == "r-bad");
  CHECK(c.get("/healthz").json().as_object().if_contains("requestId") == nullptr);
  // With an Idempotency-Key the retry gets the first reply's very body.
  REQUIRE(c.post("/accounts", R"({"id":"poor"})").status == 201);
  auto first = keyed_post(c, "/accounts/poor/withdraw", R"({"amount":5})", "k-1");
  auto retry = keyed_post(c, "/accounts/poor/withdraw", R"({"amount":5})", "k-1");
  CHECK(first.status == 409);
  CHECK(retry.status == 409);
  CHECK(retry.body == first.body);
  CHECK(first.json().as_object().if_contains("requestId") == nullptr);
  CHECK(retry.raw["X-Request-Id"] != first.raw["X-Request-Id"]);
}

TEST_CASE("--access-log: one JSON line per answered request; a rotation loses none") {
  temp_dir dir;
  auto log = dir.path / "access.log";
  server_process server{{"--in-memory", "--access-log", log.string()}};
  std::vector<std::string> ids;
  {
    http_client c{server.port()};
    auto echo = c.send_named(http::verb::get, "/echo?greeting=a%20b", {}, {{"X-Request-Id", "r1"}});
    ids.push_back(std::string{echo.raw["X-Request-Id"]});
    auto keyed = keyed_post(c, "/fridges", R"({"name":"f","drinks":1})", "key-1");
    CHECK(keyed.status == 201);
    ids.push_back(std::string{keyed.raw["X-Request-Id"]});
    ids.push_back(std::string{c.get("/nope").raw["X-Request-Id"]});
    auto metrics = c.get("/metrics");
    ids.push_back(std::string{metrics.raw["X-Request-Id"]});
    CHECK(metrics.body.find("fridgebank_access_log_dropped_total 0") != std::string::npos);
  }
  // Rotation: the file is renamed, SIGHUP; the server writes to a new file
  // by the old name, and no line is lost between the two.
  auto rotated = dir.path / "access.log.1";
  std::filesystem::rename(log, rotated);
  ::kill(server.pid(), SIGHUP);
  http_client c{server.port()};
  for (int i = 0; i < 1000 && !std::filesystem::exists(log); ++i)
    ids.push_back(std::string{c.get("/healthz").raw["X-Request-Id"]});
  REQUIRE(std::filesystem::exists(log));
  ids.push_back(std::string{c.get("/healthz").raw["X-Request-Id"]});
  CHECK(server.stop(SIGTERM) == 0); // the log is written to the end before the exit

  auto old_lines = lines_of(rotated);
  auto new_lines = lines_of(log);
  CHECK(!new_lines.empty());
  auto all = old_lines;
  all.insert(all.end(), new_lines.begin(), new_lines.end());
  REQUIRE(all.size() == ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i)
    CHECK(all[i].at("requestId").as_string() == ids[i]);
  CHECK(all[0].at("method") == "GET");
  CHECK(all[0].at("target") == "/echo?greeting=a%20b");
  CHECK(all[0].at("status") == 200);
  CHECK(all[0].at("requestId") == "r1");
  CHECK(all[0].at("remote").as_string().starts_with("127.0.0.1:"));
  CHECK(all[0].at("bytes").as_int64() > 0);
  CHECK(all[0].at("latencyUs").as_int64() >= 0);
  CHECK(all[0].at("time").as_string().ends_with("Z"));
  CHECK_FALSE(all[0].contains("idempotencyKey"));
  CHECK(all[1].at("method") == "POST");
  CHECK(all[1].at("status") == 201);
  CHECK(all[1].at("idempotencyKey") == "key-1");
  CHECK(all[2].at("status") == 404);
}

TEST_CASE("--access-log: an unwritable file is one line and exit 2") {
  std::string err;
  CHECK(failed_start({"--port", "0", "--in-memory", "--access-log", "/nonexistent/dir/access.log"},
                     err) == 2);
  CHECK(err.find("cannot open the access log") != std::string::npos);
}
