#pragma once

#include "fridgebank/protocol/interfaces.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <cstdint>
#include <map>
#include <string>

namespace fridgebank {

/// The ledger's private state. `total` is kept alongside the balances (and
/// bounded by 2^53-1 like them) so every snapshot can carry a safe total.
struct ledger_data {
  std::map<std::string, std::int64_t> balances; // sorted: snapshots list by id
  std::int64_t total = 0;
  static inline const char* name = "fridgebank.bank";
};

/// The one actor that owns every account: `sys.spawn(fridgebank::bank)`.
bank_actor::behavior_type bank(bank_actor::stateful_pointer<ledger_data> self);

} // namespace fridgebank
