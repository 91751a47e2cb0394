#pragma once

// Requests batched over the middleman: the whole protocol, both halves, in
// this one file.
//
// Why: a front end with `--actors-at` reaches its node's actors through CAF's
// BASP, and CAF 0.17 reads every BASP message with two `recvfrom` (its
// header, then its payload), on the node and again for the reply on the
// front end: four system calls and two broker dispatches a request, where
// the HTTP side needs one read and one write (bench/NOTES.md, "BASP
// messages per request"). So the front end's relay for a node actor sends
// the requests it is given in one message, and the node answers them in one.
//
//     front end                                   actor node
//     bridge ──request──▶ relay ── (batch_atom, batch) ──▶ batch server
//        ▲                (outbox)                          │ each item, in the name of
//        │                  │  ▲                            │ its companion, to the target
//        └── the reply, ────┘  └── (batch_atom, batch) ──── ┘ (the directory or the bank);
//            with its id                                     the replies, gathered
//
// The contract:
//   - Only the requests of one sender are batched: the bridge's (`bridge`
//     in fridgebank/net/bridge.hpp), whose address means nothing to the
//     node but where the reply goes. Anyone else's requests, above all an
//     Idempotency-Key's claimant, go the direct way, which keeps their
//     sender: the journal knows a claimant by its address and watches it
//     for going down (idempotency.hpp). On the node the batched requests
//     come from the batch server's companion instead.
//   - A batch leaves once the relay has handled every message queued
//     before its first item (the relay sends itself a flush), so a batch is
//     as large as the load makes it (at most `max_batched_requests` items a message),
//     and a lone request waits for no timer. The node's replies leave the
//     same way.
//   - Items reach the target in the order they were given to the relay (one
//     relay, one connection, one batch server). Nothing orders them against
//     the direct way, as nothing orders two senders today.
//   - Every request is answered once, by its reply or by its requester's
//     own deadline (the bridge's `503 timeout`: it may or may not have run),
//     never by both, and never by a reply to another request:
//       - what waits in the outbox never left: when the node is lost it is
//         answered `unavailable` at once; when only the batch server is, it
//         goes the direct way;
//       - what left stays in flight for as long as the server that took it
//         may answer: also after the node's actor went down while the
//         connection stands (a node that drains still answers). It is
//         forgotten when that server goes down (the connection is lost),
//         or once it is older than the requester's deadline (a node that
//         never answers costs the front end no memory);
//       - a reply is matched by its server and its number, which no other
//         request of that server's outbox had.
//   - The batch server quits when its relay is gone.
//   - A node that stops gracefully hands every reply to its front ends
//     before its process ends. Once its journal has stopped (every reply
//     of a request that ran has been given; replies a drained fridge or
//     bank still awaited from the journal are not), it syncs each of its
//     batch servers
//     (`sync_batch_servers`), in rounds: the server sends what it has
//     gathered, then asks its relay (`batch_sync_atom`). The relay answers
//     whether it closed the way just now: from its first sync on it sends
//     that node nothing more, batched or direct (what waits, and what
//     comes, is answered `unavailable` until the node is reached again).
//     One connection keeps order both ways: the front end then holds
//     every reply sent to it before, batched or direct, and the server has
//     every batch the relay sent. A batch that crossed the sync is refused
//     by the drained actors at once (`request_receiver_down`), as is a
//     direct request (by the node's middleman). Another round follows when
//     the relay closed just now, when a batch came, or when replies left
//     or were gathered after the round's sync; a quiet round answers the
//     node. A front end that does not answer costs the stop
//     `batch_sync_timeout`, no more.
//     Not covered: a front end's other relays (the Idempotency-Keys'
//     claimants go direct to the journal, which has no batch server), a
//     reply given only after the sync (a directory whose drain timed
//     out), and a sync forged by a peer (published actors trust their
//     peers: authenticate them with TLS, docs/distribution.md).
//
// Programmer errors are assertions: a batch server without a target, a
// request with stages. What comes over the network is checked: a number
// nobody sent, or one outside CAF's request ids, is dropped.

#include "fridgebank/protocol/messages.hpp"

#include <caf/actor.hpp>
#include <caf/actor_clock.hpp>
#include <caf/atom.hpp>
#include <caf/event_based_actor.hpp>
#include <caf/mailbox_element.hpp>
#include <caf/message.hpp>
#include <caf/message_id.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/scoped_actor.hpp>
#include <caf/stateful_actor.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace fridgebank {

/// A batch of requests (front end to node) or of their replies (back).
using batch_atom = caf::atom_constant<caf::atom("batch")>;
/// Sent to oneself: the batch gathered so far leaves now.
using batch_flush_atom = caf::atom_constant<caf::atom("bflush")>;

/// To a batch server from its stopping node, handed on to its relay:
/// answered by the relay, once what was sent before it has reached it.
using batch_sync_atom = caf::atom_constant<caf::atom("bsync")>;
/// The longest a sync waits for a front end: one that is frozen or cut
/// off delays its node's stop by this, no more.
constexpr std::chrono::seconds batch_sync_timeout{2};

/// Which of a node's actors a batch server sends to. (The keys are not
/// batched: only claimants send to them, and claimants go direct.)
enum class batch_target : std::uint8_t { directory = 0, bank = 1 };

/// The most requests one batch carries: a larger load leaves in several.
constexpr std::size_t max_batched_requests = 256;

