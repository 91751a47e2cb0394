#include "server_backend.hpp"

#include "fridgebank/actors/node.hpp"
#include "fridgebank/net/remote_backend.hpp"
#include "fridgebank/protocol/error_code.hpp"
#include "tls.hpp"

#include <caf/io/middleman.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/send.hpp>
#include <iostream>

namespace fridgebank::app {

caf::expected<server_backend> start_backend(caf::actor_system& sys, const server_flags& flags,
                                            std::shared_ptr<event_sink> events) {
  server_backend backend;
  if (!flags.actors_at.empty()) {
    // A listing over several nodes names a silent node before the client's
    // own timeout would answer a bare 503 timeout.
    auto node_timeout = flags.request_timeout * 4 / 5;
    auto remote = net::connect_remote_backend(sys, flags.actors_at, std::chrono::seconds{5},
                                              node_timeout, tls_on(flags));
    if (!remote)
      return std::move(remote.error());
    backend.routes = remote->backend;
    backend.node_links = remote->links;
    return backend;
  }
  actor_set_options options;
  if (!flags.in_memory)
    options.data_dir = flags.data_dir;
  options.commit_delay = flags.commit_delay;
  options.max_fridges = flags.max_fridges;
  options.max_accounts = flags.max_accounts;
  options.events = std::move(events);
  auto set = spawn_actor_set(sys, options);
  if (!set)
    return std::move(set.error());
  backend.local = std::move(*set);
  backend.routes.directory = backend.local.directory;
  backend.routes.bank = backend.local.bank;
  backend.routes.keys = backend.local.journal;
  if (backend.local.durable)
    backend.routes.journal = backend.local.journal;
  return backend;
}

caf::expected<std::uint16_t> publish_backend(caf::actor_system& sys, server_backend& backend,
                                             const server_flags& flags) {
  auto& set = backend.local;
  // Where front ends placed this node's fridges, kept beside its data.
  std::string place_file;
  std::optional<node_place> kept;
  if (!flags.in_memory) {
    place_file = flags.data_dir + "/placement";
    auto read = read_node_place(place_file);
    if (!read)
      return std::move(read.error());
    kept = *read;
  }
  set.published = sys.spawn(node, set.directory, set.bank, set.journal, place_file, kept);
  if (tls_on(flags)) // the handshake, both certificates verified, comes before any BASP
    return caf::openssl::publish(set.published, *flags.publish_port, flags.publish_host.c_str(),
                                 true);
  return sys.middleman().publish(set.published, *flags.publish_port, flags.publish_host.c_str(),
                                 true);
}

void stop_backend(caf::actor_system& sys, server_backend& backend) {
  backend.routes = {};
  if (!backend.node_links.empty()) {
    for (auto& link : backend.node_links)
      caf::anon_send(link, stop_atom::value);
    backend.node_links.clear();
    return;
  }
  if (auto err = shutdown_actor_set(sys, backend.local))
    std::cerr << "fridgebank-server: stopping the actors: " << to_string(err) << std::endl;
}

} // namespace fridgebank::app
