#pragma once

// The HTTP/1.1 server: an acceptor and one session per connection, all on
// Asio's I/O threads. Sessions parse requests, hand them to the router, and
// write replies back in request order (pipelining). Each I/O thread runs its
// own io_context and a connection stays on one: its handlers never run at the
// same time, without a strand.

#include "fridgebank/net/access_log.hpp"
#include "fridgebank/net/event_hub.hpp"
#include "fridgebank/net/http.hpp"
#include "fridgebank/net/metrics.hpp"
#include "fridgebank/net/router.hpp"
#include "fridgebank/net/session.hpp"

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

namespace fridgebank::net {

struct server_options {
  std::string host = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t io_threads = 1;
  std::size_t max_connections = 10000;
  /// Requests handed to actors and not yet answered, over all connections;
  /// beyond it the server sheds load with 503 overloaded.
  std::size_t max_in_flight = 8192;
  /// Pipelined requests one connection may have outstanding before the
  /// server stops reading from it (back-pressure, not an error).
  std::size_t max_pipeline = 64;
  std::size_t max_body_bytes = 64 * 1024;
  std::size_t max_head_bytes = 8 * 1024;
  /// A whole request (or the wait for the next one on a kept-alive
  /// connection) must arrive within this; slow clients are dropped.
  std::chrono::milliseconds read_timeout{15000};
  /// How long a graceful shutdown waits for connections to finish.
  std::chrono::milliseconds shutdown_grace{10000};
};

class session;

/// Every address `host` names: itself when it is an address, else what the
/// resolver makes of the name; empty (and `error` set) when it names none.
std::vector<boost::asio::ip::address> addresses_of(const std::string& host, std::string& error);

/// The address to bind for `host` (`--host`, `--publish-host`): an IPv4 one
/// first when the name has one (`localhost` is 127.0.0.1).
std::optional<boost::asio::ip::address> address_of(const std::string& host, std::string& error);

/// The default `max_connections`: what the soft `RLIMIT_NOFILE` leaves after
/// a reserve for everything else the process opens (the journal's three
/// files, the middleman, the I/O contexts) and for the connections that are
/// accepted only to be told `503 overloaded`; at most 10000, at least 1.
std::size_t connections_within_fd_limit();

/// What sessions share: read-only configuration and thread-safe counters.
struct server_context {
  server_options options;
  const router& routes;
  metrics& stats;
  std::atomic<std::size_t> in_flight{0};
  std::atomic<bool> draining{false};
  /// Where `GET /events` streams are fed from; none: no streams.
  event_hub* events = nullptr;
  /// `--access-log`; none: no lines.
  access_log* access = nullptr;
  /// Request ids made here: a random prefix per process and a counter.
  std::string request_id_prefix;
  std::atomic<std::uint64_t> next_request_id{0};

  // Live sessions, so a graceful shutdown can reach them.
  std::mutex sessions_mutex;
  std::condition_variable sessions_gone;
  std::unordered_map<std::uint64_t, std::weak_ptr<session>> sessions;
  std::uint64_t next_session = 0;

  server_context(server_options opts, const router& r, metrics& m)
      : options(std::move(opts)), routes(r), stats(m) {}
};

class http_server {
public:
  http_server(server_options options, const router& routes, metrics& stats);
  ~http_server();

  /// Binds and listens. Returns an error text (one line) on failure.
  std::string listen();

  /// The bound endpoint (the real port when asked for port 0).
  tcp::endpoint local_endpoint() const;

  /// Feeds `GET /events` streams from `hub` (which outlives the server).
  /// Before `start`.
  void serve_events(event_hub& hub);

  /// Writes a line per answered request to `log` (which outlives the
  /// server). Before `start`.
  void log_to(access_log& log) { ctx_->access = &log; }

  /// Starts accepting on the I/O threads; returns at once.
  void start();

  /// Graceful stop: no new connections, requests already received are
  /// answered, then connections close. Returns when all have closed or the
  /// grace period is over. Safe to call from any thread, more than once.
  void drain();

  /// Stops the I/O threads and joins them.
  void stop();

  server_context& context() { return *ctx_; }

private:
  void accept();
  void on_accepted(session::socket_type socket);
  /// Out of file descriptors: accept nothing until `accept_backoff` passes
  /// (connections close meanwhile), instead of failing accept in a loop.
  void pause_accepting(const boost::system::error_code& ec);

  using work_guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;

  std::shared_ptr<server_context> ctx_;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_; // one per I/O thread
  std::vector<work_guard> keep_running_;     // a context without connections still runs
  std::size_t next_context_ = 0;             // where the next connection goes (round robin)
  tcp::acceptor acceptor_;                   // on the first context
  boost::asio::steady_timer accept_backoff_; // on the acceptor's context
  std::chrono::steady_clock::time_point paused_since_{}; // {} while accepting
  std::size_t refused_accepts_ = 0;                      // accepts that failed while paused
  std::vector<std::thread> threads_;
  std::once_flag drained_;
};

} // namespace fridgebank::net
