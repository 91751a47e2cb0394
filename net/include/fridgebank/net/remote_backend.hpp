#pragma once

// A front end whose actors live in another fridgebank process
// or processes (`--actors-at HOST:PORT,...`), reached through CAF's
// middleman.

#include "fridgebank/net/api.hpp"

#include <atomic>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace fridgebank::net {

/// Where an actor node publishes (`--actors-at HOST:PORT,...`).
struct node_address {
  std::string host;
  std::uint16_t port = 0;
  std::string text() const { return host + ":" + std::to_string(port); }
};

/// The handles the routes use are local relays: each forwards every message
/// to its actor on the node, or answers `unavailable` at once while the node
/// is unreachable. A link actor per node connects, watches the connection
/// and reconnects by itself, so the routes never see a handle change.
///
/// With several nodes the fridges are sharded over them
/// (fridgebank/protocol/placement.hpp): the directory is a local actor that
/// sends each fridge's requests to its node, and an Idempotency-Key of a
/// fridge request goes to that node's journal; the bank, and its keys, live
/// on the first node.
struct remote_backend {
  api_backend backend;           // `nodes` says which nodes are reachable now
  std::vector<caf::actor> links; // send each `stop_atom` at shutdown
};

/// Needs the middleman loaded (`cfg.load<caf::io::middleman>()`), and with
/// `tls` CAF's OpenSSL module too (`caf::openssl::manager`, with the
/// certificate, key and CA set in the config). Tries every node at once for
/// up to `first_contact`. Fails when none can be reached by then (a
/// misspelled address should not look like a healthy server), or when a
/// node refuses its place in the list (it holds another place's fridges:
/// `node` in fridgebank/actors/node.hpp); the places are kept by the nodes
/// only once every node reached has agreed. Nodes not reached yet are
/// served when they come up (their fridges answer `unavailable` until
/// then), and said so on stderr. A listing waits at most `node_timeout`
/// for a node.
caf::expected<remote_backend> connect_remote_backend(caf::actor_system& sys,
                                                     const std::vector<node_address>& nodes,
                                                     std::chrono::milliseconds first_contact,
                                                     std::chrono::milliseconds node_timeout,
                                                     bool tls = false);

/// From now on the relays of the nodes behind `links` send the requests of
/// `sender` in batches (fridgebank/protocol/batching.hpp): the bridge's
/// (`bridge::sender`), whose address means nothing to a node, and whose
/// `deadline` answers every request that has no reply by then.
void batch_requests_of(const std::vector<caf::actor>& links, const caf::actor_addr& sender,
                       std::chrono::milliseconds deadline);

} // namespace fridgebank::net
