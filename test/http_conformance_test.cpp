// HTTP conformance over real sockets (API.md "Conventions", RFC 9110/9112):
// HEAD on every GET route, Expect: 100-continue, Host, absolute-form.

#include "http_client.hpp"
#include "server_process.hpp"
#include "temp_dir.hpp"

#include <doctest/doctest.h>
#include <string>
#include <sys/socket.h>
#include <vector>

using namespace fridgebank::test;

namespace {

/// Sends `bytes`, half-closes, and returns everything the server answers
/// until it closes.
std::string exchange_raw(unsigned short port, const std::string& bytes) {
  http_client c{port};
  c.write_raw(bytes);
  c.socket().shutdown(tcp::socket::shutdown_send);
  std::string out;
  boost::system::error_code ec;
  char buf[4096];
  while (!ec) {
    auto n = c.socket().read_some(boost::asio::buffer(buf), ec);
    out.append(buf, n);
  }
  return out;
}

/// Reads from `c` until `out` holds a blank line (one head), appending.
void read_head(http_client& c, std::string& out) {
  char buf[1];
  while (out.find("\r\n\r\n") == std::string::npos) {
    boost::asio::read(c.socket(), boost::asio::buffer(buf));
    out += buf[0];
  }
}

std::string head_of(const std::string& reply) {
  return reply.substr(0, reply.find("\r\n\r\n") + 4);
}

/// With the same X-Request-Id each time: it is echoed, so two heads compare.
std::string get(const std::string& target, const std::string& method = "GET") {
  return method + " " + target + " HTTP/1.1\r\nHost: x\r\nX-Request-Id: same\r\n\r\n";
}

} // namespace

