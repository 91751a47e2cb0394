#include "fridgebank/net/session.hpp"

#include "fridgebank/net/error_reply.hpp"
#include "fridgebank/net/event_stream.hpp"
#include "fridgebank/net/request_rules.hpp"
#include "fridgebank/net/server.hpp"
#include "fridgebank/net/wire.hpp"

#include <algorithm>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <cassert>

namespace fridgebank::net {

namespace beast = boost::beast;
namespace asio = boost::asio;

session::session(socket_type&& socket, std::shared_ptr<server_context> ctx, std::uint64_t id,
                 bool over_capacity)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), ctx_(std::move(ctx)), id_(id),
      over_capacity_(over_capacity) {
  ctx_->stats.connection_opened();
  if (ctx_->access) {
    beast::error_code ec;
    auto peer = socket_.remote_endpoint(ec);
    if (!ec)
      remote_ = peer.address().to_string() + ":" + std::to_string(peer.port());
    // The access log copies it unescaped; only an IPv6 scope (an interface
    // name, which root may spell with any byte) could hold something odd.
    for (char& c : remote_)
      if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\')
        c = '?';
  }
}

namespace {

/// An error's JSON body names the request too: `{"error":..,"message":..,
/// "requestId":ID}` (API.md lets an error carry more fields). Not for a
/// request with an Idempotency-Key: its retry must get the first reply's
/// very body (API.md), so such a client has the X-Request-Id header alone.
void add_request_id(response& reply, std::string_view id) {
  auto& body = reply.body();
  if (body.empty() || body.back() != '}' ||
      first_of(reply, http::field::content_type) != "application/json")
    return;
  body.pop_back();
  body += R"(,"requestId":")";
  for (char c : id) { // visible ASCII: only these two need escaping
    if (c == '"' || c == '\\')
      body += '\\';
    body += c;
  }
  body += "\"}";
}

/// An X-Request-Id we echo: 1 to 128 visible ASCII characters.
bool valid_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 128 &&
         std::all_of(id.begin(), id.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

} // namespace

void session::identify(slot& s, const http::request_header<>& head) {
  auto given = fields_named(head, "X-Request-Id").first;
  if (valid_request_id(given))
    s.request_id = std::string{given};
  else
    s.request_id = ctx_->request_id_prefix +
                   std::to_string(ctx_->next_request_id.fetch_add(1, std::memory_order_relaxed));
  auto key = fields_named(head, "Idempotency-Key");
  s.keyed = key.count > 0;
  if (!ctx_->access)
    return;
  s.method.assign(head.method_string()); // no allocation: a method fits in place
  if (!spare_targets_.empty()) {
    s.target = std::move(spare_targets_.back());
    spare_targets_.pop_back();
  }
  s.target.assign(head.target()); // no allocation once a spare is long enough
  if (s.keyed)
    s.idempotency_key = std::string{key.first};
}

void session::log_access(const slot& s, unsigned status, clock::time_point now) {
  if (!ctx_->access)
    return;
  access_entry e;
  e.time = std::chrono::system_clock::now();
  e.request_id = s.request_id;
  e.remote = remote_;
  e.method = s.method;
  e.target = s.target;
  e.status = status;
  e.bytes = s.wire ? s.wire->size() : 0;
  e.latency = std::chrono::duration_cast<std::chrono::microseconds>(now - s.received);
  e.idempotency_key = s.idempotency_key;
  ctx_->access->write(e);
}

session::~session() {
  for (const auto& s : slots_)
    if (s.stream) // its place was taken, its stream never started
      ctx_->events->release();
  ctx_->stats.connection_closed();
  std::lock_guard guard{ctx_->sessions_mutex};
  ctx_->sessions.erase(id_);
  if (ctx_->sessions.empty())
    ctx_->sessions_gone.notify_all();
}

void session::start() {
  asio::dispatch(socket_.get_executor(), [self = shared_from_this()] {
    if (self->over_capacity_) {
      self->refuse(error_reply(error_code::overloaded, "too many connections"), 11);
      return;
    }
    self->read_next();
  });
}

void session::drain() {
  asio::post(socket_.get_executor(), [self = shared_from_this()] {
    // Requests already received whole (buffered, not yet parsed) are still
    // answered; nothing more is read from the socket, so a pending read (it
    // waits for bytes not yet received) ends the connection's requests.
    self->draining_ = true;
    if (self->reading_ && self->parser_ && self->parser_->is_header_done()) {
      // Its head came, its body has not: it will not run. Say so (RFC 9110
      // 10.1.1: a client told to continue gets a final status). The read in
      // flight may still complete with the body: it is dropped (on_read).
      self->read_abandoned_ = true;
      self->refuse(error_reply(error_code::shutting_down,
                               "the server is shutting down; this request was not read whole "
                               "and did not run"),
                   self->parser_->get().version());
      return;
    }
    if (self->reading_ || self->buffer_.size() == 0)
      self->read_done_ = true;
    // Idle (no request outstanding): nothing more to answer, close now. Else
    // the last write closes the connection.
    if (self->read_done_ && self->slots_.empty())
      self->close();
  });
}

