#include "load/sync_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace fridgebank::load {

namespace http = boost::beast::http;

sync_client::sync_client(endpoint server, std::chrono::milliseconds timeout, observer observe)
    : server_(std::move(server)), timeout_(timeout), observe_(std::move(observe)), stream_(ioc_) {
  connect();
}

void sync_client::connect() {
  boost::asio::ip::tcp::resolver resolver{ioc_};
  stream_.expires_after(timeout_);
  stream_.connect(resolver.resolve(server_.host, server_.port));
  stream_.socket().set_option(boost::asio::ip::tcp::no_delay{true});
  buffer_.clear();
  connected_ = true;
}

reply sync_client::send(const request& req) {
  auto call = std::chrono::steady_clock::now();
  bool reused = connected_;
  auto rep = exchange(req);
  // A kept-alive connection that idled through a long run may have been
  // closed by the server's read timeout; a GET is safe to send again.
  if (!rep.answered() && reused && req.method == http::verb::get)
    rep = exchange(req);
  if (observe_)
    observe_(req, rep, call, std::chrono::steady_clock::now());
  return rep;
}

reply sync_client::exchange(const request& req) {
  reply rep;
  try {
    if (!connected_)
      connect();
    http::request<http::string_body> message{req.method, req.target, 11};
    message.set(http::field::host, server_.host);
    if (!req.body.empty())
      message.set(http::field::content_type, "application/json");
    if (!req.idempotency_key.empty())
      message.set("Idempotency-Key", req.idempotency_key);
    message.body() = req.body;
    message.prepare_payload();
    stream_.expires_after(timeout_);
    http::write(stream_, message);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024 * 1024); // GET /fridges of a long-lived server is large
    http::read(stream_, buffer_, parser);
    rep.status = parser.get().result_int();
    rep.body = std::move(parser.get().body());
    if (!parser.get().keep_alive()) {
      connected_ = false;
      stream_.close();
    }
  } catch (const std::exception& e) {
    rep = reply{0, {}, e.what()};
    connected_ = false;
    stream_.close();
  }
  return rep;
}

reply sync_client::must(const request& req) {
  auto rep = send(req);
  if (!rep.success())
    throw std::runtime_error(std::string{http::to_string(req.method)} + " " + req.target +
                             (rep.answered()
                                  ? " answered " + std::to_string(rep.status) + " " + rep.body
                                  : " failed: " + rep.failure));
  return rep;
}

} // namespace fridgebank::load
