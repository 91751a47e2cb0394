#pragma once

#include "fridgebank/actors/journal_link.hpp"
#include "fridgebank/protocol/interfaces.hpp"

#include <caf/stateful_actor.hpp>
#include <caf/typed_event_based_actor.hpp>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace fridgebank {

/// The ledger's private state. `total` is kept alongside the balances (and
/// bounded by 2^53-1 like them) so every snapshot can carry a safe total.
struct ledger_data {
  std::map<std::string, std::int64_t> balances; // sorted: snapshots list by id
  std::int64_t total = 0;
  journal_link link;
  /// `--max-accounts`: opening one more is `limit_exceeded`.
  std::size_t max_accounts = default_max_entries;
  /// A fault build's split transfer: credits that ride on a later commit.
  std::vector<account_record> deferred;
  static inline const char* name = "fridgebank.bank";
};

/// The one actor that owns every account, in memory only:
/// `sys.spawn(fridgebank::bank)`.
bank_actor::behavior_type bank(bank_actor::stateful_pointer<ledger_data> self);

/// The ledger restored from `durable`, every reply waiting until its effect
/// is durable in the journal behind `link`, at most `max_accounts` accounts
/// (a restored ledger may hold more; then no more are opened).
bank_actor::behavior_type journaled_bank(bank_actor::stateful_pointer<ledger_data> self,
                                         durable_state durable, journal_link link,
                                         std::size_t max_accounts);

} // namespace fridgebank
