#pragma once

// A small blocking HTTP client on Beast for the suites: one connection, kept
// alive across requests.

#include "reply_log.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <poll.h>
#include <stdexcept>
#include <string>

namespace fridgebank::test {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct reply {
  unsigned status = 0;
  std::string body;
  http::response<http::string_body> raw;
  boost::json::value json() const { return boost::json::parse(body); }
  std::string error() const { return std::string{json().at("error").as_string()}; }
};

class http_client {
public:
  explicit http_client(unsigned short port) : socket_(ioc_) {
    socket_.connect(tcp::endpoint{boost::asio::ip::make_address("127.0.0.1"), port});
  }

  reply send(http::verb method, const std::string& target, const std::string& body = {},
             std::initializer_list<std::pair<http::field, std::string>> headers = {}) {
    return exchange(method, target, body, headers);
  }

  /// Like `send`, with headers Beast has no enum for.
  reply send_named(http::verb method, const std::string& target, const std::string& body,
                   std::initializer_list<std::pair<std::string, std::string>> headers) {
    return exchange(method, target, body, headers);
  }

  reply get(const std::string& target) { return send(http::verb::get, target); }
  reply post(const std::string& target, const std::string& body = {}) {
    return send(http::verb::post, target, body);
  }

  /// Writes raw bytes (for malformed requests and pipelining).
  void write_raw(const std::string& bytes) {
    boost::asio::write(socket_, boost::asio::buffer(bytes));
  }

  /// The next reply (after write_raw).
  reply read() {
    auto r = read_reply();
    record("RAW", "", r);
    return r;
  }

  /// True when the server has closed the connection (reads EOF).
  bool closed_by_peer() {
    boost::beast::error_code ec;
    char c;
    socket_.read_some(boost::asio::buffer(&c, 1), ec);
    return ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset;
  }

  tcp::socket& socket() { return socket_; }

private:
  /// Writes one request (JSON body, the given headers) and reads the reply.
  template <class Name>
  reply exchange(http::verb method, const std::string& target, const std::string& body,
                 std::initializer_list<std::pair<Name, std::string>> headers) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "localhost");
    if (!body.empty() || method == http::verb::post)
      req.set(http::field::content_type, "application/json");
    for (auto& [name, value] : headers)
      req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(socket_, req);
    auto r = read_reply();
    record(req.method_string(), req.target(), r);
    return r;
  }

  static void record(std::string_view method, std::string_view target, const reply& r) {
    boost::json::object headers;
    for (auto& field : r.raw)
      headers[std::string{field.name_string()}] = std::string{field.value()};
    log_reply(method, target, r.status, std::move(headers), r.body);
  }

  reply read_reply() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    http::read(socket_, buffer_, parser);
    reply r;
    r.raw = parser.release();
    r.status = r.raw.result_int();
    r.body = r.raw.body();
    return r;
  }

  boost::asio::io_context ioc_;
  tcp::socket socket_;
  boost::beast::flat_buffer buffer_;
};

/// A POST carrying `Idempotency-Key: key`.
inline reply keyed_post(http_client& c, const std::string& target, const std::string& body,
                        const std::string& key) {
  return c.send_named(http::verb::post, target, body, {{"Idempotency-Key", key}});
}

/// Polls /healthz until it answers `status` (a node going down or coming
/// back is another process's doing: there is nothing to wait on but it).
inline bool health_becomes(unsigned short port, unsigned status, std::chrono::seconds within) {
  auto deadline = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      http_client c{port};
      if (c.get("/healthz").status == status)
        return true;
    } catch (const std::exception&) {
    }
    ::poll(nullptr, 0, 50);
  }
  return false;
}

/// The body of POST /transfers.
inline std::string transfer_body(const std::string& from, const std::string& to,
                                 std::int64_t amount) {
  return R"({"from":")" + from + R"(","to":")" + to + R"(","amount":)" + std::to_string(amount) +
         "}";
}

/// The balance of account `id` (which must exist).
inline std::int64_t balance_of(http_client& c, const std::string& id) {
  auto r = c.get("/accounts/" + id);
  if (r.status != 200)
    throw std::runtime_error("GET /accounts/" + id + ": " + std::to_string(r.status));
  return r.json().at("balance").as_int64();
}

/// The drinks left in fridge `name` (which must exist).
inline std::int64_t drinks_of(http_client& c, const std::string& name) {
  auto r = c.get("/fridges/" + name);
  if (r.status != 200)
    throw std::runtime_error("GET /fridges/" + name + ": " + std::to_string(r.status));
  return r.json().at("drinksLeftInFridge").as_int64();
}

} // namespace fridgebank::test
