#pragma once

// The one actor a fridgebank process publishes to other CAF nodes.

#include "fridgebank/protocol/interfaces.hpp"

#include <caf/typed_event_based_actor.hpp>

namespace fridgebank {

/// Hands out `directory`, `bank` and `keys` to whoever asks (a front end
/// on another node, an embedding program). Quits on `stop`, dropping them.
node_actor::behavior_type node(node_actor::pointer self, directory_actor directory, bank_actor bank,
                               journal_actor keys);

} // namespace fridgebank
