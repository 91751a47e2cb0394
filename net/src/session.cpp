#include "fridgebank/net/session.hpp"

#include "fridgebank/net/error_reply.hpp"
#include "fridgebank/net/server.hpp"
#include "wire.hpp"

#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

namespace fridgebank::net {

namespace beast = boost::beast;
namespace asio = boost::asio;

namespace {

bool is_json(std::string_view content_type) {
  auto semicolon = content_type.find(';');
  auto media = content_type.substr(0, semicolon);
  while (!media.empty() && media.back() == ' ')
    media.remove_suffix(1);
  return beast::iequals(media, "application/json");
}

/// Exactly "chunked" (case aside, spaces around it aside).
bool only_chunked(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
    value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
    value.remove_suffix(1);
  return beast::iequals(value, "chunked");
}

/// What is wrong with a request's head itself, before any route sees it:
/// two framings, a Transfer-Encoding Beast would misread (RFC 9112 6.3), an
/// HTTP/1.1 request without exactly one Host (RFC 9112 3.2). Each is a 400
/// that closes the connection.
std::optional<std::string> head_fault(const http::request_header<>& head, bool has_content_length) {
  auto encodings = head.count(http::field::transfer_encoding);
  // Request smuggling: Beast 1.81 would accept a message with both framings.
  if (has_content_length && encodings > 0)
    return "Content-Length together with Transfer-Encoding is not allowed";
  // Any Transfer-Encoding but one final `chunked`, and any in HTTP/1.0:
  // Beast would read such a body as the next request.
  if (encodings > 0 &&
      (head.version() < 11 || encodings > 1 || !only_chunked(head[http::field::transfer_encoding])))
    return "Transfer-Encoding must be a single, final chunked";
  if (head.version() >= 11 && head.count(http::field::host) != 1)
    return "an HTTP/1.1 request needs exactly one Host header";
  return std::nullopt;
}

bool expects_continue(const http::request_header<>& head) {
  auto expect = head.find(http::field::expect);
  return expect != head.end() && beast::iequals(expect->value(), "100-continue");
}

constexpr std::string_view continue_line = "HTTP/1.1 100 Continue\r\n\r\n";

} // namespace

session::session(socket_type&& socket, std::shared_ptr<server_context> ctx, std::uint64_t id,
                 bool over_capacity)
    : socket_(std::move(socket)), timer_(socket_.get_executor()), ctx_(std::move(ctx)), id_(id),
      over_capacity_(over_capacity) {
  ctx_->stats.connection_opened();
}

session::~session() {
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
    if (auto fault = head_fault(head, parser_->content_length().has_value()))
      return refuse(error_reply(error_code::bad_request, *fault), head.version());
    auto content_type = head.find(http::field::content_type);
    if (content_type != head.end() && !is_json(content_type->value()))
      return refuse(
          error_reply(error_code::unsupported_media_type, "request body must be application/json"),
          head.version());
    if (!slots_.empty() || writing_)
      return read_body(); // earlier replies first; the client sends anyway
    writing_ = true;
    extend_deadline(ctx_->options.read_timeout);
    asio::async_write(socket_, asio::buffer(continue_line),
                      [self = shared_from_this()](beast::error_code write_ec, std::size_t) {
                        self->writing_ = false;
                        if (write_ec)
                          self->close();
                        else
                          self->read_body();
                      });
    return;
  }
  read_body();
}

void session::read_body() {
  if (closed_)
    return;
  if (buffer_.size() > 0 && parse_buffered())
    return;
  reading_ = true;
  extend_deadline(ctx_->options.read_timeout);
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
  if (closed_)
    return;
  if (ec == http::error::body_limit) {
    refuse(error_reply(error_code::payload_too_large, "request body is larger than 64 KiB"), 11);
    return;
  }
  if (ec == http::error::header_limit) {
    refuse(error_reply(error_code::header_too_large, "request head is larger than 8 KiB"), 11);
    return;
  }
  if (ec) {
    bool parse_error = ec.category() == http::make_error_code(http::error::bad_method).category() &&
                       ec != http::error::end_of_stream && ec != http::error::partial_message;
    if (parse_error) {
      refuse(error_reply(error_code::bad_request, "malformed HTTP request: " + ec.message()), 11);
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
  if (auto fault = head_fault(req.base(), has_content_length)) {
    refuse(error_reply(error_code::bad_request, *fault), version);
    return;
  }
  slots_.push_back(slot{std::nullopt, version, keep_alive, req.method() == http::verb::head,
                        ctx_->routes.unmatched(), clock::now()});
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

  auto content_type = req.find(http::field::content_type);
  if (req.method() == http::verb::post && !req.body().empty() && content_type != req.end() &&
      !is_json(content_type->value())) {
    respond(
        error_reply(error_code::unsupported_media_type, "request body must be application/json"));
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
  slots_.push_back(
      slot{std::nullopt, version, false, false, ctx_->routes.unmatched(), clock::now()});
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
  ctx_->stats.record(s.route, reply.result(), clock::now() - s.received);
  s.wire = to_wire(reply, s.version, keep_alive, !s.head);
  write_next();
}

void session::write_next() {
  if (writing_ || closed_)
    return;
  // Every reply that is ready, in order, in one write: pipelined replies
  // share a system call. A reply that ends the connection ends the batch.
  constexpr std::size_t max_batch = 64;
  out_.clear();
  bool keep_alive = true;
  for (auto& s : slots_) {
    if (!s.wire || out_.size() == max_batch || !keep_alive)
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
  for (std::size_t i = 0; i < replies; ++i)
    slots_.pop_front();
  first_slot_id_ += replies;
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

void session::close() {
  if (closed_)
    return;
  closed_ = true;
  beast::error_code ignored;
  socket_.shutdown(tcp::socket::shutdown_both, ignored);
  socket_.close(ignored);
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
