#pragma once

// The one actor a fridgebank process publishes to other CAF nodes.

#include "fridgebank/protocol/interfaces.hpp"

#include <caf/expected.hpp>
#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace fridgebank {

/// Where a node's fridges were placed: position `position` of a list of
/// `count` nodes (fridgebank/protocol/placement.hpp).
struct node_place {
  std::uint32_t position = 0;
  std::uint32_t count = 0;
  friend bool operator==(const node_place&, const node_place&) = default;
};

struct node_data {
  std::string place_file;          // empty: in memory, the place is not kept
  std::optional<node_place> place; // unset until a front end first claims one
  directory_actor directory;       // what a claim checks the place against
  bank_actor bank;
  std::vector<caf::actor> batch_servers; // running, each monitored
  static inline const char* name = "fridgebank.node";
};

/// Hands out `directory`, `bank` and `keys` to whoever asks (a front end
/// on another node, an embedding program). Quits on `stop`, dropping them
/// and answering with the batch servers it runs (sync them before the
/// process ends: fridgebank/protocol/batching.hpp).
/// Keeps its place in the front ends' node list: `kept` (from
/// `read_node_place`) or, at the first claim, that claim, written and
/// fsync'd to `place_file` (unless empty); a front end with another list is
/// refused instead of looking for fridges where they are not.
node_actor::behavior_type node(node_actor::stateful_pointer<node_data> self,
                               directory_actor directory, bank_actor bank, journal_actor keys,
                               std::string place_file = {}, std::optional<node_place> kept = {});

/// The place kept in `file`: none when it does not exist, an error when it
/// cannot be read.
caf::expected<std::optional<node_place>> read_node_place(const std::string& file);

} // namespace fridgebank
