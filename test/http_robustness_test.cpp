// Malformed input, connection handling and concurrency, over real sockets.

#include "http_client.hpp"
#include "server_process.hpp"

#include <atomic>
#include <doctest/doctest.h>
#include <random>
#include <thread>
#include <vector>

using namespace fridgebank::test;
namespace json = boost::json;

namespace {

std::string raw_post(const std::string& target, const std::string& body,
                     const std::string& extra_headers = "Content-Type: application/json\r\n") {
  return "POST " + target + " HTTP/1.1\r\nHost: x\r\n" + extra_headers +
         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
}

struct malformed {
  std::string name;
  std::string bytes;
  unsigned status;
  std::string error;
};

} // namespace

TEST_CASE("every malformed request gets its error and the server keeps serving") {
  server_process server;
  {
    http_client setup{server.port()};
    setup.post("/fridges", R"({"name":"k","drinks":5})");
  }
  const std::vector<malformed> table{
      {"garbage request line", "HELLO\r\n\r\n", 400, "bad_request"},
      {"bad version", "GET / HTTP/9\r\n\r\n", 400, "bad_request"},
      {"bad header line", "GET / HTTP/1.1\r\nNo colon here\r\n\r\n", 400, "bad_request"},
      {"bad JSON", raw_post("/fridges/k/drink", "{drinksRequested:1}"), 400, "bad_request"},
      {"non-object JSON", raw_post("/fridges/k/drink", "[1,2]"), 400, "bad_request"},
      {"string count", raw_post("/fridges/k/drink", R"({"drinksRequested":"1"})"), 400,
       "bad_request"},
      {"fraction", raw_post("/fridges/k/drink", R"({"drinksRequested":0.5})"), 400, "bad_request"},
      {"boolean", raw_post("/fridges/k/drink", R"({"drinksRequested":true})"), 400, "bad_request"},
      {"null", raw_post("/fridges/k/drink", R"({"drinksRequested":null})"), 400, "bad_request"},
      {"out of range", raw_post("/fridges/k/drink", R"({"drinksRequested":9007199254740992})"), 400,
       "bad_request"},
      {"missing field", raw_post("/fridges/k/drink", R"({"drinks":1})"), 400, "bad_request"},
      {"bad name in body", raw_post("/fridges", R"({"name":"no/slash"})"), 400, "bad_request"},
      {"name too long", raw_post("/fridges", R"({"name":")" + std::string(65, 'a') + "\"}"), 400,
       "bad_request"},
      {"bad name in path", raw_post("/fridges/%2e%2e%2fx/drink", R"({"drinksRequested":1})"), 400,
       "bad_request"},
      {"wrong media type",
       raw_post("/fridges/k/drink", "drinksRequested=1",
                "Content-Type: application/x-www-form-urlencoded\r\n"),
       415, "unsupported_media_type"},
      {"body too large", raw_post("/fridges", std::string(64 * 1024 + 1, ' ')), 413,
       "payload_too_large"},
      {"head too large", "GET / HTTP/1.1\r\nX-Big: " + std::string(9000, 'a') + "\r\n\r\n", 431,
       "header_too_large"},
      {"smuggling",
       "POST /fridges HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400, "bad_request"},
  };
  for (const auto& row : table) {
    INFO(row.name);
    http_client bad{server.port()};
    bad.write_raw(row.bytes);
    auto r = bad.read();
    CHECK(r.status == row.status);
    CHECK(r.raw[http::field::content_type] == "application/json");
    CHECK(r.error() == row.error);
    CHECK(r.json().at("message").is_string());
    // Nothing changed, and everyone else is still served.
    http_client good{server.port()};
    CHECK(good.get("/fridges/k").json().at("drinksLeftInFridge") == 5);
  }
}

TEST_CASE("pipelined requests are answered in order on one connection") {
  server_process server;
  http_client c{server.port()};
  c.post("/fridges", R"({"name":"p","drinks":100})");
  std::string batch;
  for (int i = 1; i <= 20; ++i)
    batch += raw_post("/fridges/p/drink", R"({"drinksRequested":1})");
  batch += "GET /echo?greeting=last HTTP/1.1\r\nHost: x\r\n\r\n";
  c.write_raw(batch);
  for (int i = 1; i <= 20; ++i) {
    auto r = c.read();
    REQUIRE(r.status == 200);
    CHECK(r.json().at("drinksLeftInFridge") == 100 - i);
  }
  CHECK(c.read().body == "last to you too!");
}

