#pragma once

// The directory a front end sees when fridges are sharded over several actor
// nodes (`--actors-at H1:P1,H2:P2,...`): one local actor with the
// directory's interface that sends each request about a fridge to the node
// `placement::node_of` names, and merges the nodes' pages into one listing.

#include "fridgebank/protocol/interfaces.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace fridgebank::net {

struct shard {
  std::string address;       // "HOST:PORT" as given, for error messages
  directory_actor directory; // the node's directory (through its relay)
};

struct sharded_directory_data {
  std::vector<shard> shards; // in list order: positions are placement's
  /// How long a listing or a count waits for a node (less than a request's
  /// timeout, so that the client hears which node did not answer).
  std::chrono::milliseconds node_timeout{4000};
  static inline const char* name = "fridgebank.sharded_directory";

  /// The shard that holds fridge `name`.
  const shard& of(const std::string& name) const;
};

/// Requests about one fridge go to its node, keeping the requester (the
/// node's fridge answers it directly, and an Idempotency-Key's claimant is
/// still the sender of the commit). `list` asks every node for the same page
/// and merges; it fails with `unavailable` naming a node that is
/// unreachable or silent for `node_timeout` (a listing that silently
/// skipped a node would be wrong). `count` sums the
/// nodes that answer. `drain` and `rollback` belong to the nodes' own
/// processes and are not for a front end to send.
directory_actor::behavior_type
sharded_directory(directory_actor::stateful_pointer<sharded_directory_data> self,
                  std::vector<shard> shards, std::chrono::milliseconds node_timeout);

} // namespace fridgebank::net
