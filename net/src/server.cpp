#include "fridgebank/net/server.hpp"

#include "fridgebank/net/session.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <cstdio>
#include <optional>
#include <random>
#include <sys/resource.h>

namespace fridgebank::net {

namespace asio = boost::asio;

namespace {

std::vector<std::unique_ptr<asio::io_context>> make_contexts(std::size_t n) {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (std::size_t i = 0; i < std::max<std::size_t>(n, 1); ++i)
    contexts.push_back(std::make_unique<asio::io_context>(1)); // one thread runs it
  return contexts;
}

/// How long the acceptor waits, out of descriptors, before it tries again.
constexpr std::chrono::milliseconds accept_backoff{50};

/// Accept failures that mean "no descriptor or memory for one more socket
/// now": retrying at once would fail again, so the acceptor pauses.
bool out_of_resources(const boost::system::error_code& ec) {
  return ec == asio::error::no_descriptors || ec == asio::error::no_buffer_space ||
         ec == asio::error::no_memory || ec == boost::system::errc::too_many_files_open_in_system;
}

} // namespace

std::size_t connections_within_fd_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
    return 10000;
  auto files = static_cast<std::size_t>(limit.rlim_cur);
  auto reserve = std::min(64 + files / 8, files / 2);
  return std::clamp<std::size_t>(files - reserve, 1, 10000);
}

http_server::http_server(server_options options, const router& routes, metrics& stats)
    : ctx_(std::make_shared<server_context>(std::move(options), routes, stats)),
      contexts_(make_contexts(ctx_->options.io_threads)), acceptor_(*contexts_.front()),
      accept_backoff_(*contexts_.front()) {
  for (auto& context : contexts_)
    keep_running_.push_back(asio::make_work_guard(*context));
  // Ids made here: 8 random hex digits per process, then a counter.
  std::random_device random;
  char prefix[16];
  std::snprintf(prefix, sizeof prefix, "%08x-", static_cast<unsigned>(random()));
  ctx_->request_id_prefix = prefix;
}

http_server::~http_server() {
  stop();
}

std::vector<asio::ip::address> addresses_of(const std::string& host, std::string& error) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (!ec)
    return {address};
  asio::io_context io;
  auto results = tcp::resolver{io}.resolve(host, "", ec);
  if (ec || results.empty()) {
    error = "cannot resolve " + host + ": " + (ec ? ec.message() : std::string{"no address"});
    return {};
  }
  std::vector<asio::ip::address> all;
  for (const auto& entry : results)
    all.push_back(entry.endpoint().address());
  return all;
}

std::optional<asio::ip::address> address_of(const std::string& host, std::string& error) {
  auto all = addresses_of(host, error);
  if (all.empty())
    return std::nullopt;
  auto v4 = std::find_if(all.begin(), all.end(), [](const auto& a) { return a.is_v4(); });
  return v4 != all.end() ? *v4 : all.front();
}

std::string http_server::listen() {
  std::string error;
  auto address = address_of(ctx_->options.host, error);
  if (!address)
    return "--host: " + error;
  boost::system::error_code ec;
  tcp::endpoint endpoint{*address, ctx_->options.port};
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
  for (auto& context : contexts_)
    threads_.emplace_back([&context = *context] { context.run(); });
}

void http_server::accept() {
  auto& context = *contexts_[next_context_++ % contexts_.size()];
  acceptor_.async_accept(context.get_executor(),
                         [this](boost::system::error_code ec, session::socket_type socket) {
                           if (ec == asio::error::operation_aborted || !acceptor_.is_open())
                             return;
                           if (out_of_resources(ec))
                             return pause_accepting(ec);
                           if (!ec)
                             on_accepted(std::move(socket));
                           accept();
                         });
}

void http_server::on_accepted(session::socket_type socket) {
  if (paused_since_ != std::chrono::steady_clock::time_point{}) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - paused_since_);
    std::fprintf(stderr, "fridgebank: accepting connections again after %lld ms (%zu retries)\n",
                 static_cast<long long>(ms.count()), refused_accepts_);
    paused_since_ = {};
    refused_accepts_ = 0;
  }
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  std::shared_ptr<session> s;
  {
    std::lock_guard guard{ctx_->sessions_mutex};
    // Event streams hold connections too (they left `sessions`).
    auto streams = ctx_->events ? ctx_->events->streams() : 0;
    bool over = ctx_->sessions.size() + streams >= ctx_->options.max_connections;
    auto id = ctx_->next_session++;
    s = std::make_shared<session>(std::move(socket), ctx_, id, over);
    ctx_->sessions.emplace(id, s);
  }
  s->start();
  // Accepted while the drain began: drained too (checked after the insert,
  // which the drain's snapshot of the sessions either saw or follows).
  if (ctx_->draining.load())
    s->drain();
}

void http_server::pause_accepting(const boost::system::error_code& ec) {
  if (paused_since_ == std::chrono::steady_clock::time_point{}) {
    paused_since_ = std::chrono::steady_clock::now();
    std::fprintf(stderr,
                 "fridgebank: cannot accept connections: %s; pausing accepts until descriptors "
                 "free up (raise ulimit -n or lower --max-connections)\n",
                 ec.message().c_str());
  } else {
    ++refused_accepts_;
  }
  accept_backoff_.expires_after(accept_backoff);
  accept_backoff_.async_wait([this](boost::system::error_code wait_ec) {
    if (wait_ec != asio::error::operation_aborted && acceptor_.is_open())
      accept();
  });
}

void http_server::drain() {
  std::call_once(drained_, [this] {
    ctx_->draining = true;
    if (ctx_->events)
      ctx_->events->close_all(); // each stream's last event says why
    asio::post(acceptor_.get_executor(), [this] {
      boost::system::error_code ignored;
      acceptor_.close(ignored);
      accept_backoff_.cancel();
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
    auto deadline = std::chrono::steady_clock::now() + ctx_->options.shutdown_grace;
    std::unique_lock lock{ctx_->sessions_mutex};
    ctx_->sessions_gone.wait_until(lock, deadline, [this] { return ctx_->sessions.empty(); });
    lock.unlock();
    if (ctx_->events)
      ctx_->events->wait_closed(deadline);
  });
}

void http_server::stop() {
  keep_running_.clear();
  for (auto& context : contexts_)
    context->stop();
  for (auto& t : threads_)
    if (t.joinable())
      t.join();
  threads_.clear();
  // The hub's timers go before the contexts they live on; the streams go
  // with the contexts, after, and give their places back to the hub.
  if (ctx_->events)
    ctx_->events->detach();
}

void http_server::serve_events(event_hub& hub) {
  ctx_->events = &hub;
  for (auto& context : contexts_)
    hub.attach(*context);
}

} // namespace fridgebank::net
