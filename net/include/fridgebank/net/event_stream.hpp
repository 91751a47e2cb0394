#pragma once

// One `GET /events` connection once its head is written: it only writes
// (what the hub's pump offers, event_hub.hpp), and reads only to notice the
// client leaving. A session hands its socket over when the route answered
// `text/event-stream` and every earlier pipelined reply is out.
//
// Bounds: unwritten bytes over `max_queued_bytes` drop the stream (a last
// `dropped` event, then close); a write that does not finish within the
// read timeout (the client reads nothing and the socket buffers are full)
// closes it. The stream does not count as idle: no read timeout.

#include "fridgebank/net/event_hub.hpp"
#include "fridgebank/net/session.hpp"

#include <array>
#include <boost/asio/steady_timer.hpp>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace fridgebank::net {

/// The Content-Type a route answers to turn its connection into a stream.
inline constexpr std::string_view event_stream_type = "text/event-stream";

/// The reply head of an event stream (also the whole reply to a HEAD). No
/// length: the body ends when the connection does (RFC 9112 6.3), so no
/// reply can follow it on this connection.
std::string event_stream_head(unsigned version);

class event_stream : public std::enable_shared_from_this<event_stream> {
public:
  event_stream(session::socket_type socket, std::shared_ptr<server_context> ctx, event_hub& hub);
  ~event_stream();

  /// Writes the head, the hub's replay for `last_event_id`, then follows.
  /// The hub's place (`acquire`) was taken for this stream; it is released
  /// when the stream ends. On the socket's thread.
  void start(unsigned version, std::optional<std::string> last_event_id);

  /// The pump: the frames of `batch` this stream has not had. Its thread.
  void offer(const std::shared_ptr<const event_batch>& batch);

  /// A last event (`dropped`, `shutdown`, `reset`), then close. Its thread.
  void end(std::string_view type, std::string_view reason);

private:
  /// Bytes owned by `owner` (a batch or a string of our own).
  struct piece {
    std::shared_ptr<const void> owner;
    const char* data;
    std::size_t size;
  };

  void queue(std::shared_ptr<const std::string> text);
  void write_next();
  void watch_for_close();
  void arm_deadline();
  void close();

  session::socket_type socket_;
  std::shared_ptr<server_context> ctx_;
  event_hub& hub_;
  boost::asio::basic_waitable_timer<std::chrono::steady_clock,
                                    boost::asio::wait_traits<std::chrono::steady_clock>,
                                    session::executor_type>
      deadline_;
  std::deque<piece> queued_;
  std::size_t queued_bytes_ = 0;
  std::size_t writing_pieces_ = 0; // the front pieces a write holds
  std::uint64_t write_generation_ = 0;
  std::uint64_t next_seq_ = 0; // the hub's frames before it were had
  bool ending_ = false;        // a last event is queued: close once written
  bool head_written_ = false;  // the first piece (head, replay) is out
  bool closed_ = false;
  std::array<char, 512> discard_{};
};

} // namespace fridgebank::net
