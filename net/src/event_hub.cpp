#include "fridgebank/net/event_hub.hpp"

#include "fridgebank/net/event_stream.hpp"

#include <boost/asio/post.hpp>
#include <cassert>
#include <charconv>

namespace fridgebank::net {

namespace asio = boost::asio;
using clock = std::chrono::steady_clock;

namespace {

std::uint64_t microseconds_since_epoch() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch())
      .count();
}

std::optional<std::uint64_t> parse_id(std::string_view text) {
  std::uint64_t k = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), k);
  if (ec != std::errc{} || end != text.data() + text.size())
    return std::nullopt;
  return k;
}

} // namespace

/// The streams of one I/O context and the timer that feeds them. `streams`
/// is only touched on that context's thread; `pending` and `overflowed`
/// under the hub's mutex.
struct event_hub::pump {
  explicit pump(asio::io_context& ctx) : io(ctx), timer(ctx) {}
  asio::io_context& io;
  asio::steady_timer timer;
  std::atomic<bool> scheduled{false};
  std::vector<std::weak_ptr<event_stream>> streams;
  /// Frames published since the last run, with their sequence numbers: the
  /// live path does not depend on the replay ring, so a burst longer than
  /// the ring between two runs loses nothing (up to `max_pending`).
  std::vector<std::pair<std::uint64_t, std::shared_ptr<const std::string>>> pending;
  bool overflowed = false; // more than max_pending: its streams missed frames
};

std::string sse_frame(std::uint64_t id, std::string_view type, std::string_view data) {
  // `data` is one line of JSON (no raw line breaks: JSON escapes them).
  assert(data.find('\n') == std::string_view::npos && data.find('\r') == std::string_view::npos);
  std::string out;
  out.reserve(data.size() + type.size() + 40);
  if (id != 0) {
    out += "id: ";
    out += std::to_string(id);
    out += '\n';
  }
  out += "event: ";
  out += type;
  out += "\ndata: ";
  out += data;
  out += "\n\n";
  return out;
}

event_hub::event_hub(event_hub_options options)
    : options_(options), boot_(microseconds_since_epoch()), last_id_(boot_) {
  assert(options_.buffer > 0 && options_.max_streams > 0);
}

event_hub::~event_hub() = default;

bool event_hub::wanted() const {
  if (streams_.load(std::memory_order_relaxed) > 0)
    return true;
  return steady_ns() < record_until_ns_.load(std::memory_order_relaxed);
}

void event_hub::skipped() {
  // No lock on this path (every change while nobody watches), and a store
  // only when the mark moves: no cache line bounces between publishers.
  auto last = last_id_.load(std::memory_order_relaxed);
  if (skipped_after_.load(std::memory_order_relaxed) != last)
    skipped_after_.store(last, std::memory_order_relaxed);
}

void event_hub::publish(change_event event) {
  {
    // The id is taken and the frame appended under one lock: the ring stays
    // in id order whichever thread publishes.
    std::lock_guard guard{mutex_};
    auto id = last_id_.load(std::memory_order_relaxed) + 1;
    last_id_.store(id, std::memory_order_relaxed);
    append(id, sse_frame(id, event.type, event.data));
    wake_all();
  }
}

void event_hub::publish_live(std::string_view type, std::string_view data) {
  {
    std::lock_guard guard{mutex_};
    append(0, sse_frame(0, type, data));
    wake_all();
  }
}

void event_hub::append(std::uint64_t id, std::string text) {
  auto shared = std::make_shared<const std::string>(std::move(text));
  for (auto& p : pumps_) {
    if (p->pending.size() >= options_.max_pending) {
      p->pending.clear(); // its streams are reset at its next run
      p->overflowed = true;
    }
    p->pending.emplace_back(next_seq_, shared);
  }
  ring_.push_back(frame{id, std::move(shared)});
  ++next_seq_;
  if (ring_.size() > options_.buffer)
    ring_.pop_front();
}

void event_hub::wake_all() {
  for (auto& p : pumps_)
    wake(*p);
}

void event_hub::wake(pump& p) {
  if (p.scheduled.exchange(true))
    return; // a run is due: it takes this frame too
  asio::post(p.io, [this, &p] {
    p.timer.expires_after(options_.batch_window);
    p.timer.async_wait([this, &p](boost::system::error_code ec) {
      if (!ec)
        run(p);
    });
  });
}

void event_hub::run(pump& p) {
  p.scheduled.store(false); // a frame appended from now on wakes us again
  decltype(p.pending) frames;
  bool gap = false;
  {
    // Only pointers change hands under the lock: publishers wait for no copy.
    std::lock_guard guard{mutex_};
    frames.swap(p.pending);
    gap = std::exchange(p.overflowed, false);
  }
  if (frames.empty() && !gap)
    return;
  auto batch = std::make_shared<event_batch>();
  batch->first_seq = frames.empty() ? 0 : frames.front().first;
  for (const auto& [seq, f] : frames) {
    assert(seq == batch->end_seq()); // appended in order, none skipped
    batch->starts.push_back(batch->bytes.size());
    batch->bytes += *f;
  }
  std::erase_if(p.streams, [](const std::weak_ptr<event_stream>& w) { return w.expired(); });
  auto shared = std::shared_ptr<const event_batch>(std::move(batch));
  for (auto& w : p.streams)
    if (auto s = w.lock()) {
      if (gap) // more frames came than a pump holds before it ran: they are missed
        s->end("reset", "events were missed; load the lists again");
      else
        s->offer(shared);
    }
}

