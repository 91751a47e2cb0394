#pragma once

#include "fridgebank/net/handler_memory.hpp"
#include "fridgebank/net/http.hpp"

#include <array>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace fridgebank::net {

struct server_context;

/// One connection. Its I/O context is run by one thread, so every member runs
/// on that thread, one at a time, without a strand.
class session : public std::enable_shared_from_this<session> {
public:
  /// Typed on the io_context's executor, not on any_io_executor: every
  /// asynchronous operation copies its executor, and the type-erased one
  /// cost a drink ~1,500 instructions (callgrind).
  using executor_type = boost::asio::io_context::executor_type;
  using socket_type = boost::asio::basic_stream_socket<tcp, executor_type>;

  session(socket_type&& socket, std::shared_ptr<server_context> ctx, std::uint64_t id,
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
    bool head = false; // a HEAD: the reply's head only
    std::size_t route = 0;
    clock::time_point received;
    /// The route answered `text/event-stream`: once every earlier reply is
    /// out, the connection becomes an event stream (event_stream.hpp),
    /// resuming after this Last-Event-ID when given.
    bool stream = false;
    std::optional<std::string> last_event_id;
    /// X-Request-Id: the client's when it is 1-128 visible characters,
    /// else one made here; echoed on the reply.
    std::string request_id = {};
    /// The request carries an Idempotency-Key: its error body is not given
    /// the request id, as a replay must be the first reply, byte for byte.
    bool keyed = false;
    /// For the access log (only with --access-log).
    std::string method = {}, target = {}, idempotency_key = {};
  };

  void read_next();
  /// The request's head is read: a body may follow (`Expect: 100-continue`).
  void on_head(boost::beast::error_code ec);
  /// Reads the rest of the request whose head is parsed.
  void read_body();
  /// Writes `100 Continue` when one is owed and every earlier reply is out.
  void send_continue();
  /// Parses the next request from what is already buffered; false when it is
  /// not whole yet (the parser keeps what it has).
  bool parse_buffered();
  void on_read(boost::beast::error_code ec);
  void handle(request req, bool keep_alive, bool has_content_length);
  /// Queues a reply the session made itself (no route ran) and stops reading.
  void refuse(response reply, unsigned version);
  /// Names the slot's request (its X-Request-Id) and, with an access log,
  /// keeps what its line will say.
  void identify(slot& s, const http::request_header<>& head);
  void log_access(const slot& s, unsigned status, clock::time_point now);
  void deliver(std::uint64_t slot_id, response reply);
  void write_next();
  /// The reply is an event stream's: take a stream's place, or refuse.
  void prepare_stream(slot& s, response& reply);
  /// Gives the socket to the event stream of the front slot; this session ends.
  void hand_over_stream();
  void on_write(std::size_t replies, bool keep_alive, boost::beast::error_code ec);
  /// Half-closes, then discards what the client still sends for a moment, so
  /// its kernel does not answer our close with a reset that destroys the
  /// reply it has not read yet (a client still sending a refused body).
  void linger();
  void discard_input();
  void close();
  /// Moves the deadline of the read or write that starts now (or of the
  /// linger) to `timeout` from now.
  void extend_deadline(clock::duration timeout);
  void wait_for_deadline();
  void on_deadline(boost::beast::error_code ec);

  socket_type socket_;
  /// One timer per connection, re-armed lazily: starting a read or a write
  /// only moves `deadline_`; the timer, when it fires early, waits again for
  /// the rest. Arming and cancelling a timer on every operation (what
  /// beast::tcp_stream does) was ~1,200 instructions a request.
  boost::asio::basic_waitable_timer<clock, boost::asio::wait_traits<clock>, executor_type> timer_;
  clock::time_point deadline_;
  bool timer_waiting_ = false;
  bool lingering_ = false;
  boost::beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<server_context> ctx_;
  std::uint64_t id_;
  bool over_capacity_;

  std::deque<slot> slots_;
  /// With an access log: targets of answered requests, whose buffers the
  /// next requests' targets reuse (most targets are longer than what a
  /// std::string holds inline).
  std::vector<std::string> spare_targets_;
  static constexpr std::size_t max_spare_targets = 16;
  std::uint64_t first_slot_id_ = 0; // id of slots_.front()
  bool reading_ = false;
  bool writing_ = false;
  bool read_done_ = false;      // peer finished, an error, or draining: read no more
  bool draining_ = false;       // the server stops: read only what is already buffered
  bool read_abandoned_ = false; // the request being read was refused by the drain
  bool closed_ = false;
  bool continue_owed_ = false; // the request being read expects 100-continue
  std::array<char, 4096> discard_{};
  // Where Asio builds this connection's operations (handler_memory.hpp).
  handler_memory read_memory_, write_memory_, reply_memory_;
  std::vector<boost::asio::const_buffer> out_; // the replies being written
  std::string remote_;                         // the peer's address, with an access log only
};

/// Shuts a connection down both ways and closes it; errors are of no use here.
void close_socket(session::socket_type& socket);

} // namespace fridgebank::net
