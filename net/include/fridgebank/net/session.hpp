#pragma once

#include "fridgebank/net/http.hpp"

#include <array>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>

namespace fridgebank::net {

struct server_context;

/// One connection. Every member runs on the connection's strand.
class session : public std::enable_shared_from_this<session> {
public:
  session(tcp::socket&& socket, std::shared_ptr<server_context> ctx, std::uint64_t id,
          bool over_capacity);
  ~session();

  void start();

  /// Graceful close: answer what was received, then close. Any thread.
  void drain();

private:
  using clock = std::chrono::steady_clock;

  /// A reply in request order; `wire` is empty until the route answers.
  struct slot {
    std::optional<std::string> wire; // the reply's bytes (wire.hpp)
    unsigned version = 11;
    bool keep_alive = true;
    std::size_t route = 0;
    clock::time_point received;
  };

  void read_next();
  void on_read(boost::beast::error_code ec);
  void handle(request req, bool keep_alive, bool has_content_length);
  /// Queues a reply the session made itself (no route ran) and stops reading.
  void refuse(response reply, unsigned version);
  void deliver(std::uint64_t slot_id, response reply);
  void write_next();
  void on_write(std::size_t replies, bool keep_alive, boost::beast::error_code ec);
  /// Half-closes, then discards what the client still sends for a moment, so
  /// its kernel does not answer our close with a reset that destroys the
  /// reply it has not read yet (a client still sending a refused body).
  void linger();
  void discard_input();
  void close();

  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<server_context> ctx_;
  std::uint64_t id_;
  bool over_capacity_;

  std::deque<slot> slots_;
  std::uint64_t first_slot_id_ = 0; // id of slots_.front()
  bool reading_ = false;
  bool writing_ = false;
  bool read_done_ = false; // peer finished, an error, or draining: read no more
  bool closed_ = false;
  std::array<char, 4096> discard_{};
  std::vector<boost::asio::const_buffer> out_; // the replies being written
};

} // namespace fridgebank::net
