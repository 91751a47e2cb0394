#pragma once

#include "fridgebank/actors/journal_link.hpp"
#include "fridgebank/protocol/interfaces.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <cstdint>
#include <string>

namespace fridgebank {

/// A fridge's private state. Only the fridge actor ever touches it.
struct fridge_data {
  std::string fridge_name;
  std::int64_t drinks = 0;
  std::int64_t drinks_before = 0; // the count before the last change (a fault build's stale look)
  journal_link link;
  static inline const char* name = "fridgebank.fridge";
};

/// One fridge holding `drinks` drinks, in memory only, e.g.
/// `sys.spawn(fridgebank::fridge, "kitchen", 12)`.
fridge_actor::behavior_type fridge(fridge_actor::stateful_pointer<fridge_data> self,
                                   std::string name, std::int64_t drinks);

/// The same fridge whose every reply waits until its effect is durable in the
/// journal behind `link`. Starts stopped when `stopped` (a restored fridge).
fridge_actor::behavior_type journaled_fridge(fridge_actor::stateful_pointer<fridge_data> self,
                                             std::string name, std::int64_t drinks, bool stopped,
                                             journal_link link);

/// What a drink request does to a fridge holding `left` drinks: the seed's
/// rules, `leaveAtLeast` included, with every bound checked. Pure, so the
/// actor stays a thin shell around it.
caf::expected<fridge_result> serve_drink(std::int64_t left, const drink_request& request);

} // namespace fridgebank
