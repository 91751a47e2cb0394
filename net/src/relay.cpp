#include "relay.hpp"

#include "fridgebank/protocol/batching.hpp"
#include "fridgebank/protocol/error_code.hpp"

#include <algorithm>
#include <caf/actor_cast.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <cassert>
#include <chrono>
#include <utility>
#include <vector>

namespace fridgebank::net {

namespace {

/// A batch server and the requests it was given.
struct route {
  caf::actor server; // empty: no batching
  outbox box;
};

struct relay_data {
  /// Not an aggregate: CAF constructs a state from the actor's own pointer
  /// when it can, and C++20 would then make `target` the relay itself (a
  /// relay that forwards to itself forever, found when one was used before
  /// its node had ever been reached).
  relay_data() = default;
  caf::actor target;   // empty while the node is unreachable
  std::string address; // the node's HOST:PORT, for the error
  /// Whose requests are batched: the bridge's (batching.hpp); and when its
  /// deadline has answered a request for sure.
  caf::actor_addr batched_sender;
  caf::timespan deadline{std::chrono::minutes{1}};
  route current; // where new batches go
  /// Servers of a node whose actor went down, whose answers may still come
  /// (a draining node answers what it was given).
  std::vector<route> retired;
  static inline const char* name = "fridgebank.relay";
};

using relay_pointer = caf::stateful_actor<relay_data>*;

caf::error unreachable(const relay_data& st) {
  return make_error(error_code::unavailable, "the actor node " + st.address + " is unreachable");
}

/// No new batches through the current server: what waits never left and is
/// answered `unavailable`; what is in flight is still awaited from it.
void retire_current(relay_pointer self) {
  auto& st = self->state;
  st.current.box.fail_waiting(unreachable(st), self->context());
  if (st.current.server && st.current.box.in_flight() > 0)
    st.retired.push_back(std::move(st.current));
  else if (st.current.server)
    self->demonitor(st.current.server);
  st.current = route{};
}

/// Retired servers that have answered (or forgotten) everything they were
/// given: no longer listened to.
void drop_finished_retired(relay_pointer self) {
  auto& st = self->state;
  auto finished = [self](const route& r) {
    if (r.box.in_flight() > 0)
      return false;
    self->demonitor(r.server);
    return true;
  };
  st.retired.erase(std::remove_if(st.retired.begin(), st.retired.end(), finished),
                   st.retired.end());
}

/// A batch server went down (its connection, or itself): what it had in
/// flight is left to its requesters' deadlines; what waited for it goes the
/// direct way while there is a node to go to.
void lose_server(relay_pointer self, const caf::actor_addr& server) {
  auto& st = self->state;
  if (st.current.server && st.current.server.address() == server) {
    if (st.target)
      st.current.box.send_waiting_to(st.target, self->context());
    retire_current(self);
  }
  auto gone = [&](const route& r) { return r.server.address() == server; };
  st.retired.erase(std::remove_if(st.retired.begin(), st.retired.end(), gone), st.retired.end());
}

/// The route whose server sent the message being handled, if any.
route* route_of_sender(relay_pointer self) {
  auto& st = self->state;
  auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  if (st.current.server && st.current.server.address() == sender)
    return &st.current;
  for (auto& r : st.retired)
    if (r.server.address() == sender)
      return &r;
  return nullptr;
}

void deliver(relay_pointer self, batch& replies) {
  auto* r = route_of_sender(self);
  if (!r)
    return; // a server we no longer listen to
  r->box.deliver(replies, self->context());
  if (r != &self->state.current)
    drop_finished_retired(self);
}

/// Sends what waits, in batches of at most `max_batched_requests`, and forgets what
/// is in flight past its requesters' deadlines.
void flush(relay_pointer self) {
  auto& st = self->state;
  assert((st.current.server || !st.current.box.waiting()) && "requests batched for no server");
  auto now = self->clock().now();
  do
    if (auto requests = st.current.box.take(now, now - st.deadline); !requests.empty())
      self->send(st.current.server, batch_atom::value, std::move(requests));
  while (st.current.box.waiting());
  for (auto& r : st.retired)
    r.box.take(now, now - st.deadline); // nothing waits there: this only forgets
  drop_finished_retired(self);
}

/// The current server's node is stopping and asks for a sync (batching.hpp):
/// every batch it sent has been delivered. Its actors have drained, so from
/// now on nothing is sent there: what waits, and what comes, is answered
/// `unavailable` until the node is reached again. True when this closed
/// the way; a sync from a server retired before only confirms.
bool close_synced(relay_pointer self) {
  auto& st = self->state;
  auto sender = caf::actor_cast<caf::actor_addr>(self->current_sender());
  if (!st.current.server || st.current.server.address() != sender)
    return false;
  st.target = nullptr;
  retire_current(self);
  return true;
}

/// Whether the message being handled goes into the next batch.
bool batched(relay_pointer self) {
  auto& st = self->state;
  auto* x = self->current_mailbox_element();
  return st.current.server && x->mid.is_request() && x->sender &&
         x->sender.get() == st.batched_sender.get();
}

/// Forwards everything to `target`: the bridge's requests in batches through
/// the node's batch server (fridgebank/protocol/batching.hpp), anyone
/// else's one by one, keeping the original sender and request id, so the
/// reply goes straight back to the requester.
caf::behavior relay(relay_pointer self) {
  self->set_down_handler([self](caf::down_msg& down) { lose_server(self, down.source); });
  self->set_default_handler(
      [self](caf::scheduled_actor*, caf::message_view& x) -> caf::result<caf::message> {
        auto& st = self->state;
        if (!st.target)
          return unreachable(st);
        if (!batched(self))
          self->delegate(st.target, x.move_content_to_message());
        else if (st.current.box.add(*self->current_mailbox_element()))
          self->send(self, batch_flush_atom::value);
        return caf::delegated<caf::message>{};
      });
  return {
      [self](target_atom, caf::actor& target) {
        retire_current(self); // a new connection gets a new batch server
        self->state.target = std::move(target);
      },
      [self](batch_atom, caf::actor& server) {
        retire_current(self);
        self->monitor(server);
        self->state.current.server = std::move(server);
      },
      [self](batch_atom, caf::actor_addr& sender, caf::timespan deadline) {
        self->state.batched_sender = sender;
        self->state.deadline = deadline;
      },
      [self](batch_flush_atom) { flush(self); },
      [self](batch_atom, batch& replies) { deliver(self, replies); },
      [self](batch_sync_atom) { return close_synced(self); },
      [self](close_atom) {
        self->state.target = nullptr;
        retire_current(self);
        self->quit();
      },
  };
}

} // namespace

caf::actor spawn_relay(caf::actor_system& sys, std::string address) {
  return sys.spawn([address = std::move(address)](relay_pointer self) {
    self->state.address = address;
    return relay(self);
  });
}

} // namespace fridgebank::net
