#pragma once

// GET /events: Server-Sent Events (HTML Living Standard, "Server-sent
// events"). The protocol, in one place:
//
//   publish (actor or journal thread, after the change is durable)
//     -> the hub frames it (`id: N`, `event: TYPE`, `data: JSON`) into a
//        bounded ring of the last `buffer` frames (for Last-Event-ID) and
//        into each I/O context's pump (at most `max_pending` frames between
//        two runs, else its streams get `reset`), and wakes each pump once
//        (a timer `batch_window` long: one wake-up and one write per stream
//        for everything published meanwhile)
//   pump (I/O thread) -> every stream on its context gets the new frames as
//        one shared piece; a stream whose unwritten bytes pass
//        `max_queued_bytes` is dropped with a last `dropped` event
//   stream (event_stream.hpp) -> writes, never reads a request again.
//
// Ids increase: N = the process's start in microseconds since the Unix
// epoch, plus one per change event; so an id from an earlier run of the
// server is below every id of this one. A new stream without Last-Event-ID
// is first sent the last id (an `id:` line alone, no event), so a browser
// that reconnects always says where it was. A stream opened with
// `Last-Event-ID: K` first gets every buffered change after K; when that is
// not possible (K from another run, older than the ring, or changes after K
// went unrecorded because nobody watched), one `reset` event instead: load
// the lists again. The `metrics` figures have no id and are not replayed.
//
// Cost: a change nobody watches costs `wanted()`, one atomic load (and a
// clock read once no stream is open); changes stay recorded for
// `keep_after_last` after the last stream closed, so a client that
// reconnects after a blip resumes.

#include "fridgebank/protocol/events.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fridgebank::net {

class event_stream;

struct event_hub_options {
  std::size_t buffer = 4096;              // frames kept for Last-Event-ID
  std::size_t max_streams = 100;          // --max-event-streams; beyond: 503
  std::size_t max_queued_bytes = 1 << 20; // per stream; beyond: dropped
  std::size_t max_pending = 1 << 16;      // frames for one I/O context between two runs
  std::chrono::milliseconds batch_window{20};
  std::chrono::seconds keep_after_last{30};
};

/// Frames published together, shared by every stream that writes them.
/// Frame i has sequence number `first_seq + i` and starts at `starts[i]`.
struct event_batch {
  std::string bytes;
  std::uint64_t first_seq = 0;
  std::vector<std::size_t> starts;
  std::uint64_t end_seq() const { return first_seq + starts.size(); }
};

/// One SSE frame: `id:` (when `id` is not 0), `event:`, `data:`.
std::string sse_frame(std::uint64_t id, std::string_view type, std::string_view data);

class event_hub final : public event_sink {
public:
  explicit event_hub(event_hub_options options = {});
  ~event_hub() override;

  // -- event_sink: any thread ------------------------------------------------
  bool wanted() const override;
  void skipped() override;
  void publish(change_event event) override;

  /// An event with no id (the figures): for the streams open now.
  void publish_live(std::string_view type, std::string_view data);

  // -- wiring, before the server starts ---------------------------------------
  /// An I/O context streams will live on.
  void attach(boost::asio::io_context& io);
  /// Called once a second (on the first context) while a stream is open.
  void every_second(std::function<void()> tick);
  /// Drops the timers, once the contexts have stopped and before they are
  /// destroyed; the hub publishes into its ring only from then on.
  void detach();

  // -- streams, on their I/O thread -------------------------------------------
  const event_hub_options& options() const { return options_; }
  std::size_t streams() const { return streams_.load(std::memory_order_relaxed); }
  /// Takes a stream's place; false when `max_streams` are open.
  bool acquire();
  void release();
  /// Streams dropped for reading too slowly, since the start.
  std::uint64_t dropped() const { return dropped_.load(std::memory_order_relaxed); }
  void count_drop() { dropped_.fetch_add(1, std::memory_order_relaxed); }

  /// What a new stream is sent first: the changes after `last_event_id`, or
  /// a `reset` event, or (no Last-Event-ID) the last id alone. From then on
  /// the pump of `io` offers it every frame after `next_seq`.
  std::string subscribe(const std::shared_ptr<event_stream>& stream, boost::asio::io_context& io,
                        std::optional<std::string_view> last_event_id, std::uint64_t& next_seq);

  /// Graceful stop: every stream gets a `shutdown` event and closes, also
  /// one that starts from now on.
  void close_all();
  bool closing() const { return closing_.load(); }
  /// Waits until every stream has closed (its last event written), or until
  /// `deadline`.
  void wait_closed(std::chrono::steady_clock::time_point deadline);

private:
  struct frame {
    std::uint64_t id;                        // 0: a live event, not replayed
    std::shared_ptr<const std::string> text; // shared: copied outside the lock
  };
  struct pump;

  /// Puts a frame in the ring (under mutex_).
  void append(std::uint64_t id, std::string text);
  void wake_all();
  void wake(pump& p);
  void start_ticker();
  void run(pump& p);
  void tick();
  /// The frames to replay after `k` (under mutex_), or nullopt when they
  /// cannot be given (see above).
  std::optional<std::vector<std::shared_ptr<const std::string>>>
  replay_after(std::uint64_t k) const;

  event_hub_options options_;
  const std::uint64_t boot_; // ids of this run start above it

  mutable std::mutex mutex_; // the ring and the ids
  std::deque<frame> ring_;
  std::uint64_t next_seq_ = 0;                  // the sequence number of the next frame
  std::atomic<std::uint64_t> last_id_;          // the last change id given (written under mutex_)
  std::atomic<std::uint64_t> skipped_after_{0}; // last id before an unrecorded change

  std::atomic<std::size_t> streams_{0};
  std::mutex closed_mutex_;
  std::condition_variable all_closed_;
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<std::int64_t> record_until_ns_{0}; // steady clock, after the last stream left
  std::vector<std::unique_ptr<pump>> pumps_;
  std::function<void()> tick_;
  std::unique_ptr<boost::asio::steady_timer> ticker_;
  std::atomic<bool> ticking_{false};
  std::atomic<bool> closing_{false};
};

} // namespace fridgebank::net