void session::read_next() {
  if (reading_ || read_done_ || closed_ || slots_.size() >= ctx_->options.max_pipeline)
    return;
  parser_.emplace();
  parser_->body_limit(ctx_->options.max_body_bytes);
  parser_->header_limit(static_cast<std::uint32_t>(ctx_->options.max_head_bytes));
  // A request already buffered (pipelined) is parsed here and now: no
  // handler round trip, and a draining session knows what it has received.
  if (buffer_.size() > 0 && parse_buffered())
    return;
  if (draining_) {
    read_done_ = true;
    if (slots_.empty())
      close();
    return;
  }
  reading_ = true;
  extend_deadline(ctx_->options.read_timeout);
  // The head first: a client that sent `Expect: 100-continue` waits for our
  // word before it sends the body. Usually the body came in the same read
  // and on_head parses it from the buffer, no second read.
  auto head = [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->reading_ = false;
    self->on_head(ec);
  };
  http::async_read_header(
      socket_, buffer_, *parser_,
      asio::bind_allocator(handler_allocator<void>{read_memory_}, std::move(head)));
}

void session::on_head(beast::error_code ec) {
  if (ec || parser_->is_done() || closed_)
    return on_read(ec);
  const auto& head = parser_->get().base();
  if (expects_continue(head) && buffer_.size() == 0) {
    // The final answer at once, instead of a body it would refuse.
    auto refused = refusal_of_head(head, parser_->content_length().has_value());
    if (!refused)
      refused = refusal_of_media_type(head, true);
    if (refused)
      return refuse(std::move(refused->reply), head.version());
    // Owed once every earlier reply is out (they come first, in order);
    // the body is read meanwhile, as a client that stops waiting sends it.
    continue_owed_ = true;
    send_continue();
  }
  read_body();
}

void session::send_continue() {
  if (!continue_owed_ || !slots_.empty() || writing_ || closed_)
    return;
  continue_owed_ = false;
  writing_ = true;
  asio::async_write(socket_, asio::buffer(continue_line),
                    [self = shared_from_this()](beast::error_code ec, std::size_t) {
                      self->writing_ = false;
                      if (ec)
                        self->close();
                      else
                        self->write_next(); // a reply that became ready meanwhile
                    });
}

void session::read_body() {
  if (closed_)
    return;
  if (buffer_.size() > 0 && parse_buffered())
    return;
  reading_ = true;
  // The same deadline as the head's: --read-timeout is for the whole request.
  if (!timer_waiting_)
    wait_for_deadline();
  auto read = [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->reading_ = false;
    self->on_read(ec);
  };
  http::async_read(socket_, buffer_, *parser_,
                   asio::bind_allocator(handler_allocator<void>{read_memory_}, std::move(read)));
}

bool session::parse_buffered() {
  beast::error_code ec;
  while (!parser_->is_done() && buffer_.size() > 0) {
    auto used = parser_->put(buffer_.data(), ec);
    buffer_.consume(used);
    if (ec == http::error::need_more) {
      ec = {};
      if (used == 0)
        break; // the rest is still on its way: read it from the socket
    } else if (ec || used == 0) {
      break;
    }
  }
  if (!ec && !parser_->is_done())
    return false;
  on_read(ec);
  return true;
}

void session::on_read(beast::error_code ec) {
  if (closed_ || read_abandoned_) // answered already: it must not run
    return;
  if (ec) {
    if (auto refused = refusal_of_parse_error(ec)) {
      refuse(std::move(refused->reply), 11);
      return;
    }
    // The peer closed or we are draining: answer what is outstanding, then
    // close. (A read that timed out was ended by close(), see on_deadline.)
    read_done_ = true;
    if (slots_.empty())
      close();
    return;
  }
  // What the parser already knows is not looked up again in the fields.
  bool keep_alive = parser_->keep_alive();
  bool has_content_length = parser_->content_length().has_value();
  handle(parser_->release(), keep_alive, has_content_length);
}

