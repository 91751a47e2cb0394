#pragma once

// How a state-owning actor answers when it has a journal: the reply (and the
// effects behind it) go to the journal, which answers the requester once they
// are durable. Without a journal (in-memory mode) the reply goes out at once,
// and the actor itself tells the event sink of the change (protocol/events.hpp).

#include "fridgebank/actors/journal_link.hpp"
#include "fridgebank/protocol/journal.hpp"

#include <caf/result.hpp>
#include <caf/typed_response_promise.hpp>
#include <chrono>
#include <concepts>
#include <utility>

namespace fridgebank::detail {

/// How long an actor waits for the journal when it must hold back an error.
inline constexpr std::chrono::seconds journal_wait{30};

/// In memory: the change is made, tell whoever watches (`make_entry` is
/// only called when someone does).
template <class Reply, std::invocable MakeEntry>
void tell_events(const journal_link& link, MakeEntry make_entry, const Reply& reply) {
  if (!link.events)
    return;
  if (!link.events->wanted()) {
    link.events->skipped();
    return;
  }
  if (auto event = event_of(make_entry(), reply))
    link.events->publish(std::move(*event));
}

template <class Reply, class Self>
caf::result<Reply> after_commit(Self* self, const journal_link& link, journal_entry entry,
                                Reply reply) {
  if (!link.journal) {
    tell_events(
        link, [&entry]() -> const journal_entry& { return entry; }, reply);
    return reply;
  }
  entry.epoch = link.epoch;
  return self->delegate(link.journal, commit_atom::value, std::move(entry), std::move(reply));
}

/// As above, but the effects are made only when a journal will take them:
/// in memory, a drink need not build the record it would throw away.
template <class Reply, class Self, std::invocable MakeEntry>
caf::result<Reply> after_commit(Self* self, const journal_link& link, MakeEntry make_entry,
                                Reply reply) {
  if (!link.journal) {
    tell_events(link, make_entry, reply);
    return reply;
  }
  return after_commit(self, link, make_entry(), std::move(reply));
}

/// A read: answered after every effect before it is durable.
template <class Reply, class Self>
caf::result<Reply> after_commit(Self* self, const journal_link& link, Reply reply) {
  if (!link.journal)
    return reply; // nothing changed: nothing to tell
  return after_commit(self, link, journal_entry{}, std::move(reply));
}

/// Calls `done` (with nothing, or with the journal's error) once every
/// effect handed to the journal before now is durable; at once in memory.
template <class Self, class Done>
void when_durable(Self* self, const journal_link& link, Done done) {
  if (!link.journal) {
    done(caf::error{});
    return;
  }
  journal_entry barrier;
  barrier.epoch = link.epoch;
  self->request(link.journal, journal_wait, commit_atom::value, std::move(barrier), fridge_state{})
      .then([done](const fridge_state&) mutable { done(caf::error{}); },
            [done](caf::error& failed) mutable { done(std::move(failed)); });
}

/// An error that tells something about the state (a conflict, a stopped
/// fridge, an unchanged balance) waits, like a read, for what it reveals to
/// be durable.
template <class Reply, class Self>
caf::result<Reply> error_after_commit(Self* self, const journal_link& link, caf::error err) {
  if (!link.journal)
    return err;
  auto rp = self->template make_response_promise<Reply>();
  when_durable(self, link, [rp, err](caf::error failed) mutable {
    rp.deliver(failed ? std::move(failed) : err);
  });
  return rp;
}

} // namespace fridgebank::detail
