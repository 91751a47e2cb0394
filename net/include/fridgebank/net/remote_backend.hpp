#pragma once

// A front end whose actors live in another fridgebank process
// (`--actors-at HOST:PORT`), reached through CAF's middleman.

#include "fridgebank/net/api.hpp"

#include <atomic>
#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace fridgebank::net {

/// The handles the routes use are local relays: each forwards every message
/// to its actor on the node, or answers `unavailable` at once while the node
/// is unreachable. A link actor connects, watches the connection and
/// reconnects by itself, so the routes never see a handle change.
struct remote_backend {
  api_backend backend; // `node_up` says whether the node is reachable now
  caf::actor link;     // send it `stop_atom` at shutdown
};

/// Needs the middleman loaded (`cfg.load<caf::io::middleman>()`), and with
/// `tls` CAF's OpenSSL module too (`caf::openssl::manager`, with the
/// certificate, key and CA set in the config). Tries to
/// connect for up to `first_contact`; fails if the node cannot be reached
/// by then (a misspelled address should not look like a healthy server).
caf::expected<remote_backend> connect_remote_backend(caf::actor_system& sys, std::string host,
                                                     std::uint16_t port,
                                                     std::chrono::milliseconds first_contact,
                                                     bool tls = false);

} // namespace fridgebank::net
