#pragma once

// A blocking HTTP client on one kept-alive connection, for what a scenario
// does before the clock starts (creating its fridges and accounts) and after
// it stops (reading the final state).

#include "load/operation.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <functional>
#include <string>

namespace fridgebank::load {

struct endpoint {
  std::string host;
  std::string port;
};

class sync_client {
public:
  using observer =
      std::function<void(const request&, const reply&, std::chrono::steady_clock::time_point call,
                         std::chrono::steady_clock::time_point returned)>;

  /// Throws std::runtime_error when it cannot connect.
  sync_client(endpoint server, std::chrono::milliseconds timeout, observer observe = {});

  /// One exchange. A failed connection is reported in the reply (status 0)
  /// and reopened by the next call.
  reply send(const request& req);

  /// `send`, throwing std::runtime_error unless the reply is a 2xx: for the
  /// set-up steps a run cannot do without.
  reply must(const request& req);

private:
  void connect();
  reply exchange(const request& req);

  endpoint server_;
  std::chrono::milliseconds timeout_;
  observer observe_;
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  bool connected_ = false;
};

} // namespace fridgebank::load
