#pragma once

// The bridge from I/O threads to actors. An I/O thread never blocks on an
// actor: it hands the bridge a request and a continuation, a bridge actor
// sends the request with a timeout, and the continuation runs with the reply
// (or the error) on a CAF thread. The continuation is expected to post back
// to the session's executor; it must not block.

#include <atomic>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/send.hpp>
#include <chrono>
#include <functional>
#include <utility>
#include <vector>

namespace fridgebank::net {

/// Work for a bridge actor: issue one request as `self`.
using bridge_job = std::function<void(caf::event_based_actor* self)>;

class bridge {
public:
  /// `actors` bridge actors share the requests round-robin, so one busy
  /// bridge never becomes the bottleneck of many I/O threads.
  bridge(caf::actor_system& sys, std::size_t actors, std::chrono::milliseconds timeout);

  /// Sends `xs...` to `dest` and calls `done(expected<Reply>)` exactly once:
  /// with the reply, with the actor's error, or with a timeout.
  template <class Reply, class Handle, class Done, class... Ts>
  void request(const Handle& dest, Done done, Ts... xs) {
    auto timeout = timeout_;
    submit([dest, timeout, done = std::move(done), xs...](caf::event_based_actor* self) mutable {
      self->request(dest, timeout, xs...)
          .then([done](Reply& reply) mutable { done(caf::expected<Reply>{std::move(reply)}); },
                [done](caf::error& err) mutable { done(caf::expected<Reply>{std::move(err)}); });
    });
  }

  /// Runs `job` on a bridge actor (for exchanges of more than one message).
  void run(bridge_job job) { submit(std::move(job)); }

  std::chrono::milliseconds timeout() const { return timeout_; }

  /// Sends every bridge actor its pill. Call once no thread submits any more.
  void close();

  ~bridge() { close(); }

private:
  void submit(bridge_job job);

  std::vector<caf::actor> actors_;
  std::atomic<std::size_t> next_{0};
  std::chrono::milliseconds timeout_;
};

} // namespace fridgebank::net

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fridgebank::net::bridge_job)
