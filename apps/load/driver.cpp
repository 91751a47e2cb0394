#include "load/driver.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <cstdio>
#include <deque>
#include <memory>
#include <stdexcept>

namespace fridgebank::load {

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

constexpr auto reconnect_delay = 100ms;
// Open loop: the schedule is checked at least this often. Requests keep their
// exact due times, so a late check shows as latency, never hides it.
constexpr auto tick = 200us;
constexpr std::uint64_t body_limit = 64 * 1024 * 1024;

struct pending {
  std::size_t client;
  request req;
  clock::time_point due; // latency counts from here
  clock::time_point sent;
};

class driver;

/// One kept-alive connection: writes its clients' requests in order, reads
/// the replies in the same order, and reconnects when the server drops it.
class connection {
public:
  connection(driver& owner, asio::io_context& ioc, std::size_t index)
      : owner_(owner), ioc_(ioc), index_(index), stream_(ioc), retry_(ioc) {}

  void connect_now(const tcp::resolver::results_type& endpoints);
  void send(pending p);
  void close();
  bool online() const { return online_; }

private:
  void write_next();
  void read_next();
  void fail_all(const std::string& why);
  void reconnect_later();

  driver& owner_;
  asio::io_context& ioc_;
  std::size_t index_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  asio::steady_timer retry_;
  std::deque<pending> in_flight_; // written or waiting to be, oldest first
  std::size_t written_ = 0;
  bool writing_ = false;
  bool reading_ = false;
  bool online_ = false;
  bool closed_ = false;
  // Bumped by every failure: completions of the old socket's operations see
  // a newer generation and do nothing.
  std::uint64_t generation_ = 0;
  http::request<http::string_body> out_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

class driver {
public:
  driver(const run_options& options, scenario& scen, history_log* history, clock::time_point epoch)
      : options_(options), scenario_(scen), history_(history), epoch_(epoch), ioc_(1),
        deadline_(ioc_), ticker_(ioc_), progress_(ioc_), signals_(ioc_, SIGINT, SIGTERM),
        clients_(options.connections * options.pipeline, state::idle) {
    endpoints_ = tcp::resolver{ioc_}.resolve(options.server.host, options.server.port);
  }

  run_result run() {
    for (std::size_t i = 0; i < options_.connections; ++i) {
      connections_.push_back(std::make_unique<connection>(*this, ioc_, i));
      connections_.back()->connect_now(endpoints_);
    }
    start_ = clock::now();
    last_progress_ = start_;
    if (options_.rate)
      schedule_.emplace(start_, *options_.rate);
    if (options_.duration) {
      deadline_.expires_at(start_ +
                           std::chrono::duration_cast<clock::duration>(*options_.duration));
      deadline_.async_wait([this](beast::error_code ec) {
        if (!ec)
          begin_stop();
      });
    }
    signals_.async_wait([this](beast::error_code ec, int) {
      if (!ec) {
        result_.interrupted = true;
        begin_stop();
      }
    });
    if (options_.progress)
      schedule_progress();
    if (schedule_)
      on_tick();
    for (std::size_t c = 0; c < clients_.size(); ++c)
      offer(c);
    maybe_finish();
    ioc_.run();
    result_.elapsed = end_ - start_;
    result_.backlog = tokens_.size();
    return std::move(result_);
  }

  void on_reply(pending&& p, reply&& rep) {
    auto now = clock::now();
    auto latency = now - p.due;
    --in_flight_;
    wake_.clear();
    auto verdict = scenario_.complete(p.client, p.req, rep, wake_);
    count(p.req.route, rep, verdict, latency, now);
    if (history_)
      history_->record(static_cast<std::int64_t>(p.client), p.req, rep, p.sent - epoch_,
                       now - epoch_);
    clients_[p.client] = state::idle;
    offer(p.client);
    for (auto w : wake_)
      if (clients_[w] == state::parked)
        offer(w);
    maybe_finish();
  }

  void on_online(std::size_t index) {
    ++result_.reconnects;
    for (std::size_t c = index * options_.pipeline; c < (index + 1) * options_.pipeline; ++c)
      if (clients_[c] == state::idle)
        offer(c);
  }

  void on_connect_failure(const std::string& why) {
    ++result_.connect_failures;
    ++result_.errors;
    ++result_.statuses["no connection: " + why];
  }

  bool stopping() const { return stopping_; }
  const run_options& options() const { return options_; }
  const tcp::resolver::results_type& endpoints() const { return endpoints_; }

private:
  enum class state { idle, waiting_for_schedule, parked, in_flight };

