#pragma once

// A front end's stand-in for one actor on an actor node (its directory, bank
// or keys): the handle the routes hold, which never changes while the
// connection behind it comes and goes (remote_backend.hpp).
//
//     (no target) ──target_atom(T)──▶ FORWARDING to T ──batch_atom(S)──▶ BATCHING through S
//          ▲                               │    ▲                             │
//          └──── target_atom(none) ────────┘    └──── S down, or a new T ─────┘
//                  (the node is gone)
//
//   - With no target every request is answered `unavailable` at once.
//   - FORWARDING delegates each message to T, keeping its sender and id.
//   - BATCHING sends the requests of one sender (`batch_atom` with an
//     address: the bridge's) in batches through the node's batch server S
//     (fridgebank/protocol/batching.hpp, where the contract is written);
//     anyone else's still go the direct way. Leaving it, the relay still
//     awaits S's replies to what S was given, until S is down.
//   - `close_atom` ends the relay; what waits is answered `unavailable`.

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/atom.hpp>
#include <string>

namespace fridgebank::net {

/// The node's actor the relay forwards to, or none (the node is unreachable).
using target_atom = caf::atom_constant<caf::atom("target")>;
/// Ends a relay. Not `stop_atom`: that is a message for the actors behind it.
using close_atom = caf::atom_constant<caf::atom("close")>;

/// A relay for the actor node at `address` (HOST:PORT, for its errors),
/// with no target yet.
caf::actor spawn_relay(caf::actor_system& sys, std::string address);

} // namespace fridgebank::net