void session::handle(request req, bool keep_alive, bool has_content_length) {
  auto version = req.version();
  continue_owed_ = false; // the body came: no 100 is needed any more
  if (auto refused = refusal_of_head(req.base(), has_content_length)) {
    refuse(std::move(refused->reply), version);
    return;
  }
  slots_.push_back(slot{std::nullopt, version, keep_alive, req.method() == http::verb::head,
                        ctx_->routes.unmatched(), clock::now(), false, std::nullopt});
  identify(slots_.back(), req.base());
  auto slot_id = first_slot_id_ + slots_.size() - 1;
  if (!keep_alive)
    read_done_ = true;

  auto respond = [self = shared_from_this(), slot_id](response reply) {
    // A route that answers at once (echo, a refused body) is on this thread
    // and delivers directly. This is asio::dispatch's own test, made before
    // the reply is wrapped in a handler: dispatch would move the reply into
    // its wrapper first (~600 instructions per echo, callgrind).
    if (self->socket_.get_executor().running_in_this_thread()) {
      self->deliver(slot_id, std::move(reply));
      return;
    }
    auto deliver = [self, slot_id, reply = std::move(reply)]() mutable {
      self->deliver(slot_id, std::move(reply));
    };
    asio::post(
        self->socket_.get_executor(),
        asio::bind_allocator(handler_allocator<void>{self->reply_memory_}, std::move(deliver)));
  };

  if (auto refused = refusal_of_media_type(req.base(), !req.body().empty())) {
    respond(std::move(refused->reply));
  } else if (ctx_->in_flight.load(std::memory_order_relaxed) >= ctx_->options.max_in_flight) {
    respond(error_reply(error_code::overloaded, "too many requests in flight"));
  } else {
    ctx_->in_flight.fetch_add(1, std::memory_order_relaxed);
    auto counted = [ctx = ctx_, respond](response reply) {
      ctx->in_flight.fetch_sub(1, std::memory_order_relaxed);
      respond(std::move(reply));
    };
    ctx_->routes.dispatch(req, std::move(counted), slots_[slot_id - first_slot_id_].route);
  }
  // A pipelined request already in the buffer is read at once. Otherwise the
  // next read starts once this reply is written (on_write): started now, it
  // would almost always find the socket empty and cost a system call for
  // nothing, since the client is still waiting for this reply.
  if (buffer_.size() > 0)
    read_next();
}

void session::refuse(response reply, unsigned version) {
  read_done_ = true;
  continue_owed_ = false;
  // A refused HEAD is answered without a body too (RFC 9110 9.3.2).
  bool head = parser_ && parser_->is_header_done() && parser_->get().method() == http::verb::head;
  slots_.push_back(slot{std::nullopt, version, false, head, ctx_->routes.unmatched(), clock::now(),
                        false, std::nullopt});
  if (parser_ && parser_->is_header_done())
    identify(slots_.back(), parser_->get().base());
  else
    identify(slots_.back(), http::request_header<>{});
  deliver(first_slot_id_ + slots_.size() - 1, std::move(reply));
}

void session::deliver(std::uint64_t slot_id, response reply) {
  if (closed_ || slot_id < first_slot_id_)
    return;
  auto& s = slots_[slot_id - first_slot_id_];
  // Once draining, the reply to the last request this connection will get
  // tells the client the connection ends; the replies before it are still
  // written (pipelined requests already received are answered, not dropped).
  bool last = slot_id == first_slot_id_ + slots_.size() - 1 && read_done_ && !reading_;
  bool keep_alive = s.keep_alive && !(last && ctx_->draining.load(std::memory_order_relaxed));
  s.keep_alive = keep_alive;
  // One lookup of the type per reply (this is every request's path).
  bool event_stream = first_of(reply, http::field::content_type) == event_stream_type;
  bool stream_head = event_stream && s.head;
  if (event_stream && !s.head)
    prepare_stream(s, reply);
  auto now = clock::now(); // one reading for the metrics and the access log
  ctx_->stats.record(s.route, reply.result(), now - s.received);
  if (!s.stream) {
    reply.set("X-Request-Id", s.request_id);
    if (reply.result_int() >= 400 && !s.keyed)
      add_request_id(reply, s.request_id);
  }
  if (stream_head) { // the head a GET gets: no length, the connection ends
    s.keep_alive = false;
    s.wire = event_stream_head(s.version);
  } else if (!s.stream) {
    s.wire = to_wire(reply, s.version, keep_alive, !s.head);
  } else {
    s.wire.emplace(); // ready: its head is the stream's to write
  }
  log_access(s, reply.result_int(), now);
  write_next();
}

void session::prepare_stream(slot& s, response& reply) {
  assert(ctx_->events != nullptr); // the events route answers so only with a hub
  if (!ctx_->events->acquire()) {
    reply = error_reply(error_code::overloaded,
                        "too many event streams (--max-event-streams " +
                            std::to_string(ctx_->events->options().max_streams) + ")");
    return;
  }
  s.stream = true;
  s.keep_alive = false;
  if (!reply.body().empty())
    s.last_event_id = std::move(reply.body());
  // Nothing after it can be answered: the stream's body never ends.
  read_done_ = true;
}

