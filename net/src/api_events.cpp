// The routes that show the actors live: `GET /events` (the stream,
// event_hub.hpp and event_stream.hpp) and the figures it carries once a
// second; `GET /` (the dashboard that follows it) is in dashboard.cpp.

#include "fridgebank/net/api.hpp"
#include "fridgebank/net/error_reply.hpp"
#include "fridgebank/net/event_stream.hpp"
#include "fridgebank/protocol/events.hpp"

#include <deque>

namespace fridgebank::net {

namespace {

/// What the figures are computed from: counters at one moment.
struct figures_sample {
  std::chrono::steady_clock::time_point at;
  std::uint64_t requests = 0;
  std::vector<std::uint64_t> latencies;
  std::uint64_t commits = 0;
};

/// The latencies of a window: `now` minus `then`, bucket by bucket.
std::vector<std::uint64_t> window_of(const figures_sample& now, const figures_sample& then) {
  auto out = now.latencies;
  for (std::size_t i = 0; i < out.size() && i < then.latencies.size(); ++i)
    out[i] -= std::min(out[i], then.latencies[i]);
  return out;
}

double per_second(std::uint64_t now, std::uint64_t then, std::chrono::duration<double> elapsed) {
  if (elapsed.count() <= 0 || now < then)
    return 0;
  return static_cast<double>(now - then) / elapsed.count();
}

} // namespace

/// The last few seconds of samples: the rates over the last one, the
/// latency percentiles over all of them. Touched by one tick at a time.
struct api::figures_history {
  static constexpr std::size_t kept = 6; // 5 s of percentiles
  std::deque<figures_sample> samples;
};

api::~api() = default;

void api::serve_events(event_hub& hub) {
  events_ = &hub;
  history_ = std::make_shared<figures_history>();
  hub.every_second([this] { tick_figures(); });
}

void api::add_event_routes() {
  routes_.add(http::verb::get, "/events", [this](request_context& ctx, responder respond) {
    if (!events_) {
      respond(error_reply(error_code::not_found,
                          "this front end holds no actors: GET /events on an actor node's own "
                          "HTTP port"));
      return;
    }
    if (events_->streams() >= events_->options().max_streams) {
      respond(error_reply(error_code::overloaded,
                          "too many event streams (--max-event-streams " +
                              std::to_string(events_->options().max_streams) + ")"));
      return;
    }
    // The session turns this answer into a stream (session.hpp); the body
    // carries the resume point to it, it is never sent.
    response res{http::status::ok, 11};
    res.set(http::field::content_type, event_stream_type);
    if (auto it = ctx.req.find("Last-Event-ID"); it != ctx.req.end())
      res.body() = std::string{it->value()};
    respond(std::move(res));
  });
}

void api::tick_figures() {
  if (figures_busy_.exchange(true))
    return; // the last tick still waits for an actor
  figures_sample now{std::chrono::steady_clock::now(), stats_->requests(),
                     stats_->latency().counts(), 0};
  ask_figures([this, now](actor_figures actors) mutable {
    auto& samples = history_->samples;
    if (actors.journal)
      now.commits = actors.journal->commits;
    live_figures f;
    if (!samples.empty()) {
      const auto& last = samples.back();
      f.requests_per_second = per_second(now.requests, last.requests, now.at - last.at);
      f.commits_per_second = per_second(now.commits, last.commits, now.at - last.at);
      auto window = window_of(now, samples.front());
      f.p50_ms = stats_->latency().quantile(window, 0.50) * 1000;
      f.p99_ms = stats_->latency().quantile(window, 0.99) * 1000;
    }
    f.open_connections = stats_->open_connections();
    f.event_streams = static_cast<std::int64_t>(events_->streams());
    f.event_streams_dropped = events_->dropped();
    f.fridges = actors.fridges;
    f.total = actors.total;
    samples.push_back(std::move(now));
    if (samples.size() > figures_history::kept)
      samples.pop_front();
    events_->publish_live("metrics", encode(f));
    figures_busy_ = false;
  });
}

void api::ask_figures(std::function<void(actor_figures)> done) {
  // Some figures live in actors; ask them one after the other. An actor
  // that does not answer leaves its figure at zero (or none).
  auto& b = bridge_;
  auto backend = backend_;
  auto with_journal = [&b, backend, done](actor_figures f) {
    if (!backend.journal)
      return done(std::move(f));
    b.request<journal_stats>(
        backend.journal,
        [done, f](caf::expected<journal_stats> j) mutable {
          if (j)
            f.journal = *j;
          done(std::move(f));
        },
        stats_atom::value);
  };
  auto with_total = [&b, backend, with_journal](actor_figures f) {
    b.request<ledger_snapshot>(
        backend.bank,
        [with_journal, f](caf::expected<ledger_snapshot> l) mutable {
          if (l)
            f.total = l->total;
          with_journal(std::move(f));
        },
        snapshot_atom::value, page_request{"", 1});
  };
  auto with_accounts = [&b, backend, with_total](actor_figures f) {
    b.request<std::size_t>(
        backend.bank,
        [with_total, f](caf::expected<std::size_t> n) mutable {
          f.accounts = n ? *n : 0;
          with_total(std::move(f));
        },
        count_atom::value);
  };
  b.request<std::size_t>(
      backend.directory,
      [with_accounts](caf::expected<std::size_t> n) {
        actor_figures f;
        f.fridges = n ? *n : 0;
        with_accounts(std::move(f));
      },
      count_atom::value);
}

} // namespace fridgebank::net