TEST_CASE("keep-alive serves many requests on one connection; HTTP/1.0 is answered as 1.0") {
  server_process server;
  http_client c{server.port()};
  for (int i = 0; i < 200; ++i)
    REQUIRE(c.get("/healthz").status == 200);
  http_client old{server.port()};
  old.write_raw("GET /echo?greeting=hi HTTP/1.0\r\n\r\n");
  auto r = old.read();
  CHECK(r.raw.version() == 10);
  CHECK(r.body == "hi to you too!");
  CHECK(old.closed_by_peer()); // 1.0 without keep-alive: the server closes
  http_client kept{server.port()};
  kept.write_raw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(kept.read().raw.keep_alive());
  kept.write_raw("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  CHECK(kept.read().status == 200);
}

TEST_CASE("a slowloris client is dropped and holds nobody up") {
  server_process server{{"--in-memory", "--read-timeout", "300"}};
  http_client slow{server.port()};
  slow.write_raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ");
  // While it dawdles, others are served.
  http_client other{server.port()};
  CHECK(other.get("/healthz").status == 200);
  // It never finishes its head; the server closes on it (the read blocks
  // until the server's own read timeout fires).
  CHECK(slow.closed_by_peer());
}

TEST_CASE("a refused upload is closed after the 2 s linger, not after the read timeout") {
  server_process server{{"--in-memory", "--read-timeout", "30000"}};
  http_client uploader{server.port()};
  // More than the 64 KiB limit announced and partly sent.
  uploader.write_raw("POST /fridges HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                     "Content-Length: 100000\r\n\r\n" +
                     std::string(70 * 1024, ' '));
  CHECK(uploader.read().status == 413);
  CHECK(uploader.closed_by_peer()); // the server's half-close, at once
  // While it lingers the server reads and discards what the client still
  // sends; once it has closed, the client's writes fail (reset). The client
  // writes without pause: its writes block while the server's buffers are
  // full, so the server's reading paces it, and the failed write is the
  // event the test waits for.
  auto start = std::chrono::steady_clock::now();
  const std::string chunk(64 * 1024, 'x');
  boost::system::error_code ec;
  while (!ec && std::chrono::steady_clock::now() - start < std::chrono::seconds{20})
    boost::asio::write(uploader.socket(), boost::asio::buffer(chunk), ec);
  CHECK(ec); // the server closed
  // 2 s of linger, far less than the 30 s read timeout that the reply's
  // write had set.
  CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds{10});
}

TEST_CASE("the read timeout counts from each request, not from the connection's start") {
  server_process server{{"--in-memory", "--read-timeout", "1000"}};
  http_client patient{server.port()};
  REQUIRE(patient.get("/healthz").status == 200);
  // A witness that connects later and sends nothing is dropped by the same
  // timeout; once it is, the patient's connection is older than a timeout.
  // The patient keeps asking until then: the witness's close is the clock.
  http_client witness{server.port()};
  std::atomic<bool> witness_dropped{false};
  std::thread watch{[&] { witness_dropped = witness.closed_by_peer(); }};
  auto status_of_next = [&patient]() -> unsigned {
    try {
      return patient.get("/healthz").status;
    } catch (const boost::system::system_error&) {
      return 0; // the server closed the patient's connection
    }
  };
  unsigned failed = 0;
  while (!witness_dropped && failed == 0)
    failed = status_of_next() == 200 ? 0 : 1;
  watch.join();
  CHECK(failed == 0);
  CHECK(status_of_next() == 200);
}

TEST_CASE("200 idle connections while requests still succeed") {
  server_process server;
  std::vector<std::unique_ptr<http_client>> idle;
  for (int i = 0; i < 200; ++i)
    idle.push_back(std::make_unique<http_client>(server.port()));
  http_client busy{server.port()};
  for (int i = 0; i < 50; ++i)
    REQUIRE(busy.get("/echo?greeting=hi").status == 200);
  CHECK(busy.get("/metrics").body.find("fridgebank_open_connections 201") != std::string::npos);
  // The idle ones still work too.
  CHECK(idle.front()->get("/healthz").status == 200);
  CHECK(idle.back()->get("/healthz").status == 200);
}

namespace {

/// The server's I/O thread count: one, or several (a connection then lives on
/// one of several io_contexts, and replies come back to the right one).
std::string io_threads_subcase() {
  std::string threads = "1";
  SUBCASE("one I/O thread") {
    threads = "1";
  }
  SUBCASE("three I/O threads") {
    threads = "3";
  }
  return threads;
}

} // namespace

TEST_CASE("polite drinkers over HTTP with leaveAtLeast leave exactly what they must") {
  server_process server{{"--in-memory", "--io-threads", io_threads_subcase()}};
  http_client setup{server.port()};
  setup.post("/fridges", R"({"name":"party","drinks":200})");
  std::atomic<long> taken{0};
  std::vector<std::thread> drinkers;
  for (int d = 0; d < 12; ++d)
    drinkers.emplace_back([&, port = server.port()] {
      http_client c{port};
      for (;;) {
        auto r = c.post("/fridges/party/drink", R"({"drinksRequested":2,"leaveAtLeast":7})");
        auto t = r.json().at("drinksTakenOrAdded").as_int64();
        if (t == 0)
          return;
        taken += t;
      }
    });
  for (auto& t : drinkers)
    t.join();
  CHECK(taken == 193);
  CHECK(setup.get("/fridges/party").json().at("drinksLeftInFridge") == 7);
}

