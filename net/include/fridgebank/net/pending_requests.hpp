#pragma once

// Requests sent from outside any actor, waiting for their replies. Each has
// a deadline; a sweeper thread answers the ones whose deadline passes with
// CAF's own `request_timeout`, so every request is answered exactly once.
//
// Why not CAF's timeouts: a CAF request timeout is an event for the actor
// clock's thread, set and cancelled per request, and each one wakes that
// thread (perf under the drink benchmark: the clock thread took 10 % of the
// samples). Deadlines here are kept in request order, so the sweeper sleeps
// until the oldest one and wakes about once per timeout while busy; after
// the last request it wakes once more, then not until the next.

#include <caf/error.hpp>
#include <caf/type_erased_tuple.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace fridgebank::net {

class pending_requests {
public:
  /// Called exactly once, with the reply's content or with an error.
  using continuation = std::function<void(caf::type_erased_tuple&)>;

  explicit pending_requests(std::chrono::milliseconds timeout);
  ~pending_requests() { close(); }

  pending_requests(const pending_requests&) = delete;
  pending_requests& operator=(const pending_requests&) = delete;

  /// Registers `then` and returns the request's id (never 0).
  std::uint64_t open(continuation then);

  /// The reply to `id` arrived: runs its continuation unless it already
  /// timed out (then the late reply is dropped).
  void resolve(std::uint64_t id, caf::type_erased_tuple& reply);

  /// Answers `id` with `err` at once (a request that could not be sent).
  void fail(std::uint64_t id, caf::error err);

  /// For an exchange answered by someone else (an actor of ours): true when
  /// `id` was still open, and is now closed without running its
  /// continuation, so the caller answers; false when it timed out already.
  bool settle(std::uint64_t id) { return take(id).has_value(); }

  /// Whether `id` is still waiting for its answer (not answered, not expired).
  bool waiting(std::uint64_t id);

  std::chrono::milliseconds timeout() const { return timeout_; }

  /// Stops the sweeper; requests still open are dropped unanswered. Call
  /// once nobody waits for them any more (the I/O threads have stopped).
  void close();

private:
  using clock = std::chrono::steady_clock;

  struct entry {
    clock::time_point deadline;
    continuation then;
  };

  std::optional<continuation> take(std::uint64_t id);
  void sweep();

  const std::chrono::milliseconds timeout_;
  std::mutex mutex_;
  std::condition_variable wake_;
  // Ids grow with time and the timeout is the same for all, so the first
  // entry is always the one due first.
  std::map<std::uint64_t, entry> open_;
  std::uint64_t next_id_ = 1;
  bool sweeper_idle_ = false; // in an untimed wait: only a new request wakes it
  bool closing_ = false;
  std::thread sweeper_;
};

} // namespace fridgebank::net
