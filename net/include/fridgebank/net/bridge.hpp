#pragma once

// The bridge from I/O threads to actors. An I/O thread never blocks on an
// actor: it hands the bridge a request and a continuation, and the
// continuation runs with the reply (or the error, or a timeout) on the
// thread that delivers it. The continuation is expected to post back to the
// session's executor; it must not block.
//
// A request goes straight into the receiver's mailbox, sent in the name of
// one `actor_companion` whose mailbox is a callback: the reply resolves the
// request's entry in `pending_requests`. No actor of ours stands in between:
// a bridge actor there cost one more message, a turn of that actor and a CAF
// timeout per drink (measured in bench/NOTES.md).

#include "fridgebank/net/pending_requests.hpp"

#include <atomic>
#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>
#include <caf/actor_system.hpp>
#include <caf/allowed_unsafe_message_type.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/expected.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message_id.hpp>
#include <caf/sec.hpp>
#include <caf/type_erased_tuple.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace fridgebank::net {

/// Work for a bridge actor: issue one request as `self`.
using bridge_job = std::function<void(caf::event_based_actor* self)>;

/// A reply's content as the `Reply` it should be: the value, the error the
/// receiver answered, or `unexpected_response`.
template <class Reply> caf::expected<Reply> reply_as(caf::type_erased_tuple& reply) {
  if (reply.match_elements<Reply>())
    return reply.move_if_unshared<Reply>(0);
  if (reply.match_elements<caf::error>())
    return reply.get_as<caf::error>(0);
  return caf::make_error(caf::sec::unexpected_response);
}

class bridge {
public:
  /// `actors` bridge actors share the exchanges of more than one message
  /// (`run`) round-robin; single requests need no actor of ours.
  bridge(caf::actor_system& sys, std::size_t actors, std::chrono::milliseconds timeout);

  /// Sends `xs...` to `dest` and calls `done(expected<Reply>)` exactly once:
  /// with the reply, with the actor's error, or with a timeout.
  template <class Reply, class Handle, class Done, class... Ts>
  void request(const Handle& dest, Done done, Ts... xs) {
    auto id = pending_->open([done = std::move(done)](caf::type_erased_tuple& reply) mutable {
      done(reply_as<Reply>(reply));
    });
    auto receiver = caf::actor_cast<caf::strong_actor_ptr>(dest);
    if (!receiver) {
      pending_->fail(id, caf::make_error(caf::sec::invalid_argument, "no receiver"));
      return;
    }
    // Registered before it is sent: the reply may arrive before enqueue returns.
    receiver->enqueue(
        caf::make_mailbox_element(replies_, caf::make_message_id(id), {}, std::move(xs)...),
        nullptr);
  }

  /// Runs `job` on a bridge actor (for exchanges of more than one message).
  void run(bridge_job job) { submit(std::move(job)); }

  std::chrono::milliseconds timeout() const { return pending_->timeout(); }

  /// The address every single request is sent from (and its reply to): it
  /// stands for no one, so a relay may batch what it sends.
  caf::actor_addr sender() const { return caf::actor_cast<caf::actor_addr>(replies_); }

  /// The deadlines of every request, also of exchanges that an actor of
  /// ours answers (`pending_requests::settle`); shared, since such an actor
  /// may outlive the bridge.
  std::shared_ptr<pending_requests> deadlines() const { return pending_; }

  /// Stops the bridge actors (after the jobs already sent) and the reply
  /// companion. Call once no thread submits any more.
  void close();

  ~bridge() { close(); }

private:
  void submit(bridge_job job);

  std::shared_ptr<pending_requests> pending_;
  caf::strong_actor_ptr replies_; // the companion every reply is sent to
  std::vector<caf::actor> actors_;
  std::atomic<std::size_t> next_{0};
};

} // namespace fridgebank::net

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(fridgebank::net::bridge_job)