TEST_CASE("concurrent transfers never change the total any snapshot sees") {
  server_process server;
  http_client setup{server.port()};
  const std::vector<std::string> ids{"a", "b", "c", "d"};
  for (auto& id : ids) {
    setup.post("/accounts", R"({"id":")" + id + "\"}");
    setup.post("/accounts/" + id + "/deposit", R"({"amount":1000})");
  }
  std::atomic<bool> done{false};
  std::atomic<int> bad_totals{0}, snapshots{0}, transfers_ok{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w)
    threads.emplace_back([&, w, port = server.port()] {
      http_client c{port};
      std::mt19937 rng(static_cast<unsigned>(w));
      for (int i = 0; i < 300; ++i) {
        auto from = ids[rng() % 4], to = ids[rng() % 4];
        if (from == to)
          continue;
        auto r = c.post("/transfers", transfer_body(from, to, rng() % 300 + 1));
        if (r.status == 200)
          ++transfers_ok;
        else if (r.error() != "insufficient_funds")
          ++bad_totals;
      }
    });
  for (int r = 0; r < 2; ++r)
    threads.emplace_back([&, port = server.port()] {
      http_client c{port};
      while (!done) {
        auto snap = c.get("/accounts").json();
        long sum = 0;
        for (auto& a : snap.at("accounts").as_array()) {
          auto balance = a.at("balance").as_int64();
          if (balance < 0)
            ++bad_totals;
          sum += balance;
        }
        if (snap.at("total").as_int64() != 4000 || sum != 4000)
          ++bad_totals;
        ++snapshots;
      }
    });
  for (int w = 0; w < 4; ++w)
    threads[static_cast<std::size_t>(w)].join();
  done = true;
  for (std::size_t r = 4; r < threads.size(); ++r)
    threads[r].join();
  CHECK(bad_totals == 0);
  CHECK(transfers_ok > 100);
  CHECK(snapshots > 0);
}

TEST_CASE("SIGTERM during load: every reply is complete and the server exits 0") {
  server_process server{{"--in-memory", "--io-threads", io_threads_subcase()}};
  http_client setup{server.port()};
  setup.post("/fridges", R"({"name":"load","drinks":1000000})");
  std::atomic<int> complete{0}, broken{0};
  std::atomic<bool> started{false};
  std::vector<std::thread> clients;
  for (int i = 0; i < 8; ++i)
    clients.emplace_back([&, port = server.port()] {
      try {
        http_client c{port};
        for (;;) {
          auto r = c.post("/fridges/load/drink", R"({"drinksRequested":1})");
          started = true;
          // A reply either arrives whole, with a valid body, or not at all.
          if (r.status == 200 && r.json().at("drinksTakenOrAdded") == 1) {
            ++complete;
          } else {
            ++broken;
            MESSAGE("not a whole drink reply: " << r.status << " " << r.body);
          }
          if (!r.raw.keep_alive())
            return; // the server said this was the last one
        }
      } catch (const boost::system::system_error&) {
        // The connection closed between replies: allowed, nothing was cut.
      }
    });
  while (!started)
    std::this_thread::yield();
  CHECK(server.stop(SIGTERM) == 0);
  for (auto& t : clients)
    t.join();
  CHECK(broken == 0);
  CHECK(complete > 0);
}

TEST_CASE(
    "no request smuggling through Transfer-Encoding: 400, closed, the hidden request not run") {
  server_process server;
  struct variant {
    const char* version;
    const char* headers;
  };
  const variant variants[] = {
      {"1.1", "Transfer-Encoding: gzip\r\n"},
      {"1.1", "Transfer-Encoding: identity\r\n"},
      {"1.1", "Transfer-Encoding: xchunked\r\n"},
      {"1.1", "Transfer-Encoding: chunked, chunked\r\n"},
      {"1.1", "Transfer-Encoding: gzip, chunked\r\n"},
      {"1.1", "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n"},
      {"1.0", "Transfer-Encoding: chunked\r\n"},
  };
  int n = 0;
  for (const auto& v : variants) {
    CAPTURE(v.headers);
    CAPTURE(v.version);
    auto hidden = "evil" + std::to_string(n++);
    auto smuggled = "POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    "Content-Length: " +
                    std::to_string(9 + hidden.size()) + "\r\n\r\n{\"id\":\"" + hidden + "\"}";
    http_client c{server.port()};
    c.write_raw(std::string{"POST /fridges HTTP/"} + v.version + "\r\nHost: x\r\n" + v.headers +
                "Content-Type: application/json\r\n\r\n" + smuggled);
    auto r = c.read();
    CHECK(r.status == 400);
    CHECK(c.closed_by_peer());
    http_client check{server.port()};
    CHECK(check.get("/accounts/" + hidden).status == 404); // never executed
  }
  // A single, final chunked is fine.
  http_client c{server.port()};
  c.write_raw("POST /accounts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
              "Content-Type: application/json\r\n\r\nb\r\n{\"id\":\"ok\"}\r\n0\r\n\r\n");
  CHECK(c.read().status == 201);
}