void event_hub::attach(asio::io_context& io) {
  pumps_.push_back(std::make_unique<pump>(io));
  if (!ticker_)
    ticker_ = std::make_unique<asio::steady_timer>(io);
}

void event_hub::detach() {
  std::lock_guard guard{mutex_}; // publishers read pumps_ under it (wake_all)
  pumps_.clear();
  ticker_.reset();
}

void event_hub::every_second(std::function<void()> tick) {
  tick_ = std::move(tick);
}

void event_hub::start_ticker() {
  if (ticker_ && !ticking_.exchange(true))
    asio::post(ticker_->get_executor(), [this] { tick(); });
}

void event_hub::tick() {
  ticker_->expires_after(std::chrono::seconds{1});
  ticker_->async_wait([this](boost::system::error_code ec) {
    if (ec)
      return;
    if (streams() == 0) {
      ticking_.store(false);
      if (streams() > 0) // a stream came meanwhile and found us ticking
        start_ticker();
      return;
    }
    if (tick_)
      tick_();
    tick();
  });
}

bool event_hub::acquire() {
  auto n = streams_.load(std::memory_order_relaxed);
  do {
    if (n >= options_.max_streams)
      return false;
  } while (!streams_.compare_exchange_weak(n, n + 1));
  return true;
}

void event_hub::release() {
  auto before = streams_.fetch_sub(1);
  assert(before > 0);
  if (before == 1) {
    record_until_ns_.store(
        steady_ns() +
        std::chrono::duration_cast<std::chrono::nanoseconds>(options_.keep_after_last).count());
    std::lock_guard guard{closed_mutex_};
    all_closed_.notify_all();
  }
}

void event_hub::wait_closed(clock::time_point deadline) {
  std::unique_lock lock{closed_mutex_};
  all_closed_.wait_until(lock, deadline, [this] { return streams() == 0; });
}

std::optional<std::vector<std::shared_ptr<const std::string>>>
event_hub::replay_after(std::uint64_t k) const {
  // Another run's id, one not given yet, or changes after it that went
  // unrecorded: no replay.
  auto last = last_id_.load(std::memory_order_relaxed);
  if (k < boot_ || k > last || k <= skipped_after_.load(std::memory_order_relaxed))
    return std::nullopt;
  std::vector<std::shared_ptr<const std::string>> out;
  bool next_kept = k == last; // nothing after k: the replay is empty
  for (const auto& f : ring_) {
    if (f.id <= k) // a live frame (0) or one the client has
      continue;
    next_kept = next_kept || f.id == k + 1;
    if (!next_kept)
      return std::nullopt; // the ring starts after k + 1: changes were lost
    out.push_back(f.text);
  }
  if (!next_kept)
    return std::nullopt;
  return out;
}

std::string event_hub::subscribe(const std::shared_ptr<event_stream>& stream, asio::io_context& io,
                                 std::optional<std::string_view> last_event_id,
                                 std::uint64_t& next_seq) {
  pump* mine = nullptr;
  for (auto& p : pumps_)
    if (&p->io == &io)
      mine = p.get();
  assert(mine != nullptr); // every context was attached before the server started
  mine->streams.push_back(stream);
  start_ticker();
  std::optional<std::vector<std::shared_ptr<const std::string>>> replay;
  std::uint64_t reset_id = 0;
  {
    std::lock_guard guard{mutex_};
    next_seq = next_seq_;
    if (!last_event_id)
      // Only an id (no event fires): the browser's next reconnect carries
      // it, so what it misses while away is replayed or reset, never lost.
      return "id: " + std::to_string(last_id_.load(std::memory_order_relaxed)) + "\n\n";
    if (auto k = parse_id(*last_event_id))
      replay = replay_after(*k);
    if (!replay) {
      // The reset takes an id of its own (no frame has it): a client that
      // reloads holds everything up to it, also changes that went
      // unrecorded before, so its next reconnect resumes from here.
      reset_id = last_id_.load(std::memory_order_relaxed) + 1;
      last_id_.store(reset_id, std::memory_order_relaxed);
    }
  }
  if (!replay)
    return sse_frame(reset_id, "reset",
                     encode_reason("the events after your last one are not kept; "
                                   "load the lists again"));
  std::string out;
  for (const auto& f : *replay)
    out += *f;
  return out;
}

void event_hub::close_all() {
  closing_.store(true);
  for (auto& p : pumps_)
    asio::post(p->io, [&p = *p] {
      for (auto& w : p.streams)
        if (auto s = w.lock())
          s->end("shutdown", "the server is shutting down");
    });
}

} // namespace fridgebank::net