/// One request, or its reply, by the number the outbox gave it.
struct batch_item {
  std::uint64_t seq = 0;
  caf::message content;
};

/// How an item's content crosses. CAF 0.17 writes a message with its
/// element types by name, which the other side parses and looks up one by
/// one, allocating each element; the drink route's request and reply, the
/// hot path, cross as their fields instead.
enum class batch_form : std::uint8_t { message = 0, drink = 1, fridge_result = 2 };

/// For logs: "message", "drink" or "fridge_result".
std::string to_string(batch_form x);

/// `drink_atom` of interfaces.hpp, which includes this file.
using batched_drink_atom = caf::atom_constant<caf::atom("drink")>;

/// Writing (or printing) an item: its number, its form, what that form carries.
template <class Inspector>
typename std::enable_if_t<Inspector::reads_state, typename Inspector::result_type>
inspect(Inspector& f, batch_item& x) {
  auto name = caf::meta::type_name("fridgebank::batch_item");
  const auto& m = x.content;
  if (m.match_elements<batched_drink_atom, std::string, drink_request>())
    return f(name, x.seq, batch_form::drink, m.get_as<std::string>(1), m.get_as<drink_request>(2));
  if (m.match_elements<fridge_result>())
    return f(name, x.seq, batch_form::fridge_result, m.get_as<fridge_result>(0));
  return f(name, x.seq, batch_form::message, x.content);
}

/// Reading an item: a form this side does not know is an error. CAF 0.17
/// then drops the whole message and keeps the connection: every request of
/// that batch ends at its deadline (`503 timeout`). So front ends and nodes
/// of versions with other forms cannot share batches.
template <class Inspector>
typename std::enable_if_t<Inspector::writes_state, typename Inspector::result_type>
inspect(Inspector& f, batch_item& x) {
  auto form = batch_form::message;
  if (auto err = f(caf::meta::type_name("fridgebank::batch_item"), x.seq, form))
    return err;
  switch (form) {
  case batch_form::message:
    return f(x.content);
  case batch_form::drink: {
    std::string fridge;
    drink_request r;
    if (auto err = f(fridge, r))
      return err;
    x.content = caf::make_message(batched_drink_atom::value, std::move(fridge), r);
    return {};
  }
  case batch_form::fridge_result: {
    fridge_result r;
    if (auto err = f(r))
      return err;
    x.content = caf::make_message(r);
    return {};
  }
  }
  return caf::make_error(caf::sec::invalid_argument, "unknown batch item form");
}

using batch = std::vector<batch_item>;

/// The front end's half, kept by a relay for one batch server: the requests
/// waiting for the next batch, and those sent until their replies come back.
class outbox {
public:
  using time_point = caf::actor_clock::time_point;

  /// Keeps the request `x` (its sender, id and content) for the next batch.
  /// True when it is the first since the last `take`: the caller sends
  /// itself a flush.
  bool add(caf::mailbox_element& x);

  /// Up to `max_batched_requests` waiting requests, numbered, in flight from `now` on.
  /// First forgets what is in flight since before `forget_before`.
  batch take(time_point now, time_point forget_before);

  /// Hands each reply to its requester, as the answer to its request; a
  /// reply to a number not in flight is dropped.
  void deliver(batch& replies, caf::execution_unit* ctx);

  /// Answers every waiting request with `why` (none of them left).
  void fail_waiting(const caf::error& why, caf::execution_unit* ctx);

  /// Sends every waiting request to `to` the direct way, as `delegate` does.
  void send_waiting_to(const caf::actor& to, caf::execution_unit* ctx);

  bool waiting() const { return !waiting_.empty(); }
  /// Sent and neither answered nor forgotten.
  std::size_t in_flight() const { return open_; }

private:
  struct requester {
    caf::strong_actor_ptr sender;
    caf::message_id id;
  };
  struct unsent {
    requester from;
    caf::message content;
  };
  struct sent {
    requester to;
    time_point at;
    bool open = true;
  };
  void drop_closed_front();

  std::vector<unsent> waiting_;
  std::deque<sent> sent_; // sent_[i] is number first_seq_ + i
  std::uint64_t first_seq_ = 1;
  std::size_t open_ = 0;
};

/// The replies a batch server's companion gathers, on the repliers' threads.
struct gathered_replies {
  std::mutex lock;
  batch replies;
};

struct batch_server_data {
  /// Not an aggregate: CAF would construct it from the actor's own pointer
  /// (see relay_data in net/src/relay.cpp).
  batch_server_data() = default;
  caf::actor target;               // the directory or the bank
  caf::actor relay;                // on the front end: where the replies go
  caf::strong_actor_ptr companion; // sends every request, receives every reply
  std::shared_ptr<gathered_replies> gathered;
  std::uint64_t batches_received = 0; // a sync round asks again when either grew
  std::uint64_t batches_sent = 0;
  static inline const char* name = "fridgebank.batch_server";
};

/// The node's half: sends each item of a batch to `target` (in the name of
/// its companion, with the item's number as the request id) and the replies
/// back to `relay` in batches. Quits when `relay` is gone.
caf::behavior batch_server(caf::stateful_actor<batch_server_data>* self, caf::actor target,
                           caf::actor relay);

/// Waits until each of `servers` has synced with its relay (above), all at
/// once, for at most `batch_sync_timeout`; a server that is gone counts as synced.
void sync_batch_servers(caf::scoped_actor& self, const std::vector<caf::actor>& servers);

} // namespace fridgebank
