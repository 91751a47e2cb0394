#pragma once

// What serves the routes: this process's own actor set (in memory or on
// disk), or a link to the actors of another node (`--actors-at`). Started
// and stopped here so that `main` is only flags and wiring.

#include "fridgebank/actors/actor_set.hpp"
#include "fridgebank/net/api.hpp"
#include "server_flags.hpp"

#include <caf/actor.hpp>
#include <caf/actor_system.hpp>
#include <caf/expected.hpp>
#include <memory>
#include <vector>

namespace fridgebank::app {

struct server_backend {
  net::api_backend routes;            // what the routes talk to
  actor_set local;                    // this process's actors (empty with --actors-at)
  std::vector<caf::actor> node_links; // with --actors-at: one link per actor node
};

/// Opens the data directory (taking its lock) or connects to the actor
/// node; errors are one readable line. The local actors tell `events` of
/// their changes (a front end with --actors-at has none to tell).
caf::expected<server_backend> start_backend(caf::actor_system& sys, const server_flags& flags,
                                            std::shared_ptr<event_sink> events);

/// Publishes the local actors to other CAF nodes; returns the bound port.
caf::expected<std::uint16_t> publish_backend(caf::actor_system& sys, server_backend& backend,
                                             const server_flags& flags);

/// Drains, never retires: every local actor serves its queue and ends, the
/// journal commits and closes. With --actors-at only our link ends: the
/// actors belong to the node. Problems are reported on stderr.
void stop_backend(caf::actor_system& sys, server_backend& backend);

} // namespace fridgebank::app
