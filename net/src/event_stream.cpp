#include "fridgebank/net/event_stream.hpp"

#include "fridgebank/net/server.hpp"

#include <algorithm>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <vector>

namespace fridgebank::net {

namespace asio = boost::asio;
namespace beast = boost::beast;

std::string event_stream_head(unsigned version) {
  std::string head = version == 10 ? "HTTP/1.0 200 OK\r\n" : "HTTP/1.1 200 OK\r\n";
  head += "Content-Type: text/event-stream; charset=utf-8\r\n"
          "Cache-Control: no-store\r\n"
          "X-Accel-Buffering: no\r\n" // a proxy in front (nginx) passes events at once
          "Connection: close\r\n\r\n";
  return head;
}

event_stream::event_stream(session::socket_type socket, std::shared_ptr<server_context> ctx,
                           event_hub& hub)
    : socket_(std::move(socket)), ctx_(std::move(ctx)), hub_(hub),
      deadline_(socket_.get_executor()) {
  ctx_->stats.connection_opened();
}

event_stream::~event_stream() {
  hub_.release();
  ctx_->stats.connection_closed();
}

void event_stream::start(unsigned version, std::optional<std::string> last_event_id) {
  auto first = event_stream_head(version);
  first += "retry: 1000\n\n"; // how long a browser waits before it reconnects
  first += hub_.subscribe(shared_from_this(), socket_.get_executor().context(), last_event_id,
                          next_seq_);
  queue(std::make_shared<const std::string>(std::move(first)));
  watch_for_close();
  if (hub_.closing()) // came in behind the server's close_all
    end("shutdown", "the server is shutting down");
  write_next();
}

void event_stream::offer(const std::shared_ptr<const event_batch>& batch) {
  if (closed_ || ending_ || batch->end_seq() <= next_seq_)
    return;
  auto i = next_seq_ > batch->first_seq ? next_seq_ - batch->first_seq : 0;
  auto start = batch->starts[i];
  next_seq_ = batch->end_seq();
  queued_.push_back(piece{batch, batch->bytes.data() + start, batch->bytes.size() - start});
  queued_bytes_ += batch->bytes.size() - start;
  if (queued_bytes_ > hub_.options().max_queued_bytes) {
    hub_.count_drop();
    end("dropped", "this client reads too slowly: more than " +
                       std::to_string(hub_.options().max_queued_bytes) +
                       " bytes of events were waiting");
    return;
  }
  write_next();
}

void event_stream::end(std::string_view type, std::string_view reason) {
  if (closed_ || ending_)
    return;
  ending_ = true;
  // What is not being written yet is dropped; the last event goes after
  // what is (a write in progress cannot be taken back) and after the head
  // and the replay, which are never dropped.
  auto kept = std::max(writing_pieces_, head_written_ ? std::size_t{0} : std::size_t{1});
  while (queued_.size() > kept) {
    queued_bytes_ -= queued_.back().size;
    queued_.pop_back();
  }
  queue(std::make_shared<const std::string>(sse_frame(0, type, encode_reason(reason))));
  write_next();
}

void event_stream::queue(std::shared_ptr<const std::string> text) {
  auto size = text->size();
  auto data = text->data();
  queued_.push_back(piece{std::move(text), data, size});
  queued_bytes_ += size;
}

void event_stream::write_next() {
  if (closed_ || writing_pieces_ > 0)
    return;
  if (queued_.empty()) {
    if (ending_)
      close();
    return;
  }
  constexpr std::size_t max_pieces = 64;
  std::vector<asio::const_buffer> out;
  for (const auto& p : queued_) {
    if (out.size() == max_pieces)
      break;
    out.push_back(asio::buffer(p.data, p.size));
  }
  writing_pieces_ = out.size();
  arm_deadline();
  asio::async_write(socket_, out, [self = shared_from_this()](beast::error_code ec, std::size_t) {
    self->deadline_.cancel();
    if (ec) {
      self->close();
      return;
    }
    self->head_written_ = true;
    for (; self->writing_pieces_ > 0; --self->writing_pieces_) {
      self->queued_bytes_ -= self->queued_.front().size;
      self->queued_.pop_front();
    }
    self->write_next();
  });
}

void event_stream::arm_deadline() {
  // A write that takes longer than a request may (the client stopped
  // reading) ends the stream. The generation tells a wait that expired
  // just as its write completed from one for the write in progress.
  auto generation = ++write_generation_;
  deadline_.expires_after(ctx_->options.read_timeout);
  deadline_.async_wait([weak = weak_from_this(), generation](beast::error_code ec) {
    auto self = weak.lock();
    if (self && !ec && generation == self->write_generation_ && self->writing_pieces_ > 0)
      self->close();
  });
}

void event_stream::watch_for_close() {
  socket_.async_read_some(asio::buffer(discard_),
                          [self = shared_from_this()](beast::error_code ec, std::size_t) {
                            if (ec)
                              self->close(); // the client left (or we closed)
                            else
                              self->watch_for_close(); // a client says nothing we read
                          });
}

void event_stream::close() {
  if (closed_)
    return;
  closed_ = true;
  close_socket(socket_);
  deadline_.cancel();
}

} // namespace fridgebank::net
