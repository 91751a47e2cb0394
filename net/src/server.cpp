#include "fridgebank/net/server.hpp"

#include "fridgebank/net/session.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>

namespace fridgebank::net {

namespace asio = boost::asio;

http_server::http_server(server_options options, const router& routes, metrics& stats)
    : ctx_(std::make_shared<server_context>(std::move(options), routes, stats)),
      ioc_(static_cast<int>(ctx_->options.io_threads)), acceptor_(asio::make_strand(ioc_)) {}

http_server::~http_server() {
  stop();
}

std::string http_server::listen() {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(ctx_->options.host, ec);
  if (ec)
    return "invalid --host " + ctx_->options.host + ": " + ec.message();
  tcp::endpoint endpoint{address, ctx_->options.port};
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec)
    acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec)
    acceptor_.bind(endpoint, ec);
  if (!ec)
    acceptor_.listen(asio::socket_base::max_listen_connections, ec);
  if (ec)
    return "cannot listen on " + ctx_->options.host + ":" + std::to_string(ctx_->options.port) +
           ": " + ec.message();
  return {};
}

tcp::endpoint http_server::local_endpoint() const {
  return acceptor_.local_endpoint();
}

void http_server::start() {
  accept();
  for (std::size_t i = 0; i < ctx_->options.io_threads; ++i)
    threads_.emplace_back([this] { ioc_.run(); });
}

void http_server::accept() {
  // One I/O thread runs every handler in turn: a strand per connection would
  // only add the cost of its queue (perf: a few % of a drink).
  auto executor = ctx_->options.io_threads > 1 ? asio::any_io_executor{asio::make_strand(ioc_)}
                                               : asio::any_io_executor{ioc_.get_executor()};
  acceptor_.async_accept(executor, [this](boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor_.is_open())
      return;
    if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::shared_ptr<session> s;
      {
        std::lock_guard guard{ctx_->sessions_mutex};
        bool over = ctx_->sessions.size() >= ctx_->options.max_connections;
        auto id = ctx_->next_session++;
        s = std::make_shared<session>(std::move(socket), ctx_, id, over);
        ctx_->sessions.emplace(id, s);
      }
      s->start();
    }
    accept();
  });
}

void http_server::drain() {
  std::call_once(drained_, [this] {
    ctx_->draining = true;
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
    });
    std::vector<std::shared_ptr<session>> live;
    {
      std::lock_guard guard{ctx_->sessions_mutex};
      for (auto& [id, weak] : ctx_->sessions)
        if (auto s = weak.lock())
          live.push_back(std::move(s));
    }
    for (auto& s : live)
      s->drain();
    live.clear();
    std::unique_lock lock{ctx_->sessions_mutex};
    ctx_->sessions_gone.wait_for(lock, ctx_->options.shutdown_grace,
                                 [this] { return ctx_->sessions.empty(); });
  });
}

void http_server::stop() {
  ioc_.stop();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
}

} // namespace fridgebank::net