  /// Client `c` is free: give it its next request, if the run, its
  /// connection, the schedule and the scenario all allow one.
  void offer(std::size_t c) {
    clients_[c] = state::idle;
    if (stopping_ || !connections_[c / options_.pipeline]->online())
      return;
    if (schedule_ && tokens_.empty()) {
      clients_[c] = state::waiting_for_schedule;
      waiting_.push_back(c);
      return;
    }
    auto req = scenario_.next(c);
    if (!req) {
      clients_[c] = state::parked;
      return;
    }
    auto now = clock::now();
    auto due = now;
    if (schedule_) {
      due = tokens_.front();
      tokens_.pop_front();
    }
    clients_[c] = state::in_flight;
    ++in_flight_;
    connections_[c / options_.pipeline]->send({c, std::move(*req), due, now});
    if (options_.requests && ++sent_ >= *options_.requests)
      begin_stop();
  }

  void on_tick() {
    if (stopping_)
      return;
    auto now = clock::now();
    schedule_->release_due(now, tokens_);
    while (!tokens_.empty() && !waiting_.empty()) {
      auto c = waiting_.front();
      waiting_.pop_front();
      if (clients_[c] == state::waiting_for_schedule)
        offer(c);
    }
    ticker_.expires_at(std::max(schedule_->next_due(), now + tick));
    ticker_.async_wait([this](beast::error_code ec) {
      if (!ec)
        on_tick();
    });
  }

  void count(const std::string& route, const reply& rep, outcome verdict, clock::duration latency,
             clock::time_point now) {
    ++result_.requests;
    switch (verdict) {
    case outcome::ok:
      ++result_.ok;
      break;
    case outcome::refused:
      ++result_.refused;
      break;
    case outcome::error:
      ++result_.errors;
      break;
    }
    std::string status;
    if (rep.answered()) {
      status = std::to_string(rep.status);
      if (auto code = rep.error_code(); !code.empty())
        status += " " + code;
    } else {
      status = "no reply: " + rep.failure;
    }
    ++result_.statuses[status];
    result_.latency.record(latency);
    result_.by_route[route].record(latency);
    auto second = static_cast<std::size_t>((now - start_) / 1s);
    if (result_.timeline.size() <= second)
      result_.timeline.resize(second + 1);
    auto& s = result_.timeline[second];
    ++s.requests;
    if (verdict == outcome::error)
      ++s.errors;
    s.latency.record(latency);
  }

  void schedule_progress() {
    progress_.expires_at(last_progress_ + 1s);
    progress_.async_wait([this](beast::error_code ec) {
      // A wait that had already expired when maybe_finish cancelled it still
      // runs, without an error: without this check it would go on forever.
      if (ec || finished_)
        return;
      auto now = clock::now();
      auto seconds = std::chrono::duration<double>(now - last_progress_).count();
      auto done = result_.requests - last_requests_;
      std::fprintf(
          stderr,
          "fridgebank-load: %5.0f s  %9.0f req/s  errors %llu  p99 so far %.2f ms  in "
          "flight %llu\n",
          std::chrono::duration<double>(now - start_).count(), done / seconds,
          static_cast<unsigned long long>(result_.errors),
          std::chrono::duration<double, std::milli>(result_.latency.percentile(0.99)).count(),
          static_cast<unsigned long long>(in_flight_));
      last_progress_ = now;
      last_requests_ = result_.requests;
      schedule_progress();
    });
  }

  void begin_stop() {
    if (stopping_)
      return;
    stopping_ = true;
    maybe_finish();
  }

  /// Once stopping and every request is answered or given up on: closes
  /// everything so the io_context runs out of work.
  void maybe_finish() {
    if (!stopping_ || in_flight_ != 0 || finished_)
      return;
    finished_ = true;
    end_ = clock::now();
    deadline_.cancel();
    ticker_.cancel();
    progress_.cancel();
    signals_.cancel();
    for (auto& c : connections_)
      c->close();
  }