TEST_CASE("HEAD on every GET route: the same head, no body") {
  server_process server;
  {
    http_client setup{server.port()};
    REQUIRE(setup.post("/fridges", R"({"name":"k","drinks":5})").status == 201);
    REQUIRE(setup.post("/accounts", R"({"id":"a"})").status == 201);
  }
  for (std::string target : {"/", "/echo?greeting=hi", "/healthz", "/fridges", "/fridges/k",
                             "/accounts", "/accounts/a", "/fridges/nowhere", "/echo"}) {
    INFO(target);
    auto got = exchange_raw(server.port(), get(target));
    auto head = exchange_raw(server.port(), get(target, "HEAD"));
    CHECK(head == head_of(got)); // no body, and the same Content-Length
    CHECK(head.find("Content-Length: 0\r\n") == std::string::npos);
  }
  // /metrics changes between two requests; its head is still a 200 with no body.
  auto metrics = exchange_raw(server.port(), get("/metrics", "HEAD"));
  CHECK(metrics.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(metrics.ends_with("\r\n\r\n"));
  // Pipelined after a HEAD, the next reply is read where it belongs.
  auto both = exchange_raw(server.port(), get("/healthz", "HEAD") + get("/echo?greeting=yo"));
  CHECK(both.ends_with("\r\n\r\nyo to you too!"));
  CHECK(both.find("{\"status\"") == std::string::npos);
  // A route without GET: 405, and Allow says where HEAD would work.
  auto post_only = exchange_raw(server.port(), get("/transfers", "HEAD"));
  CHECK(post_only.starts_with("HTTP/1.1 405 "));
  CHECK(exchange_raw(server.port(), get("/echo", "POST")).find("Allow: GET, HEAD\r\n") !=
        std::string::npos);
}

TEST_CASE("Expect: 100-continue: 100 before the body, or the final error at once") {
  server_process server;
  auto expecting = [](const std::string& target, const std::string& type, std::size_t length) {
    return "POST " + target +
           " HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Type: " + type +
           "\r\nContent-Length: " + std::to_string(length) + "\r\n\r\n";
  };
  std::string body = R"({"id":"patient"})";
  http_client c{server.port()};
  c.write_raw(expecting("/accounts", "application/json", body.size()));
  std::string interim;
  read_head(c, interim); // the client sends nothing more until it has this
  CHECK(interim == "HTTP/1.1 100 Continue\r\n\r\n");
  c.write_raw(body);
  auto created = c.read();
  CHECK(created.status == 201);
  CHECK(created.body == R"({"id":"patient","balance":0})");
  CHECK(c.get("/accounts/patient").status == 200); // and the connection goes on

  // The head alone already fails: the final answer comes at once, no 100.
  struct row {
    std::string head;
    std::string status_line;
  };
  std::vector<row> refusals{
      {expecting("/accounts", "application/json", 70000), "HTTP/1.1 413 "},
      {expecting("/accounts", "text/plain", 10), "HTTP/1.1 415 "},
      {"POST /accounts HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n",
       "HTTP/1.1 400 "},
  };
  for (const auto& r : refusals) {
    INFO(r.head);
    http_client refused{server.port()};
    refused.write_raw(r.head);
    std::string reply;
    read_head(refused, reply);
    CHECK(reply.starts_with(r.status_line));
  }
  // No body at all: no 100 either, just the answer.
  http_client empty{server.port()};
  empty.write_raw("POST /bank/stop HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
                  "Content-Length: 0\r\n\r\n");
  CHECK(empty.read().status == 401);
}

TEST_CASE("Host is required in HTTP/1.1, once; absolute-form targets are served") {
  server_process server;
  auto no_host = exchange_raw(server.port(), "GET /healthz HTTP/1.1\r\n\r\n");
  CHECK(no_host.starts_with("HTTP/1.1 400 "));
  CHECK(no_host.find("\"bad_request\"") != std::string::npos);
  auto two_hosts =
      exchange_raw(server.port(), "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n");
  CHECK(two_hosts.starts_with("HTTP/1.1 400 "));
  auto old = exchange_raw(server.port(), "GET /healthz HTTP/1.0\r\n\r\n");
  CHECK(old.starts_with("HTTP/1.0 200 "));

  auto absolute =
      exchange_raw(server.port(), get("http://fridgebank.example:8080/echo?greeting=hey"));
  CHECK(absolute.starts_with("HTTP/1.1 200 "));
  CHECK(absolute.ends_with("hey to you too!"));
  CHECK(exchange_raw(server.port(), get("http://h")).starts_with("HTTP/1.1 200 ")); // the home page
  CHECK(exchange_raw(server.port(), get("ftp://h/echo?greeting=x")).starts_with("HTTP/1.1 400 "));
  CHECK(exchange_raw(server.port(), get("*")).starts_with("HTTP/1.1 400 "));

  // A keyed POST in absolute-form is the same request as in origin-form.
  http_client c{server.port()};
  REQUIRE(c.post("/accounts", R"({"id":"k"})").status == 201);
  auto keyed = [&](const std::string& target) {
    std::string body = R"({"amount":5})";
    return "POST " + target +
           " HTTP/1.1\r\nHost: x\r\nIdempotency-Key: abs-1\r\n"
           "Content-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  auto first = exchange_raw(server.port(), keyed("http://x/accounts/k/deposit"));
  auto again = exchange_raw(server.port(), keyed("/accounts/k/deposit"));
  CHECK(first.starts_with("HTTP/1.1 200 "));
  CHECK(again.starts_with("HTTP/1.1 200 "));
  CHECK(again.find("Idempotent-Replayed: true") != std::string::npos);
  CHECK(c.get("/accounts/k").json().at("balance") == 5);
}

// The cases below were found by a review of the head-first reading.

TEST_CASE("no 100 for HTTP/1.0; a refused HEAD has no body; Host must be host[:port]") {
  server_process server;
  // HTTP/1.0 knows no 1xx: its head alone, then end of input, gets nothing.
  auto old =
      exchange_raw(server.port(), "POST /accounts HTTP/1.0\r\nExpect: 100-continue\r\n"
                                  "Content-Type: application/json\r\nContent-Length: 9\r\n\r\n");
  CHECK(old.find("100 Continue") == std::string::npos);
  auto refused_head = exchange_raw(server.port(), "HEAD /healthz HTTP/1.1\r\n\r\n");
  CHECK(refused_head.starts_with("HTTP/1.1 400 "));
  CHECK(refused_head.ends_with("\r\n\r\n")); // Content-Length of the 400, no body
  for (std::string host : {"a b", "a/b?c", "[::1", "a, b", "u@h", "h:x"}) {
    INFO(host);
    CHECK(exchange_raw(server.port(), "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
              .starts_with("HTTP/1.1 400 "));
  }
  for (std::string host : {"", "localhost", "h:8080", "[::1]:80", "127.0.0.1"}) {
    INFO(host);
    CHECK(exchange_raw(server.port(), "GET /healthz HTTP/1.1\r\nHost: " + host + "\r\n\r\n")
              .starts_with("HTTP/1.1 200 "));
  }
  CHECK(exchange_raw(server.port(), "GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n")
            .starts_with("HTTP/1.0 400 "));
  for (std::string target : {"http:/healthz", "http:///healthz", "http://user:pw@h/healthz"}) {
    INFO(target);
    CHECK(exchange_raw(server.port(), get(target)).starts_with("HTTP/1.1 400 "));
  }
}

TEST_CASE("a keyed retry is the same request however its path is escaped") {
  server_process server;
  http_client c{server.port()};
  REQUIRE(c.post("/accounts", R"({"id":"ik1"})").status == 201);
  auto keyed = [](const std::string& target) {
    std::string body = R"({"amount":3})";
    return "POST " + target +
           " HTTP/1.1\r\nHost: x\r\nIdempotency-Key: esc-1\r\n"
           "Content-Type: application/json\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  };
  CHECK(exchange_raw(server.port(), keyed("/accounts/ik1/deposit")).starts_with("HTTP/1.1 200 "));
  auto again = exchange_raw(server.port(), keyed("/accounts/%69k1/deposit"));
  CHECK(again.find("Idempotent-Replayed: true") != std::string::npos);
  CHECK(c.get("/accounts/ik1").json().at("balance") == 3);
}

TEST_CASE("100 Continue comes once the earlier pipelined replies are out") {
  temp_dir data;
  // A slow disk: the first request's reply is still pending when the
  // second request's head arrives.
  server_process server{{"--data-dir", data.str(), "--commit-delay", "300"}};
  http_client c{server.port()};
  timeval limit{10, 0};
  ::setsockopt(c.socket().native_handle(), SOL_SOCKET, SO_RCVTIMEO, &limit, sizeof limit);
  std::string body = R"({"id":"second"})";
  c.write_raw("POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: 14\r\n\r\n{\"id\":\"first\"}"
              "POST /accounts HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
              "Content-Type: application/json\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n");
  // Read raw: a response parser could take the 100 into its buffer with
  // the 201 before it (both may come in one read).
  std::string first;
  read_head(c, first);
  CHECK(first.starts_with("HTTP/1.1 201 "));
  std::string first_body = R"({"id":"first","balance":0})";
  CHECK(first.find("Content-Length: " + std::to_string(first_body.size())) != std::string::npos);
  boost::asio::read(c.socket(), boost::asio::buffer(first_body)); // overwritten with what came
  CHECK(first_body == R"({"id":"first","balance":0})");
  std::string interim;
  read_head(c, interim);
  CHECK(interim == "HTTP/1.1 100 Continue\r\n\r\n");
  c.write_raw(body);
  auto second = c.read();
  CHECK(second.status == 201);
  CHECK(second.body == R"({"id":"second","balance":0})");
}

TEST_CASE("--read-timeout bounds the whole request, head and body together") {
  server_process server{{"--in-memory", "--read-timeout", "1000"}};
  http_client c{server.port()};
  c.write_raw("POST /accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              "Content-Length: 12\r\n\r\n{\"id\"");
  // A slow client, sending its body in two parts 0.7 s apart: 1.4 s in all.
  ::poll(nullptr, 0, 700);
  c.write_raw(":\"sl");
  ::poll(nullptr, 0, 700);
  boost::system::error_code ec;
  boost::asio::write(c.socket(), boost::asio::buffer(std::string{"ow\"}"}), ec);
  CHECK(c.closed_by_peer());
  http_client check{server.port()};
  CHECK(check.get("/accounts/slow").status == 404);
}

TEST_CASE("SIGTERM while a client sends its body after 100: 503 shutting_down, not silence") {
  server_process server;
  http_client c{server.port()};
  c.write_raw("POST /accounts HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\n"
              "Content-Type: application/json\r\nContent-Length: 12\r\n\r\n");
  std::string interim;
  read_head(c, interim);
  REQUIRE(interim == "HTTP/1.1 100 Continue\r\n\r\n");
  ::kill(server.pid(), SIGTERM);
  auto last = c.read();
  CHECK(last.status == 503);
  CHECK(last.error() == "shutting_down");
  CHECK(last.raw[http::field::connection] == "close");
  CHECK(server.stop(0) == 0);
}