void session::hand_over_stream() {
  auto s = std::move(slots_.front());
  slots_.clear();
  closed_ = true; // the socket is the stream's now
  timer_.cancel();
  s.stream = false; // its place goes with the stream
  auto stream = std::make_shared<event_stream>(std::move(socket_), ctx_, *ctx_->events);
  stream->start(s.version, std::move(s.last_event_id));
}

void session::write_next() {
  if (writing_ || closed_)
    return;
  // Every reply that is ready, in order, in one write: pipelined replies
  // share a system call. A reply that ends the connection ends the batch.
  constexpr std::size_t max_batch = 64;
  if (!slots_.empty() && slots_.front().stream) {
    hand_over_stream();
    return;
  }
  out_.clear();
  bool keep_alive = true;
  for (auto& s : slots_) {
    if (!s.wire || out_.size() == max_batch || !keep_alive || s.stream)
      break;
    out_.push_back(asio::buffer(*s.wire));
    keep_alive = s.keep_alive;
  }
  if (out_.empty())
    return;
  writing_ = true;
  // The replies stay in the deque until the write completes: only then are
  // they popped, so two writes never run at once and the buffers stay valid.
  extend_deadline(ctx_->options.read_timeout);
  auto written = asio::bind_allocator(
      handler_allocator<void>{write_memory_},
      [self = shared_from_this(), n = out_.size(), keep_alive](beast::error_code ec, std::size_t) {
        self->writing_ = false;
        self->on_write(n, keep_alive, ec);
      });
  // One reply (the usual case) is written as one buffer: the operation for a
  // buffer sequence carries room for 64 buffers, too big for write_memory_,
  // so it costs an allocation.
  if (out_.size() == 1)
    asio::async_write(socket_, out_.front(), std::move(written));
  else
    asio::async_write(socket_, out_, std::move(written));
}

void session::on_write(std::size_t replies, bool keep_alive, beast::error_code ec) {
  if (ec) {
    close();
    return;
  }
  if (!keep_alive) {
    linger();
    return;
  }
  for (std::size_t i = 0; i < replies; ++i) {
    if (ctx_->access && spare_targets_.size() < max_spare_targets) // its buffer serves again
      spare_targets_.push_back(std::move(slots_.front().target));
    slots_.pop_front();
  }
  first_slot_id_ += replies;
  send_continue();
  // Nothing more will be answered (peer done, or draining): close, also when
  // a read for a next request is still pending. Waiting for it would hold a
  // draining server up until the client or the read timeout ends it.
  if (slots_.empty() && read_done_) {
    // Draining, the client may have sent more than we read: a half-close
    // and a short linger, so its kernel does not drop our replies on a reset.
    if (draining_)
      linger();
    else
      close();
    return;
  }
  write_next();
  read_next();
}

void session::linger() {
  if (closed_)
    return;
  if (reading_) {
    // A request read is pending, so the client is not in the middle of a
    // body we refused: nothing to protect, close at once.
    close();
    return;
  }
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_send, ignored);
  lingering_ = true;
  extend_deadline(std::chrono::seconds{2});
  discard_input();
}

void session::discard_input() {
  socket_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec)
                              self->close();
                            else
                              self->discard_input();
                          });
}

void close_socket(session::socket_type& socket) {
  beast::error_code ignored;
  socket.shutdown(tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
}

void session::close() {
  if (closed_)
    return;
  closed_ = true;
  close_socket(socket_);
  timer_.cancel();
}

void session::extend_deadline(clock::duration timeout) {
  deadline_ = clock::now() + timeout;
  // A waiting timer due at or before the new deadline waits again when it
  // fires; one due after it (the linger's deadline is shorter than a
  // write's) is moved now.
  if (!timer_waiting_ || timer_.expiry() > deadline_)
    wait_for_deadline();
}

void session::wait_for_deadline() {
  timer_waiting_ = true;
  timer_.expires_at(deadline_); // a wait still pending ends with operation_aborted
  // A weak pointer: a closed session is not kept alive until its timer fires.
  timer_.async_wait([weak = weak_from_this()](beast::error_code ec) {
    if (auto self = weak.lock())
      self->on_deadline(ec);
  });
}

void session::on_deadline(beast::error_code ec) {
  if (ec) // moved (a newer wait is pending) or cancelled by close()
    return;
  timer_waiting_ = false;
  if (closed_)
    return;
  // Only a pending read, write or linger has a deadline; while a route
  // works on a request the connection waits as long as the route takes.
  if (!reading_ && !writing_ && !lingering_)
    return;
  if (clock::now() < deadline_) {
    wait_for_deadline();
    return;
  }
  close(); // the pending operation ends with operation_aborted
}

} // namespace fridgebank::net