  const run_options& options_;
  scenario& scenario_;
  history_log* history_;
  clock::time_point epoch_;
  asio::io_context ioc_;
  tcp::resolver::results_type endpoints_;
  asio::steady_timer deadline_;
  asio::steady_timer ticker_;
  asio::steady_timer progress_;
  asio::signal_set signals_;
  std::vector<std::unique_ptr<connection>> connections_;
  std::vector<state> clients_;
  std::deque<std::size_t> waiting_;      // clients waiting for a due request
  std::deque<clock::time_point> tokens_; // due requests no client has taken yet
  std::optional<open_loop_schedule> schedule_;
  std::vector<std::size_t> wake_;
  std::uint64_t in_flight_ = 0;
  std::uint64_t sent_ = 0;
  bool stopping_ = false;
  bool finished_ = false;
  clock::time_point start_;
  clock::time_point end_;
  clock::time_point last_progress_;
  std::uint64_t last_requests_ = 0;
  run_result result_;
};

void connection::connect_now(const tcp::resolver::results_type& endpoints) {
  stream_.expires_after(owner_.options().timeout);
  beast::error_code ec;
  stream_.socket().close(ec);
  asio::connect(stream_.socket(), endpoints, ec);
  if (ec)
    throw std::runtime_error("cannot connect to " + owner_.options().server.host + ":" +
                             owner_.options().server.port + ": " + ec.message());
  stream_.socket().set_option(tcp::no_delay{true});
  stream_.expires_never();
  online_ = true;
}

void connection::send(pending p) {
  in_flight_.push_back(std::move(p));
  write_next();
  read_next();
}

void connection::write_next() {
  if (writing_ || !online_ || written_ >= in_flight_.size())
    return;
  auto& req = in_flight_[written_].req;
  out_ = {req.method, req.target, 11};
  out_.set(http::field::host, owner_.options().server.host);
  if (!req.body.empty())
    out_.set(http::field::content_type, "application/json");
  out_.body() = req.body;
  out_.prepare_payload();
  writing_ = true;
  stream_.expires_after(owner_.options().timeout);
  http::async_write(stream_, out_, [this, gen = generation_](beast::error_code ec, std::size_t) {
    if (gen != generation_)
      return;
    writing_ = false;
    if (ec)
      return fail_all(ec.message());
    ++written_;
    write_next();
  });
}

void connection::read_next() {
  if (reading_ || !online_ || in_flight_.empty())
    return;
  reading_ = true;
  parser_.emplace();
  parser_->body_limit(body_limit);
  stream_.expires_after(owner_.options().timeout);
  http::async_read(stream_, buffer_, *parser_,
                   [this, gen = generation_](beast::error_code ec, std::size_t) {
                     if (gen != generation_)
                       return;
                     reading_ = false;
                     if (ec)
                       return fail_all(ec == beast::error::timeout ? "timeout" : ec.message());
                     auto& message = parser_->get();
                     bool keep_alive = message.keep_alive();
                     auto p = std::move(in_flight_.front());
                     in_flight_.pop_front();
                     if (written_ > 0)
                       --written_;
                     reply rep{message.result_int(), std::move(message.body()), {}};
                     owner_.on_reply(std::move(p), std::move(rep));
                     if (!keep_alive)
                       return fail_all("the server closed the connection");
                     read_next();
                   });
}

void connection::fail_all(const std::string& why) {
  ++generation_;
  online_ = false;
  writing_ = reading_ = false;
  written_ = 0;
  beast::error_code ignored;
  stream_.socket().close(ignored);
  buffer_.clear();
  auto lost = std::move(in_flight_);
  in_flight_.clear();
  for (auto& p : lost)
    owner_.on_reply(std::move(p), reply{0, {}, why});
  if (!closed_ && !owner_.stopping())
    reconnect_later();
}

void connection::reconnect_later() {
  retry_.expires_after(reconnect_delay);
  retry_.async_wait([this](beast::error_code ec) {
    if (ec || closed_ || owner_.stopping())
      return;
    stream_.expires_after(owner_.options().timeout);
    stream_.async_connect(
        owner_.endpoints(), [this, gen = generation_](beast::error_code ec, const tcp::endpoint&) {
          if (gen != generation_ || closed_)
            return;
          if (ec) {
            owner_.on_connect_failure(ec == beast::error::timeout ? "timeout" : ec.message());
            return reconnect_later();
          }
          stream_.socket().set_option(tcp::no_delay{true});
          stream_.expires_never();
          online_ = true;
          owner_.on_online(index_);
        });
  });
}

void connection::close() {
  closed_ = true;
  ++generation_;
  online_ = false;
  retry_.cancel();
  beast::error_code ignored;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
  stream_.socket().close(ignored);
}

} // namespace

run_result run_load(const run_options& options, scenario& scen, history_log* history,
                    clock::time_point epoch) {
  if (options.connections == 0 || options.pipeline == 0)
    throw std::invalid_argument("--connections and --pipeline must be at least 1");
  driver d{options, scen, history, epoch};
  return d.run();
}

} // namespace fridgebank::load
